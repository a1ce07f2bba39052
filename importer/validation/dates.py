"""Dates: `client_registration_date` cells → the API's RFC 1123 GMT text.

Why a module of its own: date handling is where imports silently shift credits by a day (a
date read as local midnight and converted to GMT lands on the previous day) or swap day and
month (04/07/2025). The rules that prevent both live here:

- **A date without a time is that calendar date at 00:00:00 GMT** — never converted, never
  shifted: `2025-07-04` → `Fri, 04 Jul 2025 00:00:00 GMT`. This covers ISO date text and date
  cells. A *naive* datetime cell at exactly midnight counts as a date too: spreadsheet readers
  hand back date-formatted cells as midnight datetimes, so midnight there means "a date".
- **A naive datetime** (text `2025-07-04 14:35`, `2025-07-04T14:35:29`, or a datetime cell with
  a time) is local time in the configured zone (default Europe/Stockholm, via zoneinfo, so
  summer time is handled) and converted to GMT. A wall time that does not exist or occurs
  twice on the day the clocks change is read with the offset in force *before* the change
  (PEP 495 `fold=0`).
- **An aware datetime** (`...Z`, `...+02:00`, `...UTC`, aware cells, RFC 1123 `... GMT`) is
  converted to GMT.
- Fractions of a second are dropped (RFC 1123 has whole seconds).
- **Refused**, never guessed: day-first / month-first forms such as `04/07/2025` or
  `4.7.2025` (`date_invalid`, asking for YYYY-MM-DD), calendar dates that do not exist
  (`2025-02-30`), numbers (an unconverted spreadsheet serial), years outside 1900-9999.

Text forms accepted: `YYYY-MM-DD`; `YYYY-MM-DD[T or space]HH:MM[:SS[.fraction]]` optionally
followed by `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`; RFC 1123
`Fri, 04 Jul 2025 14:35:29 GMT` (the weekday is recomputed, not trusted).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar, cast

from importer.validation.problems import CellProblem

_T = TypeVar("_T", dt.date, dt.datetime)

UTC = dt.UTC
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): number for number, name in enumerate(_MONTHS, start=1)}
MIN_YEAR, MAX_YEAR = 1900, 9999

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ISO_DATETIME = re.compile(
    r"""([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]
        ([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]{1,9})?)?
        \s*(?:(?P<utc>[Zz]|UTC|GMT)|(?P<sign>[+-])(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2}))?)?""",
    re.VERBOSE,
)
_RFC1123 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+([0-9]{1,2})\s+([A-Za-z]{3})\s+([0-9]{4})\s+"
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})\s+GMT",
    re.IGNORECASE,
)
_DAY_MONTH_ORDER = re.compile(r"[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}(?:[ T].*)?", re.DOTALL)


def format_rfc1123(moment: dt.datetime) -> str:
    """An aware datetime → `Fri, 04 Jul 2025 14:35:29 GMT` (English names whatever the
    process locale: `strftime('%a')` is locale-dependent, the API is not)."""
    u = moment.astimezone(UTC)
    return (
        f"{_WEEKDAYS[u.weekday()]}, {u.day:02d} {_MONTHS[u.month - 1]} {u.year:04d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d} GMT"
    )


def format_date(day: dt.date) -> str:
    """A calendar date → that date at 00:00:00 GMT (no time-zone arithmetic at all)."""
    return (
        f"{_WEEKDAYS[day.weekday()]}, {day.day:02d} {_MONTHS[day.month - 1]} "
        f"{day.year:04d} 00:00:00 GMT"
    )


class DateConverter:
    """Converts `client_registration_date` cells of one import; `timezone` is the zone of
    naive datetimes (a `tzinfo`, e.g. `zoneinfo.ZoneInfo("Europe/Stockholm")`)."""

    def __init__(self, timezone: dt.tzinfo) -> None:
        self.timezone = timezone

    def convert(self, cell: object) -> str | None:
        """One cell → RFC 1123 GMT text; None for an empty cell; CellProblem if unusable."""
        if cell is None:
            return None
        if isinstance(cell, str):
            text = cell.strip()
            return self._convert_text(text) if text else None
        if isinstance(cell, dt.datetime):
            if cell.tzinfo is None and cell.time() == dt.time(0):
                return self._checked_date(cell.date(), cell.isoformat(sep=" "))
            return self._from_datetime(cell, cell.isoformat(sep=" "))
        if isinstance(cell, dt.date):
            return self._checked_date(cell, cell.isoformat())
        if isinstance(cell, bool | int | float):
            raise CellProblem(
                "date_invalid",
                f"Date cell holds the number {cell}, not a date; format the column as a date "
                "or write the date as YYYY-MM-DD.",
            )
        raise CellProblem("date_invalid", f"Date {cell!r} is not a date; write it as YYYY-MM-DD.")

    def _convert_text(self, text: str) -> str:
        match = _ISO_DATE.fullmatch(text)
        if match:
            return self._checked_date(_make(text, dt.date, *map(int, match.groups())), text)
        match = _ISO_DATETIME.fullmatch(text)
        if match:
            year, month, day, hour, minute = map(int, match.group(1, 2, 3, 4, 5))
            second = int(match.group(6) or 0)
            zone: dt.tzinfo | None = None
            if match.group("utc"):
                zone = UTC
            elif match.group("sign"):
                minutes = int(match.group("oh")) * 60 + int(match.group("om") or 0)
                if minutes >= 24 * 60:
                    raise CellProblem("date_invalid", f"Date {text} has an impossible UTC offset.")
                sign = -1 if match.group("sign") == "-" else 1
                zone = dt.timezone(sign * dt.timedelta(minutes=minutes))
            moment = _make(text, dt.datetime, year, month, day, hour, minute, second)
            return self._from_datetime(moment.replace(tzinfo=zone), text)
        match = _RFC1123.fullmatch(text)
        if match:
            month_number = _MONTH_NUMBER.get(match.group(2).lower())
            if month_number is None:
                raise CellProblem("date_invalid", f"Date {text} has an unknown month name.")
            day, year, hour, minute, second = map(int, match.group(1, 3, 4, 5, 6))
            moment = _make(text, dt.datetime, year, month_number, day, hour, minute, second)
            return self._from_datetime(moment.replace(tzinfo=UTC), text)
        if _DAY_MONTH_ORDER.fullmatch(text):
            raise CellProblem(
                "date_invalid",
                f"Date {text} is ambiguous (is the day or the month first?); "
                "write dates as YYYY-MM-DD, e.g. 2025-07-04.",
            )
        raise CellProblem(
            "date_invalid",
            f"Date {text} is not a date this importer reads; write it as YYYY-MM-DD "
            "(optionally with a time: YYYY-MM-DD HH:MM).",
        )

    def _checked_date(self, day: dt.date, shown: str) -> str:
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise CellProblem(
                "date_invalid", f"Date {shown} is outside the years {MIN_YEAR}-{MAX_YEAR}."
            )
        return format_date(day)

    def _from_datetime(self, moment: dt.datetime, shown: str) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.timezone)
        try:
            utc = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            # from None: a cell problem is a value kept per distinct cell; datetime's
            # traceback would only hold memory.
            raise CellProblem(
                "date_invalid", f"Date {shown} is outside the years {MIN_YEAR}-{MAX_YEAR}."
            ) from None
        if not MIN_YEAR <= utc.year <= MAX_YEAR:
            raise CellProblem(
                "date_invalid", f"Date {shown} is outside the years {MIN_YEAR}-{MAX_YEAR}."
            )
        return format_rfc1123(utc)


def _make(text: str, kind: type[_T], *parts: int) -> _T:
    """Build a date/datetime, turning "no such day/time" into a CellProblem that says so."""
    try:
        # cast: the constraint lets mypy try datetime's tzinfo slot for the *parts ints
        return cast(Callable[..., _T], kind)(*parts)
    except ValueError:
        # from None: a cell problem is a value kept per distinct cell (see above).
        raise CellProblem(
            "date_invalid", f"Date {text} does not exist (check the day, month and time)."
        ) from None
