"""The seed file: a JSON list of case documents in Amili's shape.

Checked up front with one-line errors naming the file and the case, because a sandbox seeded
from a broken file would only fail later as puzzling 422s in someone's import.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from importer.errors import SandboxError
from importer.sandbox.cases import Case
from importer.sandbox.eve import META_FIELDS, OBJECT_ID
from importer.sandbox.money import has_at_most_two_decimals, to_ore

DEFAULT_CASES = "the packaged sample cases (importer/data/cases.json)"


def read_default_cases_text() -> str:
    """The packaged seed, read through importlib.resources so an installed wheel works too."""
    return (resources.files("importer") / "data" / "cases.json").read_text(encoding="utf-8")


def load_cases(path: str | os.PathLike[str] | None) -> list[Case]:
    """Parse and check a seed file (None: the packaged default)."""
    if path is None:
        source, text = DEFAULT_CASES, read_default_cases_text()
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise SandboxError(f"cases file {source}: cannot be read ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise SandboxError(f"cases file {source}: not UTF-8 text") from exc
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise SandboxError(f"cases file {source}: not valid JSON ({exc})") from exc
    if not isinstance(data, list):
        raise SandboxError(f"cases file {source}: expected a JSON list of case documents")

    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        case = _parse_case(raw, f"cases file {source}: case #{index + 1}")
        if case.id in seen:
            raise SandboxError(f"cases file {source}: case _id {case.id} appears twice")
        seen.add(case.id)
        cases.append(case)
    return cases


def _parse_case(raw: Any, where: str) -> Case:
    if not isinstance(raw, dict):
        raise SandboxError(f"{where}: expected a JSON object")
    for field in ("_id", "creditor", "account"):
        value = raw.get(field)
        if not isinstance(value, str) or not OBJECT_ID.match(value):
            raise SandboxError(f"{where}: {field} must be 24 lowercase hex digits, got {value!r}")
    debt = raw.get("debt", {})
    if not isinstance(debt, dict):
        raise SandboxError(f"{where}: debt must be an object")
    invoice_number = debt.get("invoice_number")
    reference_number = raw.get("reference_number")
    for name, value in (
        ("debt.invoice_number", invoice_number),
        ("reference_number", reference_number),
    ):
        if value is not None and not isinstance(value, str):
            raise SandboxError(f"{where}: {name} must be a string, got {value!r}")
    remaining = raw.get("local_remaining_capital_amount")
    if (
        isinstance(remaining, bool)
        or not isinstance(remaining, int | Decimal)
        or remaining < 0
        or not has_at_most_two_decimals(Decimal(remaining))
    ):
        raise SandboxError(
            f"{where}: local_remaining_capital_amount must be a number >= 0 with at most two "
            f"decimals, got {remaining!r}"
        )
    state = raw.get("state", "open")
    if not isinstance(state, str):
        raise SandboxError(f"{where}: state must be a string, got {state!r}")
    document = {k: v for k, v in raw.items() if k not in META_FIELDS}
    document["state"] = state
    return Case(
        id=raw["_id"],
        creditor=raw["creditor"],
        account=raw["account"],
        invoice_number=invoice_number,
        reference_number=reference_number,
        remaining_ore=to_ore(remaining),
        state=state,
        document=document,
    )
