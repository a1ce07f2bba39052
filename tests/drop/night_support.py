"""A drop run in this process with an injected clock, so a night's passes (and its
boundaries, and `drop.expect_by`) are tested without sleeping: `Night.pass_at(moment)` runs
one pass as if it were then and keeps what it printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pipeline.exactly_once_support import CREDITOR

import importer
from importer.config import Config
from importer.exit_codes import ExitCode

ZONE = timezone(timedelta(hours=1), "CET")


def at(text: str) -> datetime:
    """`2027-01-15 02:00` as local time (+01:00). A date after the machine's clock, so every
    file a test writes is older than the night's moments."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@dataclass
class Night:
    work: Path
    inbox: Path
    config: Config
    printed: list[str] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: at("2027-01-15 02:00"))

    def pass_at(self, moment: str, **options: Any) -> tuple[ExitCode, str]:
        """One pass at `moment` (local); (exit code, what it printed)."""
        self.now = at(moment)
        before = len(self.printed)
        drop = importer.Drop(
            self.inbox,
            self.config,
            importer.DropOptions(**options),
            printer=self.printed.append,
            clock=lambda: self.now,
        )
        code = drop.run()
        return code, "".join(self.printed[before:])

    def summary(self, night: str) -> Path:
        return self.work / "reports" / "drops" / night


def night_config(work: Path, url: str, **sections: Any) -> Config:
    data: dict[str, Any] = {
        "api": {"base_url": url, "read_timeout": 1.0, "max_attempts": 1},
        "defaults": {"creditor": CREDITOR},
        # the clock's fixed +01:00 (ZONE) is the report's zone: the same on any machine
        "report": {"dir": str(work / "reports"), "timezone": "Etc/GMT-1"},
        "journal": {"path": str(work / "journal.sqlite")},
        "drop": {"settle_seconds": 0},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Config.model_validate(data)


def make_night(tmp_path: Path, url: str, **sections: Any) -> Night:
    work = tmp_path / "work"
    inbox = work / "inbox"
    inbox.mkdir(parents=True)
    return Night(work, inbox, night_config(work, url, **sections))
