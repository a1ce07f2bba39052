"""Dates (importer.validation.dates): dates never shift a day, naive datetimes are local time in the
configured zone (summer time included), everything leaves as RFC 1123 GMT, and ambiguous
day/month forms are refused."""

from __future__ import annotations

import datetime as dt
import email.utils
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.validation.dates import DateConverter, format_date, format_rfc1123
from importer.validation.problems import CellProblem

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ZONES = ["Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
convert = DateConverter(STOCKHOLM).convert

dates = st.dates(min_value=dt.date(1900, 1, 2), max_value=dt.date(9998, 12, 30))
naive_datetimes = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 12, 31)
).map(lambda d: d.replace(microsecond=0))


def rfc_midnight(day: dt.date) -> str:
    """The reference rendering from the standard library (independent of our code)."""
    return email.utils.format_datetime(
        dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), usegmt=True
    )


def parse_rfc(text: str) -> dt.datetime:
    return email.utils.parsedate_to_datetime(text)


# ------------------------------------------------------------------ a date never shifts


@given(dates)
def test_an_iso_date_is_that_calendar_day_at_midnight_gmt(day: dt.date) -> None:
    assert convert(day.isoformat()) == rfc_midnight(day)


@given(dates)
def test_a_date_cell_is_that_calendar_day_at_midnight_gmt(day: dt.date) -> None:
    assert convert(day) == rfc_midnight(day)


@given(dates, st.sampled_from(ZONES))
def test_a_date_never_shifts_whatever_the_zone(day: dt.date, zone: str) -> None:
    converter = DateConverter(ZoneInfo(zone))
    assert converter.convert(day.isoformat()) == rfc_midnight(day)
    assert converter.convert(day) == rfc_midnight(day)


@given(dates)
def test_a_naive_midnight_datetime_cell_is_a_date(day: dt.date) -> None:
    # Spreadsheet readers hand back date-formatted cells as midnight datetimes.
    cell = dt.datetime(day.year, day.month, day.day)
    assert convert(cell) == rfc_midnight(day)


# ------------------------------------------------------------------ naive = local time


@given(naive_datetimes, st.sampled_from(ZONES), st.sampled_from(["T", " "]))
def test_a_naive_datetime_is_local_time_in_the_configured_zone(
    moment: dt.datetime, zone: str, separator: str
) -> None:
    tz = ZoneInfo(zone)
    # Written as text the time carries no fold: a repeated hour reads with the offset before
    # the change (fold 0), whatever fold the generated moment had.
    expected = moment.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if moment.time() == dt.time(0):  # exactly midnight: a date written as a datetime
        expected = dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.UTC)
    text = moment.isoformat(sep=separator)
    result = DateConverter(tz).convert(text)
    assert result is not None
    assert parse_rfc(result) == expected
    assert result.endswith(" GMT")


@given(naive_datetimes.filter(lambda m: m.time() != dt.time(0)), st.sampled_from(ZONES))
def test_a_naive_datetime_cell_is_local_time(moment: dt.datetime, zone: str) -> None:
    tz = ZoneInfo(zone)
    result = DateConverter(tz).convert(moment)
    assert result is not None
    assert parse_rfc(result) == moment.replace(tzinfo=tz).astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-04 14:35", "Fri, 04 Jul 2025 12:35:00 GMT"),  # summer: UTC+2
        ("2025-07-04T14:35:29", "Fri, 04 Jul 2025 12:35:29 GMT"),
        ("2025-01-15 14:35", "Wed, 15 Jan 2025 13:35:00 GMT"),  # winter: UTC+1
        ("2025-03-30 01:30", "Sun, 30 Mar 2025 00:30:00 GMT"),  # before the spring change
        ("2025-03-30 03:30", "Sun, 30 Mar 2025 01:30:00 GMT"),  # after it
        ("2025-03-30 02:30", "Sun, 30 Mar 2025 01:30:00 GMT"),  # does not exist: fold=0
        ("2025-10-26 02:30", "Sun, 26 Oct 2025 00:30:00 GMT"),  # occurs twice: the first
        ("2025-10-26 03:30", "Sun, 26 Oct 2025 02:30:00 GMT"),
        ("2025-01-01 00:30", "Tue, 31 Dec 2024 23:30:00 GMT"),  # a time may cross the day
    ],
)
def test_stockholm_local_time_across_summer_time(text: str, expected: str) -> None:
    assert convert(text) == expected


def test_the_zone_is_configurable() -> None:
    new_york = DateConverter(ZoneInfo("America/New_York"))
    assert new_york.convert("2025-07-04 14:35") == "Fri, 04 Jul 2025 18:35:00 GMT"
    assert new_york.convert("2025-07-04") == "Fri, 04 Jul 2025 00:00:00 GMT"


# ------------------------------------------------------------------ aware input


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-04T14:35:29Z", "Fri, 04 Jul 2025 14:35:29 GMT"),
        ("2025-07-04T14:35:29z", "Fri, 04 Jul 2025 14:35:29 GMT"),
        ("2025-07-04 14:35:29 UTC", "Fri, 04 Jul 2025 14:35:29 GMT"),
        ("2025-07-04T14:35:29+02:00", "Fri, 04 Jul 2025 12:35:29 GMT"),
        ("2025-07-04T14:35:29+0200", "Fri, 04 Jul 2025 12:35:29 GMT"),
        ("2025-07-04T14:35:29+02", "Fri, 04 Jul 2025 12:35:29 GMT"),
        ("2025-07-04T01:00:00+05:30", "Thu, 03 Jul 2025 19:30:00 GMT"),
        ("2025-07-04T22:00:00-03:00", "Sat, 05 Jul 2025 01:00:00 GMT"),
        ("2025-07-04T14:35:29.999999Z", "Fri, 04 Jul 2025 14:35:29 GMT"),  # fraction dropped
        ("2025-07-04 14:35:29,5", "Fri, 04 Jul 2025 12:35:29 GMT"),
        ("Fri, 04 Jul 2025 14:35:29 GMT", "Fri, 04 Jul 2025 14:35:29 GMT"),
        ("Mon, 04 Jul 2025 14:35:29 GMT", "Fri, 04 Jul 2025 14:35:29 GMT"),  # weekday redone
        ("fri, 4 jul 2025 14:35:29 gmt", "Fri, 04 Jul 2025 14:35:29 GMT"),
        ("  2025-07-04  ", "Fri, 04 Jul 2025 00:00:00 GMT"),
    ],
)
def test_aware_and_rfc1123_input(text: str, expected: str) -> None:
    assert convert(text) == expected


@given(st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(9998, 1, 1)))
def test_rfc1123_round_trips(moment: dt.datetime) -> None:
    text = format_rfc1123(moment.replace(tzinfo=dt.UTC))
    assert convert(text) == text
    assert parse_rfc(text) == moment.replace(tzinfo=dt.UTC, microsecond=0)


def test_aware_datetime_cells_are_converted() -> None:
    cell = dt.datetime(2025, 7, 4, 0, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert convert(cell) == "Thu, 03 Jul 2025 22:00:00 GMT"  # aware midnight is an instant


def test_names_do_not_depend_on_the_locale() -> None:
    assert format_date(dt.date(2025, 5, 1)) == "Thu, 01 May 2025 00:00:00 GMT"
    assert format_rfc1123(dt.datetime(2025, 12, 7, 9, 5, 3, tzinfo=dt.UTC)) == (
        "Sun, 07 Dec 2025 09:05:03 GMT"
    )


# ------------------------------------------------------------------ refused


@pytest.mark.parametrize("text", ["04/07/2025", "07-04-2025", "04/07/2025 14:35"])
def test_day_month_order_is_never_guessed(text: str) -> None:
    with pytest.raises(CellProblem) as caught:
        convert(text)
    assert caught.value.code == "date_invalid"
    assert "YYYY-MM-DD" in caught.value.message
    assert "ambiguous" in caught.value.message


@pytest.mark.parametrize(
    "cell",
    [
        "2025-02-30",
        "2025-13-01",
        "2025-07-04 25:00",
        "2025-07-04 14:60",
        "2025-07-04T14:35+24:00",
        "yesterday",
        "2025-7-4",
        "20250704",
        "2025-07-04Z",
        "Fri, 04 Foo 2025 14:35:29 GMT",
        "0001-01-01 00:30",
        "4/7/25",
        "9999-12-31T23:30-05:00",  # past the year 9999 once in GMT
        45842,
        45842.5,
        True,
        object(),
    ],
)
def test_unusable_dates_are_date_invalid(cell: object) -> None:
    with pytest.raises(CellProblem) as caught:
        convert(cell)
    assert caught.value.code == "date_invalid"
    if isinstance(cell, str):
        assert cell in caught.value.message


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_empty_is_absent(cell: object) -> None:
    assert convert(cell) is None
