"""A file's verdicts column-wise (`CheckedColumns`), one row's verdict (`RowValidation`), and
the request models of values already checked."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import compress, repeat
from operator import setitem
from typing import Any

from importer.api.request import FIELDS, CreditingRequest
from importer.outcomes import ImportWarning, RowError

NO_ERRORS: tuple[RowError, ...] = ()
"""Shared by every valid row: a list each would cost 11 MB on a 200,000-row file."""


@dataclass(slots=True)
class RowValidation:
    """One row's verdict: the request to send, or why there is none."""

    request: CreditingRequest | None  # None when invalid
    errors: Sequence[RowError]  # empty when valid: one shared empty tuple for every valid row

    @property
    def is_valid(self) -> bool:
        return self.request is not None


@dataclass(slots=True)
class CheckedColumns:
    """A whole file's verdicts column-wise, in row order — what the pipeline consumes.

    `fields` maps each request field (in `FIELDS` order) to every row's checked value, exactly
    as a `CreditingRequest` holds it (None where absent); an invalid row's values are no
    request. `errors[i]` says why row i is invalid (the shared empty tuple when it is valid).
    Columns, not models: the pipeline journals and reports field values, and a dry run
    renders its report straight from these columns; 200,000 models (or even dicts) built
    only to be taken apart again cost a fifth of a large `validate`. `requests()` gives a
    row's dict, `Validator.validate_columns` models."""

    fields: dict[str, list[Any]]
    errors: list[Sequence[RowError]]
    invalid: int
    constant: frozenset[str] = frozenset()
    """Fields whose value is the same on every row (their dicts share it from a template)."""
    warnings: tuple[ImportWarning, ...] = ()
    """What the file's rows say that changes no outcome (daylight-saving times)."""

    @property
    def valid(self) -> list[bool] | None:
        """Whether each row is valid; None when all are."""
        if not self.invalid:
            return None
        return [not errors for errors in self.errors]

    def with_row_errors(self, extra: dict[int, list[RowError]]) -> CheckedColumns:
        """These verdicts with rows made invalid by errors found before validation (row
        index -> errors, e.g. a ragged CSV row): those errors replace whatever validation
        said, since the row's cells do not sit in the columns they seem to."""
        if not extra:
            return self
        errors = list(self.errors)
        for index, found in extra.items():
            errors[index] = tuple(found)
        return replace(self, errors=errors, invalid=sum(1 for e in errors if e))

    def without_rows(self, left_out: set[int]) -> CheckedColumns:
        """These verdicts without the rows at the indexes `left_out` (total rows)."""
        if not left_out:
            return self
        keep = [index not in left_out for index in range(len(self.errors))]
        errors = list(compress(self.errors, keep))
        return replace(
            self,
            fields={name: list(compress(values, keep)) for name, values in self.fields.items()},
            errors=errors,
            invalid=sum(1 for e in errors if e),
        )

    def requests(self) -> list[dict[str, Any] | None]:
        """Each row's request fields as the model holds them (None fields included), or None
        for an invalid row."""
        mask = self.valid
        valid = None if mask is None else list(compress(range(len(mask)), mask))
        made = _request_dicts(self.fields, self.constant, valid)
        if valid is None:
            return list(made)
        requests: list[dict[str, Any] | None] = [None] * len(self.errors)
        for index, request in zip(valid, made, strict=True):
            requests[index] = request
        return requests

    def request_blocks(self, size: int) -> Iterator[list[dict[str, Any] | None]]:
        """`requests()` made `size` rows at a time, in row order: what an import journals.
        Only one block's dicts are alive at once, not a dict for every row of the file held
        until its last row is stored (README, Performance: what that cost at 2,000,000 rows)."""
        count = len(self.errors)
        for start in range(0, count, size):
            end = start + size
            errors = self.errors[start:end]
            block = replace(
                self,
                fields={name: values[start:end] for name, values in self.fields.items()},
                errors=errors,
                invalid=sum(1 for e in errors if e),
            )
            yield block.requests()


_ALL_FIELDS = set(FIELDS)
"""Every request field is set on a checked request (None where absent); one set shared by
every model: the model is frozen, and pydantic copies it in `model_copy`."""


def _request_dicts(
    fields: dict[str, list[Any]], constant: Collection[str], valid: list[int] | None
) -> list[dict[str, Any]]:
    """The request fields of the valid rows (all rows when `valid` is None), in row order:
    one dict per row, a copy of the `constant` fields with the varying ones set
    column-wise. `fields` holds every field of `FIELDS`, in that order."""
    count = len(fields[FIELDS[0]]) if valid is None else len(valid)
    template: dict[str, Any] = {}
    varying: list[tuple[str, list[Any]]] = []
    for name in FIELDS:
        values = fields[name]
        if name in constant:
            template[name] = values[0] if values else None
        else:
            template[name] = None
            varying.append((name, values if valid is None else [values[i] for i in valid]))
    dicts = list(map(dict.copy, repeat(template, count)))
    for name, values in varying:
        deque(map(setitem, dicts, repeat(name, count), values), maxlen=0)
    return dicts


def instances(dicts: list[dict[str, Any]]) -> list[CreditingRequest]:
    """Models of checked request fields, built by pydantic's `model_construct`: the values
    are already what the model holds, so they are not validated again. Only a row-wise
    caller needs them (`Validator.validate`, corrections); an import or a validation works
    on the columns and builds none (about 4.5 µs a model, measured with pydantic 2.14)."""
    return [CreditingRequest.model_construct(_ALL_FIELDS, **values) for values in dicts]
