"""The summary of a night: what the drop passes of one night did to each file,
what waits and why, which folders were left alone, which expected file never came, and whether
the night was notified — as `<report dir>/drops/<night>/summary.json` for machines and
`summary.txt` (`summary_text`, in the report language) for the person on duty.

It repeats each file's counts from its import report (never recounts them: the summary and the
reports must agree) and adds what only the drop knows — which inbox and creditor, where the file
was archived, and why a file was not imported. Money is Decimal here and a two-decimal string in
the JSON, as in report.json. `from_json` reads a summary back, so the passes of a night add up
(`night`) whether they run in one `--watch` process or one cron start each.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from importer.errors import FileRejected
from importer.exit_codes import ExitCode
from importer.outcomes import worst
from importer.refusal import Refusal
from importer.words import Language

ATTENTION_SHOWN = 50
"""Rows needing attention listed per file; the rest are in the file's report."""

WaitKind = Literal["settling", "open", "no_marker"]


@dataclass(frozen=True, slots=True)
class AttentionRow:
    row: int
    outcome: str
    reason: str
    credit_note: str | None = None
    invoice: str | None = None
    """The invoice number the row credits, or its case id when it names the case."""


@dataclass(frozen=True, slots=True)
class OrphanMarker:
    """A marker without its file (`drop.readiness.orphan_markers`)."""

    marker: str
    inbox: str
    age_days: int
    removed: bool
    """Removed now, being `drop.orphan_marker_days` old."""


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
    """Why the file was not imported, as the pass that said it worded it (for machines, in
    summary.json); `reason_in` says it in the summary's language."""
    refused: FileRejected | None = None
    """A file refused as a whole: its refusal, kept as a code and facts (`importer.refusal`)
    so that every pass words it again in the language of the summary it writes."""
    problem: str | None = None
    """The import's own problem and its fix (`importer.attention.FILE_PROBLEMS`), said once
    for the file; its rows are `problem_rows`, not listed one by one as needing attention."""
    problem_rows: list[int] = field(default_factory=list)
    resumed: bool = False
    rows: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    amount_requested: Decimal = Decimal("0")
    amount_settled: Decimal = Decimal("0")
    amount_read: Decimal | None = None
    """Every amount the file's rows show, as the report's control total (None: a summary
    written before it was kept); to match the creditor's own total for the file."""
    rows_without_amount: int = 0
    attention_total: int = 0
    attention: list[AttentionRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """The import's own warnings (hidden rows, total rows left out), as its report says them."""
    report_dir: Path | None = None
    report_html: Path | None = None
    inbox_path: Path | None = None
    """The inbox folder itself, for the next command (`importer drop INBOX`)."""

    def reason_in(self, language: Language) -> str | None:
        """`reason` as a person reading `language` reads it: a refusal worded again in it."""
        return self.reason if self.refused is None else self.refused.said_in(language)

    def key(self) -> tuple[str, ...]:
        """What makes two entries of a night the same file: its import, else its name."""
        return ("import", self.import_id) if self.import_id else ("file", self.inbox, self.file)

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
            "refusal": None
            if self.refused is None
            else {"file": self.refused.file, **self.refused.refusal.as_json()},
            "problem": self.problem,
            "resumed": self.resumed,
            "rows": self.rows,
            "outcomes": self.outcomes,
            "statuses": self.statuses,
            "amount_requested": f"{self.amount_requested:.2f}",
            "amount_settled": f"{self.amount_settled:.2f}",
            "amount_read": None if self.amount_read is None else f"{self.amount_read:.2f}",
            "rows_without_amount": self.rows_without_amount,
            "attention_total": self.attention_total,
            "attention": [
                {
                    "row": a.row,
                    "outcome": a.outcome,
                    "reason": a.reason,
                    "credit_note": a.credit_note,
                    "invoice": a.invoice,
                }
                for a in self.attention
            ],
            "warnings": self.warnings,
            "report_dir": _text(self.report_dir),
            "report_html": _text(self.report_html),
            "inbox_path": _text(self.inbox_path),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileSummary:
        return cls(
            file=data["file"],
            inbox=data["inbox"],
            state=data["state"],
            exit_code=ExitCode(data["exit_code"]),
            creditors=list(data.get("creditors", [])),
            import_id=data.get("import_id"),
            archived=_path(data.get("archived_to")),
            reason=data.get("reason"),
            refused=_refused(data.get("refusal")),
            resumed=bool(data.get("resumed")),
            rows=int(data.get("rows", 0)),
            outcomes=dict(data.get("outcomes", {})),
            statuses=dict(data.get("statuses", {})),
            amount_requested=Decimal(data.get("amount_requested", "0")),
            amount_settled=Decimal(data.get("amount_settled", "0")),
            amount_read=_money(data.get("amount_read")),
            rows_without_amount=int(data.get("rows_without_amount", 0)),
            attention_total=int(data.get("attention_total", 0)),
            attention=[
                AttentionRow(
                    int(a["row"]), a["outcome"], a["reason"], a.get("credit_note"), a.get("invoice")
                )
                for a in data.get("attention", [])
            ],
            warnings=list(data.get("warnings", [])),
            report_dir=_path(data.get("report_dir")),
            report_html=_path(data.get("report_html")),
            inbox_path=_path(data.get("inbox_path")),
        )


def _refused(data: Any) -> FileRejected | None:
    """The refusal `as_json` kept; None for a summary written before refusals were kept, or
    one this version cannot word (then `reason`, as the pass worded it, is said)."""
    if not isinstance(data, dict) or not isinstance(data.get("file"), str):
        return None
    refusal = Refusal.from_json(data)
    return None if refusal is None else FileRejected(data["file"], refusal)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A file a pass saw and did not take, and why (`kind`)."""

    inbox: str
    file: str
    kind: WaitKind
    since: datetime
    """When it last changed (local time)."""
    settled: bool = False
    """Unchanged for `drop.settle_seconds`: a file without its marker that is no longer being
    written is news (its sender forgot the marker), one still arriving is not."""

    def as_json(self) -> dict[str, Any]:
        return {
            "inbox": self.inbox,
            "file": self.file,
            "why": self.kind,
            "changed": self.since.isoformat(timespec="seconds"),
            "settled": self.settled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Waiting:
        return cls(
            data["inbox"],
            data["file"],
            data["why"],
            datetime.fromisoformat(data["changed"]),
            bool(data.get("settled")),
        )


@dataclass(frozen=True, slots=True)
class Ignored:
    """A subfolder of the inbox that is no creditor's inbox (no config.yaml): left alone."""

    folder: Path
    files: int

    def as_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "why": "no config.yaml", "files": self.files}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ignored:
        return cls(Path(data["folder"]), int(data.get("files", 0)))


@dataclass(slots=True)
class DropSummary:
    drop_id: str
    """The night (`2026-12-07`, the day it began) for a night's summary; a pass's id
    (`20261207-021500-…`) for the summary of one pass before it is added to its night."""
    inbox: Path
    started: datetime
    currency: str
    language: Language = "en"
    """`report.language`: summary.txt is read by the same people as the reports."""
    finished: datetime | None = None
    timezone: str | None = None
    """`report.timezone`: the zone summary.txt shows its time in (None: the machine's);
    summary.json keeps UTC."""
    files: list[FileSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What a person should know besides the files: a creditor inbox with a broken config.yaml,
    a subfolder taken by another drop."""
    note_codes: list[ExitCode] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    expecting: list[str] = field(default_factory=list)
    """Labels of the inboxes set to `drop.expect: daily`."""
    missing: list[str] = field(default_factory=list)
    """Of those, the ones that had no file by `drop.expect_by`."""
    expect_by: str | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)
    orphan_markers: list[OrphanMarker] = field(default_factory=list)
    """Markers without their file, listed every pass until they are removed."""
    orphan_marker_days: float = 7.0

    def add_notifications(self, told: Iterable[dict[str, Any]]) -> None:
        """Record what a pass told over each channel. A channel that fails again as it failed
        last time is not recorded again: a webhook down for an hour of one-minute passes is
        one "NOT notified" line in the summary (and in the message finally sent), not sixty;
        once it takes a message, that is recorded."""
        for entry in told:
            last = next(
                (n for n in reversed(self.notifications) if n.get("channel") == entry["channel"]),
                None,
            )
            repeated = last is not None and not last.get("sent") and not entry.get("sent")
            if repeated and last is not None and last.get("problem") == entry.get("problem"):
                continue
            self.notifications.append(entry)

    @property
    def exit_code(self) -> ExitCode:
        silent = [ExitCode.ATTENTION] if self.missing else []
        return worst([*(f.exit_code for f in self.files), *self.note_codes, *silent])

    def as_json(self) -> dict[str, Any]:
        return {
            "drop_id": self.drop_id,
            "night": self.drop_id,
            "inbox": str(self.inbox),
            "language": self.language,
            "currency": self.currency,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": self.finished.isoformat(timespec="seconds") if self.finished else None,
            "exit_code": int(self.exit_code),
            "files": [f.as_json() for f in self.files],
            "notes": self.notes,
            "note_exit_codes": [int(code) for code in self.note_codes],
            "waiting": [w.as_json() for w in self.waiting],
            "ignored": [i.as_json() for i in self.ignored],
            "expecting": self.expecting,
            "missing": self.missing,
            "expect_by": self.expect_by,
            "notifications": self.notifications,
            "orphan_markers": [
                {"marker": o.marker, "inbox": o.inbox, "age_days": o.age_days, "removed": o.removed}
                for o in self.orphan_markers
            ],
            "orphan_marker_days": self.orphan_marker_days,
            "timezone": self.timezone,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DropSummary:
        return cls(
            drop_id=data["drop_id"],
            inbox=Path(data["inbox"]),
            started=datetime.fromisoformat(data["started"]),
            currency=data.get("currency", "SEK"),
            finished=datetime.fromisoformat(data["finished"]) if data.get("finished") else None,
            files=[FileSummary.from_json(f) for f in data.get("files", [])],
            notes=list(data.get("notes", [])),
            note_codes=[ExitCode(c) for c in data.get("note_exit_codes", [])],
            language=data.get("language", "en"),
            waiting=[Waiting.from_json(w) for w in data.get("waiting", [])],
            ignored=[Ignored.from_json(i) for i in data.get("ignored", [])],
            expecting=list(data.get("expecting", [])),
            missing=list(data.get("missing", [])),
            expect_by=data.get("expect_by"),
            notifications=list(data.get("notifications", [])),
            orphan_markers=[OrphanMarker(**o) for o in data.get("orphan_markers", [])],
            orphan_marker_days=data.get("orphan_marker_days", 7.0),
            timezone=data.get("timezone"),
        )

    def write(self, report_dir: Path, text: str) -> Path:
        """Write summary.json and `text` as summary.txt (`summary_text.render`), each whole or
        not at all, and return the folder."""
        folder = report_dir / "drops" / self.drop_id
        folder.mkdir(parents=True, exist_ok=True)
        body = json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n"
        _write_whole(folder / "summary.json", body)
        try:
            _write_whole(folder / "summary.txt", text)
        except OSError:
            with suppress(OSError):  # not written is not written: no summary.json of exit 0
                (folder / "summary.json").unlink()
            raise
        return folder


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _write_whole(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):  # a disk that filled leaves no half summary behind
            temporary.unlink()
        raise
