"""The crediting rules: what a valid crediting does to a case.

Amili's reference does not say what happens when a crediting meets a closed case or exceeds
the balance, so these are the sandbox's stated assumptions (also printed by
`importer sandbox --help`). A pure function, so the rules are testable and readable in one
place; the store applies the result inside its serialised transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CLOSED_STATE = "closed"
CASE_CLOSED = "crediting.case_closed"
AMOUNT_EXCEEDS_REMAINING = "crediting.amount_exceeds_remaining"

RULES_TEXT = f"""\
Crediting rules (assumptions where Amili's reference is silent):
  - a case that is closed or has nothing remaining: 201 with status "error",
    settled_amount 0, status_reason_locale "{CASE_CLOSED}";
  - an amount above the case's remaining capital: 201 with status "warning",
    settled_amount = the remaining capital, status_reason_locale
    "{AMOUNT_EXCEEDS_REMAINING}";
  - otherwise: status "completed", settled_amount = amount, status_reason_locale null.
  The case's local_remaining_capital_amount drops by what was settled; at zero the case's
  state becomes "{CLOSED_STATE}". Creditings on one case are serialised: no lost update."""


class CreditingStatus(StrEnum):
    COMPLETED = "completed"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Settlement:
    """What one crediting does: its status and reason, what it settled, and the case after."""

    status: CreditingStatus
    reason: str | None
    settled_ore: int
    remaining_ore: int
    state: str


def settle(*, amount_ore: int, remaining_ore: int, state: str) -> Settlement:
    """Apply a crediting of `amount_ore` to a case with `remaining_ore` left in `state`."""
    if state == CLOSED_STATE or remaining_ore <= 0:
        return Settlement(CreditingStatus.ERROR, CASE_CLOSED, 0, remaining_ore, state)
    if amount_ore > remaining_ore:
        return Settlement(
            CreditingStatus.WARNING, AMOUNT_EXCEEDS_REMAINING, remaining_ore, 0, CLOSED_STATE
        )
    left = remaining_ore - amount_ore
    return Settlement(
        CreditingStatus.COMPLETED, None, amount_ore, left, CLOSED_STATE if left == 0 else state
    )
