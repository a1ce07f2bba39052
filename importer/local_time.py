"""The one time zone people read times in (`report.timezone`): reports, the command line and
drop summaries all show a moment in it, with its offset, so "09:14 +01:00" in report.xlsx is
"09:14 +01:00" in `importer show` and in the night's summary.txt — never 09:14 in one place and
08:14 UTC in another. The journal, report.json and every `--json` output keep UTC: they are
for machines.

The zone is a name (`Europe/Stockholm`) or None for the machine's own, which Python applies
per moment (`datetime.astimezone()`), so a summer time and a winter time each get their own
offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_zone(name: str | None) -> str | None:
    """`name` when it names a time zone (None: the machine's); ValueError naming it else."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone (a name such as Europe/Stockholm or UTC)"
        ) from None
    return name


def in_zone(moment: datetime, zone: str | None) -> datetime:
    """`moment` (naive means UTC, as the journal keeps it) as an aware time in `zone`."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(None if zone is None else ZoneInfo(zone))


def offset_text(moment: datetime) -> str:
    """The UTC offset of an aware time as people write it: `+01:00`, `-05:30`."""
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def shown(moment: datetime | None, zone: str | None, *, seconds: bool = True) -> str:
    """A moment as people read it: `2026-12-07 09:14:05 +01:00` in `zone` ("" for None)."""
    if moment is None:
        return ""
    local = in_zone(moment, zone)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{local.strftime('%Y-%m-%d ' + clock)} {offset_text(local)}"
