"""Dates in real files mean the day the file says: a midnight datetime (text
or workbook cell) is that calendar date at 00:00:00 GMT; day-first or month-first is decided
per file from the dates that tell; dotted dates are read; `input.date_format` pins the form;
Excel's zero date is an empty date cell; naive times the clocks skip or repeat are warned
about in report.json."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from cli_support import importer, report_of


def _dates(workdir: Path) -> dict[int, str | None]:
    return {
        row["row"]: (row["request"] or {}).get("client_registration_date")
        for row in report_of(workdir)["rows"]
    }


def _csv(workdir: Path, *dates: str, name: str = "credits.csv") -> Path:
    lines = ["Fakturanummer;Belopp;Datum"]
    lines += [f"F-{i};10,00;{date}" for i, date in enumerate(dates, 1)]
    path = workdir / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_a_midnight_datetime_text_is_that_date(workdir: Path) -> None:
    done = importer(workdir, "validate", str(_csv(workdir, "2026-11-20 00:00:00")))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {2: "Fri, 20 Nov 2026 00:00:00 GMT"}


def test_a_workbook_datetime_at_midnight_is_that_date(workdir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Datum"])
    sheet.append(["F-1", 10, dt.datetime(2026, 11, 20, 0, 0)])
    sheet["C2"].number_format = "yyyy-mm-dd hh:mm"
    sheet.append(["F-2", 10, 0])  # Excel's zero date: what a formula leaves in a blank cell
    sheet["C3"].number_format = "yyyy-mm-dd"
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "validate", str(path))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {2: "Fri, 20 Nov 2026 00:00:00 GMT", 3: None}


def test_a_day_that_is_no_month_tells_the_whole_file(workdir: Path) -> None:
    done = importer(workdir, "validate", str(_csv(workdir, "04/07/2026", "20/11/2026")))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {
        2: "Sat, 04 Jul 2026 00:00:00 GMT",
        3: "Fri, 20 Nov 2026 00:00:00 GMT",
    }


def test_a_month_first_file_is_read_month_first(workdir: Path) -> None:
    done = importer(workdir, "validate", str(_csv(workdir, "04/07/2026", "11/20/2026")))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {
        2: "Tue, 07 Apr 2026 00:00:00 GMT",
        3: "Fri, 20 Nov 2026 00:00:00 GMT",
    }


def test_ambiguous_only_when_no_row_tells(workdir: Path) -> None:
    done = importer(workdir, "validate", str(_csv(workdir, "04/07/2026", "05/05/2026")))
    assert done.returncode == 1
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "invalid"
    assert "ambiguous" in rows[2]["errors"][0]["message"]
    assert rows[3]["outcome"] == "not_sent"  # 05/05 is the same either way


def test_dotted_dates_are_day_first(workdir: Path) -> None:
    done = importer(workdir, "validate", str(_csv(workdir, "20.11.2026", "4.7.2026 14:30")))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {
        2: "Fri, 20 Nov 2026 00:00:00 GMT",
        3: "Sat, 04 Jul 2026 12:30:00 GMT",
    }


def test_date_format_pins_the_form(workdir: Path) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  date_format: '%m/%d/%Y'\n",
        encoding="utf-8",
    )
    done = importer(workdir, "validate", str(_csv(workdir, "04/07/2026", "2026-11-20")))
    assert done.returncode == 0, done.stdout
    assert _dates(workdir) == {
        2: "Tue, 07 Apr 2026 00:00:00 GMT",
        3: "Fri, 20 Nov 2026 00:00:00 GMT",
    }


def test_a_date_format_without_a_day_is_refused_at_load(workdir: Path) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  date_format: '%m/%Y'\n", encoding="utf-8"
    )
    done = importer(workdir, "validate", str(_csv(workdir, "2026-11-20")))
    assert done.returncode == 2
    assert "date_format" in done.stderr
    assert "not a date pattern with year, month and day" in done.stderr


def test_daylight_saving_times_are_warned_about(workdir: Path) -> None:
    path = _csv(workdir, "2026-03-29 02:30", "2026-06-01 12:00", "2026-10-25 02:30")
    done = importer(workdir, "validate", str(path))
    assert done.returncode == 0, done.stdout
    warnings = {w["code"]: w for w in report_of(workdir)["warnings"]}
    assert warnings["daylight_saving_gap"]["rows"] == [2]
    assert warnings["daylight_saving_overlap"]["rows"] == [4]
    assert "Europe/Stockholm" in warnings["daylight_saving_gap"]["message"]
    assert "warning: 1 date(s) name a local time that does not exist" in done.stdout
