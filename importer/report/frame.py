"""A finished report as a pandas DataFrame, for analysts who reconcile imports in notebooks.

`report.json` is the machine contract; this module reads it back into one row per input row,
with money as `Decimal` (never float: a finance sum must add up to the öre) and times as
timezone-aware pandas timestamps. The import's head (id, file, creditor, summary, warnings) is
kept in `DataFrame.attrs`, so the frame alone tells where it came from.

pandas is imported when `load_report` is called, not when `importer` is: the CLI and the
nightly job never pay its ~0.3 s import time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer.api.request import FIELDS
from importer.config_load import load_config
from importer.errors import ConfigError
from importer.report.model import OUTCOME_COLUMNS

if TYPE_CHECKING:  # pandas is imported when load_report is called (see the module docstring)
    import pandas as pd

REQUEST_COLUMNS: tuple[str, ...] = FIELDS
"""Every request field becomes a column of its own (money and dates typed): the list is the
contract's (`api.request.FIELDS`), so a field added there reaches analysts too."""

COLUMNS: tuple[str, ...] = (
    *OUTCOME_COLUMNS[: OUTCOME_COLUMNS.index("errors")],  # row … http_status, as report.csv
    *REQUEST_COLUMNS,
    "error_codes",
    "errors",
    "attempts",
    "source",
)
"""The frame's columns, in order: the outcome first, then what was asked, then why not."""


def report_path(path_or_import_id: str | os.PathLike[str], config_path: str | None = None) -> Path:
    """The report.json meant by a path (the file or its folder) or by an import id, which is
    looked up in the configured report folder."""
    candidate = Path(path_or_import_id)
    if candidate.is_dir():
        candidate = candidate / "report.json"
    if candidate.is_file():
        return candidate
    by_id = load_config(config_path).report.dir / str(path_or_import_id) / "report.json"
    if by_id.is_file():
        return by_id
    raise ConfigError(
        f"no report found for {path_or_import_id}: give the path of a report.json, its folder, "
        f"or an import id whose report is in {by_id.parent.parent}"
    )


def load_report(
    path_or_import_id: str | os.PathLike[str], *, config_path: str | None = None
) -> pd.DataFrame:
    """One row per input row of an import's report, in file order.

    `settled_amount` and `amount` hold `Decimal` values (object dtype), `http_status` is a
    nullable integer, `client_registration_date` a UTC timestamp; `errors` joins the row's
    messages as a person reads them and `error_codes` lists their stable codes. The report's
    head is in `frame.attrs` (`file_import_report`, `file`, `creditor`, `api`, `started`,
    `finished`, `summary`, `warnings`, `dry_run`)."""
    import pandas as pd

    path = report_path(path_or_import_id, config_path)
    try:
        with path.open("rb") as handle:
            report = json.load(handle, parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable report.json ({exc.__class__.__name__})") from exc
    rows = report.get("rows") if isinstance(report, dict) else None
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: not a report.json (no rows list)")
    frame = pd.DataFrame(_records(rows), columns=list(COLUMNS))
    frame["http_status"] = frame["http_status"].astype("Int64")
    frame["client_registration_date"] = pd.to_datetime(frame["client_registration_date"], utc=True)
    frame.attrs.update(
        {key: report.get(key) for key in _HEAD if key in report},
    )
    for key in ("started", "finished"):
        if frame.attrs.get(key):
            frame.attrs[key] = pd.Timestamp(frame.attrs[key])
    return frame


_HEAD = (
    "file_import_report",
    "file",
    "creditor",
    "api",
    "dry_run",
    "sandbox",
    "started",
    "finished",
    "exit_code",
    "summary",
    "warnings",
)


def _records(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for row in rows:
        request = row.get("request") or {}
        errors = row.get("errors") or []
        yield {
            "row": row["row"],
            "outcome": row["outcome"],
            "_id": row.get("_id"),
            "status": row.get("status"),
            "status_reason_locale": row.get("status_reason_locale"),
            "settled_amount": _money(row.get("settled_amount")),
            "http_status": row.get("http_status"),
            **{field: request.get(field) for field in REQUEST_COLUMNS},
            "amount": _money(request.get("amount")),
            "client_registration_date": _moment(request.get("client_registration_date")),
            "error_codes": [error["code"] for error in errors],
            "errors": "; ".join(_error_text(error) for error in errors),
            "attempts": len(row.get("attempts") or []),
            "source": row.get("source") or {},
        }


def _money(value: Any) -> Decimal | None:
    """A JSON number read as Decimal, or a two-decimal money string, as Decimal."""
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _moment(value: Any) -> Any:
    """RFC 1123 (`Fri, 04 Jul 2025 14:35:29 GMT`), as the API takes it, to an aware datetime."""
    if not value:
        return None
    return parsedate_to_datetime(str(value))


def _error_text(error: dict[str, Any]) -> str:
    field = error.get("field")
    message = error.get("message", "")
    return f"{field}: {message}" if field else str(message)
