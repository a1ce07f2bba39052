"""Bulk phases: reading, validating and reporting a large file.

They allocate millions of short-lived, acyclic objects (cells, dicts, row models). Each
allocation burst triggers a cyclic-garbage collection that walks every object still alive —
the file's 200,000 rows — so collection, not work, dominated a large `validate` (measured:
8.8 s with it, 4.3 s without). Nothing built in these phases forms a reference cycle, so
pausing the collector leaks nothing; reference counting still frees everything.

They also build many models from values that are already checked. pydantic's public way,
`model_construct`, spends about 20 µs a row on defaults and checks it does not need there
(measured with pydantic 2.14: 100,000 request models in 2.06 s, against 0.18 s here — about
3.8 s of a 200,000-row `validate`). No public API is that fast, so this module — and only this
module — sets a model's four slots (`BaseModel.__slots__`) directly, as `model_construct`
itself ends up doing. `tests/test_bulk.py` fails if a pydantic release changes those slots, or
if a model built here differs in any way from one pydantic validated."""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
"""`BaseModel.__slots__`, which trusted construction fills (a test holds them equal)."""

# The slots' descriptors, called directly: what `model_construct` ends up doing.
_set_dict, _set_fields_set, _set_extra, _set_private = (
    BaseModel.__dict__[slot].__set__ for slot in SLOTS
)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; restore the previous state afterwards
    (nested use is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def trusted(model: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """`model_construct` for already-checked `values` holding every field of `model`;
    `fields_set` may be shared between instances (pydantic copies it before changing it)."""
    instance = object.__new__(model)
    _set_dict(instance, values)
    _set_fields_set(instance, fields_set)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def trusted_all(model: type[M], dicts: list[dict[str, Any]], fields_set: set[str]) -> list[M]:
    """`trusted` for many rows at once, slot by slot (each dict becomes a model's own
    `__dict__`: the caller hands them over)."""
    count = len(dicts)
    made: list[M] = list(map(object.__new__, repeat(model, count)))
    deque(map(_set_dict, made, dicts), maxlen=0)
    deque(map(_set_fields_set, made, repeat(fields_set, count)), maxlen=0)
    deque(map(_set_extra, made, repeat(None, count)), maxlen=0)
    deque(map(_set_private, made, repeat(None, count)), maxlen=0)
    return made
