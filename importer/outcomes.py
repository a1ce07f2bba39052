"""The report's vocabulary (DESIGN.md §3): what happened to a row, and why it was not credited.

Shared by validation (which produces row errors), the journal (which stores them), the client
(which classifies API answers into them) and the report (which renders them)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    CREDITED = "credited"
    INVALID = "invalid"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """A final row is never posted again by a rerun."""
        return self in (Outcome.CREDITED, Outcome.INVALID, Outcome.DUPLICATE)


OUTCOME_ORDER: tuple[Outcome, ...] = tuple(Outcome)


class RowError(BaseModel):
    """Why a row was not credited: the field it concerns (or "" for the row as a whole), a
    stable code machines can match on, and a sentence a finance person understands."""

    model_config = ConfigDict(frozen=True)

    field: str
    code: str
    message: str
