"""Bulk phases: reading, validating and reporting a large file.

They allocate millions of short-lived, acyclic objects (cells, dicts, row models). Each
allocation burst triggers a cyclic-garbage collection that walks every object still alive —
the file's 200,000 rows — so collection, not work, dominated a large `validate` (measured:
8.8 s with it, 4.3 s without). Nothing built in these phases forms a reference cycle, so
pausing the collector leaks nothing; reference counting still frees everything.

They also build many models from values that are already checked; pydantic's
`model_construct` spends ~20 µs a row on defaults it does not need there, so such models are
built by setting the model's slots directly (`trusted`, or the setters column-wise)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

# BaseModel's slot descriptors, called directly: what `model_construct` ends up doing.
set_dict = BaseModel.__dict__["__dict__"].__set__
set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
set_private = BaseModel.__dict__["__pydantic_private__"].__set__


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
    set_dict(instance, values)
    set_fields_set(instance, fields_set)
    set_extra(instance, None)
    set_private(instance, None)
    return instance
