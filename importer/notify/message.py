"""What a notification says, built once and sent over every channel: a subject (who, which
night, the exit code, the counts), a one-line headline for chat, the body a person reads (the
night's summary, in the report language), the whole summary as data for a machine, and the
files attached (report.html, the summary) up to `notify.max_attachment_bytes`.

A message is plain data that is stored as JSON when it cannot be sent (it is owed, and the next
pass sends it), so it holds nothing that is not already in the reports: no key, no password, no
webhook URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.words import Language, text


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    headline: str
    """One line: the subject, for a chat message's first line or a JSON receiver's `text`."""
    body: str
    summary: dict[str, Any]
    """The whole summary (the night's summary.json, or an import's head), for machines."""
    exit_code: int
    attachments: tuple[Path, ...] = ()
    left_out: tuple[str, ...] = field(default=())
    """Lines for the body: files too large to attach, and where they are."""

    def full_body(self) -> str:
        """The body with what was not attached said at its end."""
        if not self.left_out:
            return self.body
        return self.body.rstrip("\n") + "\n\n" + "\n".join(self.left_out) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "headline": self.headline,
            "body": self.body,
            "summary": self.summary,
            "exit_code": self.exit_code,
            "attachments": [str(p) for p in self.attachments],
            "left_out": list(self.left_out),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(
            subject=str(data["subject"]),
            headline=str(data["headline"]),
            body=str(data["body"]),
            summary=dict(data["summary"]),
            exit_code=int(data["exit_code"]),
            attachments=tuple(Path(p) for p in data.get("attachments", [])),
            left_out=tuple(str(line) for line in data.get("left_out", [])),
        )


def attachable(
    paths: Iterable[Path], limit: int, language: Language
) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """(the files to attach, in order, while their sizes add up to at most `limit`; a line
    for each one left out, naming its size and where it is). A file that is gone is skipped."""
    kept: list[Path] = []
    left: list[str] = []
    used = 0
    for path in dict.fromkeys(paths):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if used + size <= limit:
            kept.append(path)
            used += size
        else:
            shown = f"{size / 1024:,.0f} KiB".replace(",", " ")
            left.append(text("night.not_attached", language, file=str(path), size=shown))
    return tuple(kept), tuple(left)
