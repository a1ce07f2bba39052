"""The summary of a night (DESIGN.md §7): what one drop pass did to each file, as
`<report dir>/drops/<drop id>/summary.json` for machines and `summary.txt` for the email a person
reads in the morning.

It repeats each file's counts from its import report (never recounts them: the summary and the
reports must agree) and adds what only the drop knows — which inbox and creditor, where the file
was archived, and why a file was not imported. Money is Decimal here and a two-decimal string in
the JSON, as in report.json.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from importer.exit_codes import ExitCode
from importer.local_time import shown
from importer.outcomes import Outcome, worst

ATTENTION_SHOWN = 50
"""Rows needing attention listed per file; the rest are in the file's report."""


def money_text(value: Decimal) -> str:
    """`1 234 567.80`: two decimals, thin groups, the way finance staff read amounts."""
    return f"{value:,.2f}".replace(",", " ")


@dataclass(frozen=True, slots=True)
class AttentionRow:
    row: int
    outcome: str
    reason: str


@dataclass(slots=True)
class FileSummary:
    file: str
    """The name the sender gave it."""
    inbox: str
    state: str
    """`imported`, `already imported`, `rejected` (to failed/), or `unfinished` (left in
    processing/, resumed first on the next pass)."""
    exit_code: ExitCode
    creditors: list[str] = field(default_factory=list)
    import_id: str | None = None
    archived: Path | None = None
    reason: str | None = None
    resumed: bool = False
    rows: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    amount_requested: Decimal = Decimal("0")
    amount_settled: Decimal = Decimal("0")
    attention_total: int = 0
    attention: list[AttentionRow] = field(default_factory=list)
    report_dir: Path | None = None
    report_html: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "inbox": self.inbox,
            "creditors": self.creditors,
            "state": self.state,
            "exit_code": int(self.exit_code),
            "import_id": self.import_id,
            "archived_to": _text(self.archived),
            "reason": self.reason,
            "resumed": self.resumed,
            "rows": self.rows,
            "outcomes": self.outcomes,
            "statuses": self.statuses,
            "amount_requested": f"{self.amount_requested:.2f}",
            "amount_settled": f"{self.amount_settled:.2f}",
            "attention_total": self.attention_total,
            "attention": [
                {"row": a.row, "outcome": a.outcome, "reason": a.reason} for a in self.attention
            ],
            "report_dir": _text(self.report_dir),
            "report_html": _text(self.report_html),
        }


@dataclass(slots=True)
class DropSummary:
    drop_id: str
    inbox: Path
    started: datetime
    currency: str
    finished: datetime | None = None
    timezone: str | None = None
    """`report.timezone`: the zone summary.txt shows its time in (None: the machine's);
    summary.json keeps UTC."""
    files: list[FileSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What a person should know besides the files: a creditor inbox with a broken config.yaml,
    a subfolder taken by another drop."""
    note_codes: list[ExitCode] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return worst([*(f.exit_code for f in self.files), *self.note_codes])

    def as_json(self) -> dict[str, Any]:
        return {
            "drop_id": self.drop_id,
            "inbox": str(self.inbox),
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "exit_code": int(self.exit_code),
            "files": [f.as_json() for f in self.files],
            "notes": self.notes,
        }

    def text(self) -> str:
        meaning = _meaning(self.exit_code)
        if self.exit_code == ExitCode.INCOMPLETE and all(
            f.exit_code != ExitCode.INCOMPLETE for f in self.files
        ):  # no file waits: the summary itself could not be written (drop.run._publish)
            meaning = "this summary could not be written; every file's outcome is below"
        lines = [
            f"Drop {self.drop_id} — inbox {self.inbox}",
            f"{len(self.files)} file(s), exit code {int(self.exit_code)}"
            f" ({meaning}); started {shown(self.started, self.timezone)}",
        ]
        if not self.files and not self.notes:
            lines.append("Nothing was ready.")
        lines.extend(f"NOTE: {note}" for note in self.notes)
        for item in self.files:
            lines.append("")
            lines.extend(_file_lines(item, self.currency))
        return "\n".join(lines) + "\n"

    def write(self, report_dir: Path) -> Path:
        """Write summary.json and summary.txt (each whole or not at all) and return the folder."""
        folder = report_dir / "drops" / self.drop_id
        folder.mkdir(parents=True, exist_ok=True)
        body = json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n"
        _write_whole(folder / "summary.json", body)
        try:
            _write_whole(folder / "summary.txt", self.text())
        except OSError:
            with suppress(OSError):  # not written is not written: no summary.json of exit 0
                (folder / "summary.json").unlink()
            raise
        return folder


def _file_lines(item: FileSummary, currency: str) -> list[str]:
    creditor = ", ".join(item.creditors) or "none given"
    where = f"→ {item.archived}" if item.archived else "→ left in processing/"
    lines = [
        f"{item.file}  (inbox {item.inbox}, creditor {creditor})",
        f"  {item.state}, exit code {int(item.exit_code)} {where}",
    ]
    if item.reason:
        lines.append(f"  {item.reason}")
    if item.import_id and item.state in ("imported", "unfinished"):
        shown = ", ".join(f"{o.value} {item.outcomes.get(o.value, 0)}" for o in Outcome)
        lines.append(f"  {item.rows} rows: {shown}")
        statuses = ", ".join(f"{k} {v}" for k, v in item.statuses.items() if v)
        if statuses:
            lines.append(f"  statuses: {statuses}")
        lines.append(
            f"  amount requested {money_text(item.amount_requested)} {currency}, "
            f"settled {money_text(item.amount_settled)} {currency}"
        )
    if item.report_dir is not None:
        html = f" (open {item.report_html.name})" if item.report_html else ""
        lines.append(f"  report: {item.report_dir}{html}")
    if item.attention_total:
        more = item.attention_total - len(item.attention)
        lines.append(f"  needs attention: {item.attention_total} row(s)")
        lines.extend(f"    row {a.row} {a.outcome}: {a.reason}" for a in item.attention)
        if more > 0:
            lines.append(f"    … and {more} more in the report")
    return lines


def _meaning(code: ExitCode) -> str:
    return {
        ExitCode.OK: "all credited",
        ExitCode.ATTENTION: "rows need attention",
        ExitCode.USAGE: "a file or setting was rejected",
        ExitCode.INCOMPLETE: "a file could not finish; the next pass resumes it",
    }[code]


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _write_whole(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):  # a disk that filled leaves no half summary behind
            temporary.unlink()
        raise
