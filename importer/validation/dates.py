"""Dates: `client_registration_date` cells → the API's RFC 1123 GMT text.

Why a module of its own: date handling is where imports silently shift credits by a day (a
date read as local midnight and converted to GMT lands on the previous day) or swap day and
month (04/07/2025). The rules that prevent both live here:

- **A date without a time is that calendar date at 00:00:00 GMT** — never converted, never
  shifted: `2025-07-04` → `Fri, 04 Jul 2025 00:00:00 GMT`. This covers ISO date text and date
  cells. A *naive* datetime at exactly midnight counts as a date too, cell or text
  (`2026-11-20 00:00:00`): spreadsheet readers hand back date-formatted cells as midnight
  datetimes, and ERP exports write a date that way, so midnight there means "a date".
- **A naive datetime** (text `2025-07-04 14:35`, `2025-07-04T14:35:29`, or a datetime cell with
  a time) is local time in the configured zone (default Europe/Stockholm, via zoneinfo, so
  summer time is handled) and converted to GMT. A wall time that does not exist or occurs
  twice on the day the clocks change is read with the offset in force *before* the change
  (PEP 495 `fold=0`), and the converter notes it (`shifted`) so the report can warn.
- **An aware datetime** (`...Z`, `...+02:00`, `...UTC`, aware cells, RFC 1123 `... GMT`) is
  converted to GMT.
- Fractions of a second are dropped (RFC 1123 has whole seconds).
- **Day-first or month-first** (`20/11/2026`, `11/20/2026`, `20.11.2026`) is decided per file
  from the dates that tell (`date_order`); `04/07/2025` in a file where nothing tells is
  refused as ambiguous, never guessed. `input.date_format` (a `strptime` pattern such as
  `%d/%m/%Y`) pins the form instead.
- **Excel's zero date** (serial 0, shown as 1900-01-00 or 1899-12-31; what a formula leaves
  in a "blank" date cell) is an empty date cell.
- **Refused**: calendar dates that do not exist (`2025-02-30`), numbers (an unconverted
  spreadsheet serial), years outside 1900-9999, two-digit years.

Text forms accepted: `YYYY-MM-DD`; `YYYY-MM-DD[T or space]HH:MM[:SS[.fraction]]` optionally
followed by `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`; RFC 1123
`Fri, 04 Jul 2025 14:35:29 GMT` (the weekday is recomputed, not trusted); `D/M/YYYY`,
`M/D/YYYY`, `D-M-YYYY`, `D.M.YYYY`, each optionally followed by `HH:MM[:SS]` (local time).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TypeVar, cast

from importer.errors import excerpt
from importer.outcomes import ImportWarning
from importer.validation.date_order import NUMERIC_DATE, FileOrder
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
_ZERO_DATES = frozenset({dt.date(1899, 12, 31), dt.date(1899, 12, 30)})
"""Excel's serial 0 (1899-12-31 in Excel's 1900 system, 1899-12-30 as LibreOffice counts)."""
_ZERO_TEXTS = frozenset({"1900-01-00", "1899-12-31", "1899-12-30", "00.01.1900", "0/1/1900"})

_LONGEST_DATE = 64
"""No date form read here is longer; a longer cell is quoted in part, not whole."""

Shift = Literal["gap", "overlap"]


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

    def __init__(self, timezone: dt.tzinfo, date_format: str | None = None) -> None:
        self.timezone = timezone
        self.date_format = date_format
        self.order = FileOrder(None, conflicting=False)
        self.shifted: dict[str, Shift] = {}
        """Naive local times (as shown) that fell in a daylight-saving gap or overlap."""

    def learn(self, cells: Iterable[object]) -> None:
        """Take one file's date cells: its day/month order, and no shifts noted yet."""
        self.begin(FileOrder.of(cells))

    def begin(self, order: FileOrder) -> None:
        """Start a file whose day/month order is known (told by all its dates, which may be
        read a block at a time: `date_order.DateVotes`): no shifts noted yet."""
        self.order = order
        self.shifted = {}

    def convert(self, cell: object) -> str | None:
        """One cell → RFC 1123 GMT text; None for an empty cell; CellProblem if unusable."""
        if cell is None:
            return None
        if isinstance(cell, str):
            text = cell.strip()
            if text in _ZERO_TEXTS:
                return None
            if len(text) > _LONGEST_DATE:
                raise CellProblem(
                    "date_invalid",
                    f"Date {excerpt(text, 40)} is not a date; write it as YYYY-MM-DD.",
                )
            return self._convert_text(text) if text else None
        if isinstance(cell, dt.datetime):
            if cell.tzinfo is None and cell.time() == dt.time(0):
                return self._checked_date(cell.date(), cell.isoformat(sep=" "))
            return self._from_datetime(cell, cell.isoformat(sep=" "))
        if isinstance(cell, dt.date):
            if cell in _ZERO_DATES:
                return None
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
            if zone is None and moment.time() == dt.time(0):
                return self._checked_date(moment.date(), text)  # a date, written as midnight
            return self._from_datetime(moment.replace(tzinfo=zone), text)
        match = _RFC1123.fullmatch(text)
        if match:
            month_number = _MONTH_NUMBER.get(match.group(2).lower())
            if month_number is None:
                raise CellProblem("date_invalid", f"Date {text} has an unknown month name.")
            day, year, hour, minute, second = map(int, match.group(1, 3, 4, 5, 6))
            moment = _make(text, dt.datetime, year, month_number, day, hour, minute, second)
            return self._from_datetime(moment.replace(tzinfo=UTC), text)
        if self.date_format is not None:
            return self._pinned(text)
        match = NUMERIC_DATE.fullmatch(text)
        if match:
            return self._numeric(text, match)
        if _DAY_MONTH_ORDER.fullmatch(text):
            raise CellProblem(
                "date_invalid",
                f"Date {text} has a two-digit year (or an unreadable time); "
                "write dates as YYYY-MM-DD, e.g. 2025-07-04.",
            )
        raise CellProblem(
            "date_invalid",
            f"Date {text} is not a date this importer reads; write it as YYYY-MM-DD "
            "(optionally with a time: YYYY-MM-DD HH:MM).",
        )

    def _numeric(self, text: str, match: re.Match[str]) -> str:
        told = self.order.day_and_month(int(match["a"]), int(match["b"]), match["sep"])
        if isinstance(told, str):
            raise CellProblem(
                "date_invalid",
                f"Date {text} is ambiguous (is the day or the month first?): {told}; "
                "write dates as YYYY-MM-DD, e.g. 2025-07-04, or set input.date_format.",
            )
        day, month = told
        year = int(match["year"])
        if match["hour"] is None:
            return self._checked_date(_make(text, dt.date, year, month, day), text)
        hour, minute = int(match["hour"]), int(match["minute"])
        second = int(match["second"] or 0)
        moment = _make(text, dt.datetime, year, month, day, hour, minute, second)
        if moment.time() == dt.time(0):
            return self._checked_date(moment.date(), text)
        return self._from_datetime(moment, text)

    def _pinned(self, text: str) -> str:
        """`input.date_format`: the one form this file's dates take besides ISO and RFC 1123."""
        pattern = self.date_format or ""
        try:
            moment = dt.datetime.strptime(text, pattern)
        except ValueError:
            raise CellProblem(
                "date_invalid",
                f"Date {text} does not match input.date_format {pattern} "
                "(nor YYYY-MM-DD); check the cell or the setting.",
            ) from None
        if moment.time() == dt.time(0):
            return self._checked_date(moment.date(), text)
        return self._from_datetime(moment, text)

    def _checked_date(self, day: dt.date, shown: str) -> str:
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise CellProblem(
                "date_invalid", f"Date {shown} is outside the years {MIN_YEAR}-{MAX_YEAR}."
            )
        return format_date(day)

    def _from_datetime(self, moment: dt.datetime, shown: str) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.timezone)
            shift = _shift(moment)
            if shift is not None:
                self.shifted[shown] = shift
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


def _shift(local: dt.datetime) -> Shift | None:
    """Whether a naive wall time in its zone does not exist (the spring gap) or occurs twice
    (the autumn overlap): then its two readings (PEP 495 fold) have different offsets."""
    try:
        if local.utcoffset() == local.replace(fold=1).utcoffset():
            return None
        back = local.astimezone(UTC).astimezone(local.tzinfo)
    except (OverflowError, ValueError):
        return None
    return "gap" if back.replace(tzinfo=None) != local.replace(tzinfo=None) else "overlap"


def daylight_saving(
    shifted: dict[str, Shift], cells: Sequence[object], numbers: Sequence[int], zone: str
) -> tuple[ImportWarning, ...]:
    """Warnings for naive times the clocks skipped or repeated (`DateConverter.shifted`,
    keyed by the text shown): read with the offset before the change, which a person should
    confirm. One pass over the date column, only when there is something to say."""
    return daylight_warnings(daylight_rows(shifted, cells, numbers), zone)


def daylight_rows(
    shifted: dict[str, Shift], cells: Sequence[object], numbers: Sequence[int]
) -> dict[Shift, list[int]]:
    """The numbers of the rows whose date cell names a skipped ("gap") or repeated
    ("overlap") local time, by kind: rows of a file read a block at a time add up."""
    rows: dict[Shift, list[int]] = {"gap": [], "overlap": []}
    if not shifted:
        return rows
    for number, cell in zip(numbers, cells, strict=True):
        if isinstance(cell, str):
            shown = cell.strip()
        elif isinstance(cell, dt.datetime):
            shown = cell.isoformat(sep=" ")
        else:
            continue
        kind = shifted.get(shown)
        if kind is not None:
            rows[kind].append(number)
    return rows


def daylight_warnings(rows: dict[Shift, list[int]], zone: str) -> tuple[ImportWarning, ...]:
    """One warning per kind of shift some row's date has (`daylight_rows`)."""
    what = {
        "gap": "does not exist (the clocks jumped forward that night)",
        "overlap": "occurs twice (the clocks went back that night)",
    }
    return tuple(
        ImportWarning(
            code=f"daylight_saving_{kind}",
            message=(
                f"{len(found)} date(s) name a local time that {what[kind]} in {zone}: rows "
                f"{', '.join(map(str, found[:20]))}{' …' if len(found) > 20 else ''}; read "
                "with the offset in force before the change — check them, or give the time "
                "with its offset"
            ),
            rows=found,
        )
        for kind, found in rows.items()
        if found
    )
