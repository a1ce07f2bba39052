"""How a summary says times and counts in the report language — one place for the
night's summary (`importer.drop.summary_text`) and an import's notification
(`importer.notify.imports`), so the two never write the same count two ways."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from importer.local_time import shown
from importer.outcomes import Outcome
from importer.words import Language, number_text, text


def local_time(moment: datetime, zone: str | None = None) -> str:
    """`2026-12-07 02:15:03 +01:00`: the time in `zone` (`report.timezone`; None: the
    machine's) with its offset, never a bare clock time. An aware time with no zone asked
    for is shown in its own offset: the drop's clock already reads local time."""
    if zone is None and moment.utcoffset() is not None:
        text = moment.isoformat(sep=" ", timespec="seconds")
        return text[:-6] + " " + text[-6:]
    return shown(moment, zone)


def counted(name: str, language: Language) -> str:
    """An outcome or status as a count names it (`credited`, `krediterade`)."""
    return text(f"night.count_{name}", language)


def outcome_counts(outcomes: Mapping[str, int], language: Language) -> str:
    """`credited 12, invalid 1, rejected 0, …`: every outcome, in the report's order."""
    return ", ".join(f"{counted(o.value, language)} {outcomes.get(o.value, 0)}" for o in Outcome)


def status_counts(statuses: Mapping[str, int], language: Language) -> str:
    """`completed 11, warning 1`: the statuses that occur."""
    return ", ".join(f"{counted(k, language)} {v}" for k, v in statuses.items() if v)


def read_text(read: Decimal, unread: int, language: Language, currency: str) -> str:
    """The amount read (the report's control total) as the night's summary and a run's
    notification say it, with the rows whose amount could not be read: what the creditor's
    own total for the file is matched against."""
    key = "night.read_unread" if unread else "night.read"
    return text(key, language, read=number_text(read, language), currency=currency, count=unread)
