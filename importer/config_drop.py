"""The `drop:` section (docs/drops.md): when a dropped file counts as finished, the night's
clock, and what a creditor's folder may change of the configuration.

Apart from `importer.config` because it is one concept of its own — an inbox's settings and
the limits on a folder's word — that only `importer drop` reads; `config` holds it as one
section among the rest, as it holds `notify`'s."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from importer.config_section import HOUR
from importer.config_section import Section as _Section


class DropConfig(_Section):
    """`importer drop` (docs/drops.md): when a file in an inbox counts as finished."""

    ready: Literal["marker", "stable", "either"] = "either"
    """`marker`: a `<name>.done`/`.ok` beside it; `stable`: unchanged for `settle_seconds`
    and open for writing by nobody; `either` (default): whichever comes first."""
    settle_seconds: float = Field(default=60.0, ge=0, le=HOUR)
    interval: float = Field(default=60.0, gt=0, le=HOUR)
    """Seconds between passes with `--watch` (`--interval`)."""
    night_starts: str = "12:00"
    """Local time a night begins (and the previous one ends): the passes from then until the
    same time the next day add up in one summary, `drops/<the day it began>/`."""
    expect_by: str = "06:00"
    """Local time by which a folder with `expect: daily` must have had a file this night;
    after it, a night without one is said in the summary and notified."""
    expect: Literal["daily", "none"] = "none"
    """`daily`: a file is expected every night in this inbox (set it in a creditor's
    config.yaml, or in the main configuration for the top inbox); silence is then news."""
    orphan_marker_days: float = Field(default=7.0, ge=0, le=3650)
    """A marker without its file is listed in each drop's summary, and removed once its mtime
    is this many days old (a marker that waits for ever would one day release a file of the
    same name it was never written for)."""
    folders: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """A creditor's folder (a subfolder of the inbox, by name) -> its settings, laid over
    these as its config.yaml would be (see `FOLDER_SETTINGS`): the operator's word, where
    a config.yaml in the folder could be the uploader's."""

    @field_validator("night_starts", "expect_by", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        """`HH:MM` (24-hour). YAML 1.1 reads an unquoted `12:00` as the number 720 (base 60):
        taken back as the time it was written as."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            value = f"{value // 60:02d}:{value % 60:02d}"
        if not isinstance(value, str):
            return value
        found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if found is None:
            raise ValueError(f"{value!r} is not a time of day (HH:MM, 24-hour)")
        return f"{int(found[1]):02d}:{found[2]}"

    def clock(self, setting: Literal["night_starts", "expect_by"]) -> dt.time:
        return dt.time.fromisoformat(getattr(self, setting))

    def night_of(self, moment: dt.datetime) -> dt.date:
        """The night `moment` (local, aware) belongs to: the day it began, at
        `night_starts` (02:00 on the 7th is the night of the 6th)."""
        day = moment.date()
        return day - dt.timedelta(days=1) if moment.time() < self.clock("night_starts") else day

    @field_validator("folders")
    @classmethod
    def _folder_names(cls, folders: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, settings in folders.items():
            plain = name and "/" not in name and "\\" not in name and not name.startswith(".")
            if not plain or name in ("processing", "done", "failed"):
                raise ValueError(f"{name!r} is not a folder name of the inbox")
            problem = folder_problem(settings)
            if problem is not None:
                raise ValueError(f"{name}: {problem}")
        return folders


FOLDER_SETTINGS: dict[str, frozenset[str] | None] = {
    "defaults": None,
    "columns": None,
    "input": None,
    "drop": frozenset({"ready", "settle_seconds"}),
}
"""What a creditor's folder may change (`drop.folders` or its config.yaml; None: every key of
the section): whose files these are and how they read. Never where reports go, nor the API,
the journal, the dedupe rules, reconciliation or references: a folder is written to by the
sender, and those settings decide where money and word of it go."""

_FOLDER_SETTINGS_SAID = ", ".join(
    key if keys is None else ", ".join(f"{key}.{k}" for k in sorted(keys))
    for key, keys in FOLDER_SETTINGS.items()
)


def folder_problem(settings: dict[str, Any]) -> str | None:
    """Why a folder may not have `settings` (the first setting it may not change), or None."""
    for key, value in settings.items():
        allowed = FOLDER_SETTINGS.get(key, frozenset())
        if key not in FOLDER_SETTINGS:
            bad = key
        elif allowed is not None and isinstance(value, dict) and set(value) - allowed:
            bad = f"{key}.{sorted(set(value) - allowed)[0]}"
        else:
            continue
        return f"a folder may not set {bad} (it may change only {_FOLDER_SETTINGS_SAID})"
    return None
