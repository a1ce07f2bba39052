"""The file import report renderers (docs/outcomes.md, docs/reports.md).

Real files on disk in tmp_path, read back with json / csv / openpyxl: what is asserted is what
a machine or a person opening the file would get."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest
from cli_support import CREDITOR as SAMPLE_CREDITOR
from cli_support import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

import importer as library
from importer.config import DefaultsConfig, JournalConfig, ReportConfig
from importer.config_load import with_settings
from importer.errors import ConfigError
from importer.journal import Journal
from importer.outcomes import Outcome, RowError
from importer.report import (
    IMPORT_COLUMN,
    OUTCOME_COLUMNS,
    Attempt,
    FileInfo,
    Report,
    ReportRow,
    RequestColumns,
    RowBlock,
    blocks_of,
    build_summary,
    csv_lines,
    json_rows,
    summarise,
    write_reports,
)
from importer.report.render import build_report
from importer.sandbox import Sandbox

COLUMNS = ["Fakturanummer", "Belopp", "Valuta", "Kreditfaktura", "Referens"]
STARTED = datetime(2025, 7, 4, 14, 35, 29, tzinfo=UTC)
CREDITOR = "a" * 24


def source(invoice: str, amount: str, credit: str, reference: str = "ref") -> dict[str, str]:
    return dict(zip(COLUMNS, [invoice, amount, "SEK", credit, reference], strict=True))


def credited(
    row: int, amount: Any, settled: str, status: str = "completed", **kw: Any
) -> ReportRow:
    return ReportRow(
        row=row,
        outcome=Outcome.CREDITED,
        _id=f"{row:024x}",
        status=status,
        status_reason_locale=f"crediting.{status}",
        settled_amount=Decimal(settled),
        http_status=201,
        request={
            "creditor": CREDITOR,
            "invoice_number": f"F{row}",
            "currency": "SEK",
            "amount": amount,
            "origin": "creditor_system",
        },
        source=kw.pop("source", source(f"F{row}", str(amount), f"K{row}")),
        attempts=kw.pop(
            "attempts", [Attempt(at=STARTED, outcome=Outcome.CREDITED, http_status=201)]
        ),
        **kw,
    )


def sample_rows() -> list[ReportRow]:
    """One row of every outcome, credited rows in every status."""
    return [
        credited(2, 100.1, "100.1"),
        credited(3, Decimal("250.50"), "200", status="warning"),
        credited(4, 5, "5.00", status="error"),
        ReportRow(
            row=5,
            outcome=Outcome.INVALID,
            errors=[
                RowError(field="amount", code="amount.zero", message="must be more than 0"),
                RowError(field="", code="row.empty", message="row is empty"),
            ],
            source=source("F5", "0", "K5"),
        ),
        ReportRow(
            row=6,
            outcome=Outcome.REJECTED,
            http_status=422,
            errors=[RowError(field="case", code="api.422", message="case not found")],
            request={"creditor": CREDITOR, "amount": 12.5},
            source=source("F6", "12,5", "K6"),
            attempts=[
                Attempt(at=STARTED, outcome=Outcome.NOT_SENT, http_status=503, note="retry"),
                Attempt(
                    at=STARTED + timedelta(seconds=3), outcome=Outcome.REJECTED, http_status=422
                ),
            ],
        ),
        ReportRow(
            row=7,
            outcome=Outcome.DUPLICATE,
            _id="b" * 24,
            duplicate_of={"file_import_report": "imp-0", "row": 5, "_id": "b" * 24},
            source=source("F7", "100.10", "K2"),
        ),
        ReportRow(row=8, outcome=Outcome.NOT_SENT, source=source("F8", "1", "K8")),
        ReportRow(row=9, outcome=Outcome.UNKNOWN, source=source("F9", "2", "K9")),
    ]


def make_report(rows: list[ReportRow] | None = None, **kw: Any) -> Report:
    rows = sample_rows() if rows is None else rows
    fields: dict[str, Any] = {
        "file_import_report": "imp-1",
        "file": FileInfo(name="krediter.csv", sha256="f" * 64, format="csv", rows=len(rows)),
        "api": {"base_url": "https://api.example.test"},
        "started": STARTED,
        "finished": STARTED + timedelta(minutes=1),
        "columns": COLUMNS,
        "summary": build_summary(rows),
        "rows": rows,
    }
    fields.update(kw)
    return Report(**fields)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def header_index(ws: Any) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


# ------------------------------------------------------------------------------ summary


def test_build_summary_counts_every_outcome_and_sums_only_credited_money() -> None:
    rows = sample_rows()
    summary = build_summary(rows)
    assert summary.rows == len(rows)
    assert summary.outcomes == {
        "credited": 3,
        "invalid": 1,
        "rejected": 1,
        "duplicate": 1,
        "not_sent": 1,
        "unknown": 1,
    }
    assert summary.statuses == {"completed": 1, "warning": 1, "error": 1}
    # 100.1 + 250.50 + 5: the rejected row's 12.5 is not money that was credited.
    assert summary.amount_requested == Decimal("355.60")
    assert summary.amount_settled == Decimal("305.10")


def test_build_summary_has_zero_keys_and_adds_json_numbers_as_decimals() -> None:
    rows = [credited(2, 0.1, "0.1"), credited(3, 0.2, "0.2")]
    summary = build_summary(rows)
    assert summary.outcomes["invalid"] == 0
    assert set(summary.outcomes) == {o.value for o in Outcome}
    assert summary.statuses == {"completed": 2, "warning": 0, "error": 0}
    # A float sum would give 0.30000000000000004.
    assert summary.amount_requested == Decimal("0.3")


# ------------------------------------------------------------------------------ report.json


def test_json_shape_money_strings_and_request_numbers(tmp_path: Path) -> None:
    paths = write_reports(make_report(), tmp_path / "imp-1", ["json"])
    assert paths == {"json": tmp_path / "imp-1" / "report.json"}
    data = json.loads(paths["json"].read_text(encoding="utf-8"))

    assert list(data) == [
        "schema_version",
        "file_import_report",
        "file",
        "api",
        "creditor",
        "dry_run",
        "sandbox",
        "started",
        "finished",
        "exit_code",
        "language",
        "texts",
        "file_errors",
        "warnings",
        "columns",
        "audit",
        "summary",
        "rows",
    ]
    assert data["file"] == {"name": "krediter.csv", "sha256": "f" * 64, "format": "csv", "rows": 8}
    summary = data["summary"]
    assert summary["amount_requested"] == "355.60"
    assert summary["amount_settled"] == "305.10"
    assert data["schema_version"] == "2"
    assert data["texts"]["outcome"]["credited"] == "Credited"
    assert list(summary["outcomes"]) == [o.value for o in Outcome]

    first, second, third = data["rows"][:3]
    assert list(first) == [
        "row",
        "outcome",
        "_id",
        "status",
        "status_reason_locale",
        "settled_amount",
        "http_status",
        "errors",
        "request",
        "source",
        "original_source",
        "duplicate_of",
        "case_invoice_number",
        "case_reference_number",
        "attempts",
        "resolution",
    ]
    assert first["_id"] == f"{2:024x}"
    assert first["settled_amount"] == "100.10"
    assert third["settled_amount"] == "5.00"
    # The request is what was sent: its amount a JSON number, whether a float or a Decimal.
    assert first["request"]["amount"] == 100.1
    assert isinstance(first["request"]["amount"], float)
    assert second["request"]["amount"] == 250.5
    assert '"amount":250.5' in paths["json"].read_text(encoding="utf-8")
    assert first["source"] == source("F2", "100.1", "K2")
    assert first["attempts"] == [
        {"at": "2025-07-04T14:35:29Z", "outcome": "credited", "http_status": 201, "note": None}
    ]
    invalid = data["rows"][3]
    assert invalid["settled_amount"] is None
    assert invalid["_id"] is None
    assert invalid["errors"][0] == {
        "field": "amount",
        "code": "amount.zero",
        "message": "must be more than 0",
    }


def test_json_every_model_field_is_written_by_alias(tmp_path: Path) -> None:
    """A field added to ReportRow later must appear in the machine contract by itself."""
    write_reports(make_report(), tmp_path, ["json"])
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    expected = {f.alias or name for name, f in ReportRow.model_fields.items()}
    assert all(set(row) == expected for row in data["rows"])


def test_json_datetimes_are_iso_utc(tmp_path: Path) -> None:
    stockholm = timezone(timedelta(hours=2))
    report = make_report(
        started=datetime(2025, 7, 4, 16, 35, 29, tzinfo=stockholm),
        finished=datetime(2025, 7, 4, 14, 40, 0),  # naive: the journal's UTC
    )
    write_reports(report, tmp_path, ["json"])
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["started"] == "2025-07-04T14:35:29Z"
    assert data["finished"] == "2025-07-04T14:40:00Z"


def test_json_invariant_every_row_once_and_counts_add_up(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["json"])
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    counts = data["summary"]["outcomes"]
    assert set(counts) == {o.value for o in Outcome}
    assert sum(counts.values()) == data["summary"]["rows"] == len(data["rows"])
    numbers = [row["row"] for row in data["rows"]]
    assert sorted(numbers) == sorted(set(numbers)) == list(range(2, 10))
    for outcome, count in counts.items():
        assert count == sum(1 for row in data["rows"] if row["outcome"] == outcome)


def test_json_non_ascii_kept_readable(tmp_path: Path) -> None:
    rows = [credited(2, 1, "1", source=source("Å-1", "1", "K", "Räksmörgås"))]
    write_reports(make_report(rows), tmp_path, ["json"])
    assert "Räksmörgås" in (tmp_path / "report.json").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ report.csv


def test_csv_bom_columns_order_and_outcome_cells(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["csv"])
    raw = (tmp_path / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = read_csv(tmp_path / "report.csv")
    assert table[0] == [*COLUMNS, *OUTCOME_COLUMNS, IMPORT_COLUMN]
    assert table[0][len(COLUMNS) :] == [
        "row",
        "outcome",
        "_id",
        "status",
        "status_reason_locale",
        "settled_amount",
        "http_status",
        "errors",
        "duplicate_of",
        "attempts",
        "resolved",
        "import",  # the import id on every row: `rerun --fix` knows whose report it is
    ]
    rows = {r[len(COLUMNS)]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert len(table) == 1 + 8
    first = rows["2"]
    assert [first[c] for c in COLUMNS] == ["F2", "100.1", "SEK", "K2", "ref"]
    assert first["outcome"] == "credited"
    assert first["_id"] == f"{2:024x}"
    assert first["settled_amount"] == "100.10"
    assert first["http_status"] == "201"
    assert first["attempts"] == "1"
    assert rows["5"]["errors"] == "amount: must be more than 0; row is empty"
    assert rows["5"]["settled_amount"] == ""
    assert rows["5"]["_id"] == ""
    assert rows["6"]["attempts"] == "2"
    assert rows["6"]["Belopp"] == "12,5"
    assert rows["7"]["duplicate_of"] == "import imp-0 row 5"
    assert {row["import"] for row in rows.values()} == {make_report().file_import_report}


def test_csv_takes_cells_by_header_not_by_dict_order(tmp_path: Path) -> None:
    reordered = dict(reversed(list(source("F2", "9", "K2").items())))
    rows = [credited(2, 9, "9", source=reordered)]
    partial = {"Belopp": "9"}  # a short row: missing cells are empty, not shifted
    rows.append(ReportRow(row=3, outcome=Outcome.INVALID, source=partial))
    write_reports(make_report(rows), tmp_path, ["csv"])
    table = read_csv(tmp_path / "report.csv")
    assert table[1][: len(COLUMNS)] == ["F2", "9", "SEK", "K2", "ref"]
    assert table[2][: len(COLUMNS)] == ["", "9", "", "", ""]


DANGEROUS = ["=SUM(A1)", "+cmd", "@x", "-2+3", "\tx", "\rx", "=1+1", "-1+cmd|' /C calc'!A0"]
NUMBERS = ["-100.00", "-12,5", "+46", "-1 234,56", "-1,234.56", "-0.5", "+1\u00a0000"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_csv_neutralises_formula_cells(tmp_path: Path, value: str) -> None:
    rows = [
        ReportRow(
            row=2,
            outcome=Outcome.REJECTED,
            status_reason_locale=value,
            errors=[RowError(field="", code="x", message=value)],
            source=source(value, "1", "K"),
        )
    ]
    write_reports(make_report(rows, columns=[*COLUMNS[:4], value]), tmp_path, ["csv"])
    header, row = read_csv(tmp_path / "report.csv")
    cells = dict(zip(header, row, strict=True))
    assert header[4] == "'" + value
    assert row[0] == "'" + value  # the file's own cell
    assert cells["status_reason_locale"] == "'" + value
    assert cells["errors"] == "'" + value


@pytest.mark.parametrize("value", NUMBERS)
def test_csv_leaves_plain_numbers_alone(tmp_path: Path, value: str) -> None:
    rows = [credited(2, 1, "-5", source=source("F2", value, "K2"))]
    write_reports(make_report(rows), tmp_path, ["csv"])
    header, row = read_csv(tmp_path / "report.csv")
    assert row[1] == value
    assert dict(zip(header, row, strict=True))["settled_amount"] == "-5.00"


# ------------------------------------------------------------------------------ whole reports


def test_rejected_file_report(tmp_path: Path) -> None:
    report = make_report(
        [],
        columns=["Belopp"],
        finished=None,
        file_errors=[
            RowError(
                field="invoice_number",
                code="file.missing_column",
                message="=no column for invoice_number; found: Belopp",
            )
        ],
    )
    paths = write_reports(report, tmp_path, ["json", "csv", "xlsx"])
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["rows"] == []
    assert data["finished"] is None
    assert data["file_errors"][0]["code"] == "file.missing_column"
    assert data["summary"]["rows"] == 0
    assert sum(data["summary"]["outcomes"].values()) == 0
    assert data["summary"]["amount_requested"] == "0.00"
    assert read_csv(paths["csv"]) == [["Belopp", *OUTCOME_COLUMNS, IMPORT_COLUMN]]
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb["All rows"].max_row == 1
    cells = {row[0].value: row for row in wb["Summary"].iter_rows() if row[0].value}
    assert "File errors" in cells
    assert cells["invoice_number"][1].value == "'=no column for invoice_number; found: Belopp"
    assert cells["invoice_number"][2].value == "file.missing_column"


def test_dry_run_report(tmp_path: Path) -> None:
    request = {
        "creditor": CREDITOR,
        "invoice_number": "F2",
        "currency": "SEK",
        "amount": Decimal("10.50"),
        "origin": "creditor_system",
    }
    rows = [
        ReportRow(
            row=2, outcome=Outcome.NOT_SENT, request=request, source=source("F2", "10,50", "K")
        )
    ]
    paths = write_reports(make_report(rows, dry_run=True), tmp_path, ["json", "csv", "xlsx"])
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["dry_run"] is True
    assert data["rows"][0]["request"]["amount"] == 10.5
    assert data["summary"]["outcomes"]["not_sent"] == 1
    assert data["summary"]["amount_requested"] == "0.00"  # nothing was credited
    summary = openpyxl.load_workbook(paths["xlsx"])["Summary"]
    assert "Dry run: nothing was sent" in [row[0].value for row in summary.iter_rows()]


def test_only_requested_formats_are_written(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "imp-1"
    paths = write_reports(make_report(), target, ["csv", "csv"])
    assert paths == {"csv": target / "report.csv"}
    assert sorted(os.listdir(target)) == ["report.csv"]


def test_unknown_format_is_a_config_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pdf"):
        write_reports(make_report(), tmp_path / "out", ["json", "pdf"])
    assert not (tmp_path / "out").exists()


def test_rendered_again_in_place_with_attempts(tmp_path: Path) -> None:
    rows = sample_rows()
    write_reports(make_report(rows), tmp_path, ["json", "csv", "xlsx"])
    rows[4] = credited(6, 12.5, "12.5", attempts=[])
    rows[4].attempts = [
        *sample_rows()[4].attempts,
        Attempt(at=STARTED + timedelta(hours=1), outcome=Outcome.CREDITED, http_status=201),
    ]
    write_reports(make_report(rows), tmp_path, ["json", "csv", "xlsx"])
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["rows"][4]["outcome"] == "credited"
    assert [a["outcome"] for a in data["rows"][4]["attempts"]] == [
        "not_sent",
        "rejected",
        "credited",
    ]
    assert data["rows"][4]["attempts"][2]["at"] == "2025-07-04T15:35:29Z"
    assert (
        read_csv(tmp_path / "report.csv")[5][len(COLUMNS) + OUTCOME_COLUMNS.index("attempts")]
        == "3"
    )
    assert sorted(os.listdir(tmp_path)) == ["report.csv", "report.json", "report.xlsx"]


def test_atomic_write_leaves_no_temp_files_and_keeps_old_report_on_failure(
    tmp_path: Path,
) -> None:
    write_reports(make_report(), tmp_path, ["json", "csv", "xlsx"])
    assert sorted(os.listdir(tmp_path)) == ["report.csv", "report.json", "report.xlsx"]
    before = (tmp_path / "report.json").read_bytes()

    broken = sample_rows()
    broken[4].request = {"amount": Decimal("NaN")}  # a rejected row: cannot be JSON
    report = make_report()  # the summary of good rows: the failure must come while writing
    report.rows = broken
    with pytest.raises(Exception, match="non-finite"):
        write_reports(report, tmp_path, ["json"])
    assert (tmp_path / "report.json").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["report.csv", "report.json", "report.xlsx"]


def test_temp_files_of_a_killed_writer_are_cleaned_up(tmp_path: Path) -> None:
    dead = tmp_path / ".report.json.99999999.0badc0de.tmp"  # beyond any pid_max
    alive = tmp_path / f".report.csv.{os.getppid()}.0badc0de.tmp"  # another writer, running
    dead.write_text("half a rep")
    alive.write_text("in progress")
    write_reports(make_report(), tmp_path, ["json"])
    assert not dead.exists()
    assert alive.exists()


def test_a_killed_writers_temp_file_of_report_html_is_cleaned_up_too(tmp_path: Path) -> None:
    # report.html is written through the same temporary file as the others; a SIGKILL
    # mid-write left `.report.html.PID.hex.tmp` (a report's size) in the folder for good.
    dead = tmp_path / ".report.html.99999999.0badc0de.tmp"  # beyond any pid_max
    dead.write_text("<html>half a page")
    write_reports(make_report(), tmp_path, ["json"])
    assert not dead.exists()


def test_fast_json_rows_equal_the_models_own_json(tmp_path: Path) -> None:
    # report.json writes rows with orjson from hand-built dicts; the model's own JSON form
    # (its field serializers) is the contract they must match, row for row.
    report = make_report()
    write_reports(report, tmp_path, ["json"])
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["rows"]
    expected = [json.loads(r.model_dump_json(by_alias=True)) for r in report.rows]
    assert any(r["attempts"] for r in expected)
    assert any(r["errors"] for r in expected)
    assert written == expected


# ------------------------------------------------------------------------ block rendering


def _files(directory: Path) -> dict[str, Any]:
    book = openpyxl.load_workbook(directory / "report.xlsx")
    return {
        "json": (directory / "report.json").read_bytes(),
        "csv": (directory / "report.csv").read_bytes(),
        "xlsx": {
            ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets
        },
    }


def many_rows(copies: int = 4) -> list[ReportRow]:
    return [
        row.model_copy(update={"row": row.row + 10 * copy})
        for copy in range(copies)
        for row in sample_rows()
    ]


def test_rendering_in_several_blocks_equals_rendering_in_one(tmp_path: Path) -> None:
    report = make_report(many_rows())
    # one folder for both: the next step names the folder's own report.csv
    whole = write_reports(report, tmp_path / "report", ["json", "csv", "xlsx"])
    files = _files(tmp_path / "report")
    chunked = write_reports(
        report, tmp_path / "report", ["json", "csv", "xlsx"], blocks_of(report.rows, size=3)
    )
    assert list(whole) == list(chunked)
    assert files == _files(tmp_path / "report")


def test_json_rows_are_byte_for_byte_the_models_own_json(tmp_path: Path) -> None:
    report = make_report(many_rows(2))
    write_reports(report, tmp_path, ["json"], blocks_of(report.rows, size=5))
    lines = (tmp_path / "report.json").read_text(encoding="utf-8").splitlines()[1:-1]
    assert [line.removesuffix(",") for line in lines] == [
        r.model_dump_json(by_alias=True) for r in report.rows
    ]


def _validated_request(row: int, amount: str, **kw: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "creditor": CREDITOR,
        "case": None,
        "invoice_number": f"F{row}",
        "currency": "SEK",
        "amount": Decimal(amount),
        "origin": "creditor_system",
        "credit_invoice": f"K{row}",
        "client_registration_date": None,
        "creditor_reference": None,
        "account": None,
    }
    request.update(kw)
    return request


def _as_columns(requests: list[dict[str, Any] | None]) -> RequestColumns:
    """The requests as validation hands them over: field columns, and which rows have one."""
    names = list(next(r for r in requests if r is not None))
    fields = {name: [None if r is None else r[name] for r in requests] for name in names}
    return RequestColumns(fields, [r is not None for r in requests], len(requests))


def test_request_columns_are_the_rows_dicts() -> None:
    requests = [_validated_request(2, "1.00"), None, _validated_request(4, "2.50", case=None)]
    table = _as_columns(requests)
    assert len(table) == 3
    assert list(table) == requests
    assert [table[i] for i in range(3)] == requests
    assert table[-1] == requests[-1]
    assert list(table[1:]) == requests[1:]
    assert len(table[1:]) == 2
    with pytest.raises(IndexError):
        table[3]
    every = RequestColumns(_as_columns(requests[:1]).fields, None, 1)
    assert list(every) == requests[:1]


@pytest.mark.parametrize("held", ["as dicts", "column-wise"])
def test_a_column_wise_block_renders_as_its_rows_would(tmp_path: Path, held: str) -> None:
    # What a dry run streams: raw cells in column order (one row short of a cell), the
    # validated request with its None fields, invalid rows without one — the requests
    # either as dicts or as validation's columns.
    cells = [
        ("F2", "100.10", "SEK", "K2", "r-2"),
        ("F3", "-5", "SEK", "K3", "=HYPERLINK(1)"),
        ("F4", "0", "SEK", "K4", ""),
        ("F5", "7,5", "SEK", 'K3 "å"\n', "r-5"),
        ("F6", "3.00", "SEK", "K6"),
    ]
    requests: list[dict[str, Any] | None] = [
        _validated_request(2, "100.10", creditor_reference="r-2"),
        _validated_request(3, "-5", client_registration_date="Fri, 04 Jul 2025 00:00:00 GMT"),
        None,
        _validated_request(5, "7.50", creditor_reference="r-5"),
        _validated_request(6, "3.00"),
    ]
    invalid = [RowError(field="amount", code="amount_zero", message="=0 is not an amount")]
    duplicate = [RowError(field="credit_invoice", code="duplicate", message="used on row 3")]
    outcomes = [
        Outcome.NOT_SENT,
        Outcome.NOT_SENT,
        Outcome.INVALID,
        Outcome.DUPLICATE,
        Outcome.NOT_SENT,
    ]
    errors: list[list[RowError]] = [[], [], invalid, duplicate, []]
    block = RowBlock(
        row=[2, 3, 4, 5, 6],
        outcome=outcomes,
        source=cells,
        request=requests if held == "as dicts" else _as_columns(requests),
        errors=errors,
    )
    models = [
        ReportRow(
            row=number,
            outcome=outcome,
            source=dict(zip(COLUMNS, row_cells, strict=False)),
            request=request,
            errors=row_errors,
        )
        for number, outcome, row_cells, request, row_errors in zip(
            block.row, outcomes, cells, requests, errors, strict=True
        )
    ]
    summary = summarise([block])
    assert summary == build_summary(models)
    whole = make_report(models)
    head = make_report([], summary=summary, file=whole.file)
    formats = ["json", "csv", "xlsx"]
    write_reports(head, tmp_path / "report", formats, [block])
    files = _files(tmp_path / "report")  # one folder: the next step names its report.csv
    write_reports(whole, tmp_path / "report", formats)
    assert files == _files(tmp_path / "report")
    assert block.report_rows(COLUMNS) == models
    assert json_rows(block, COLUMNS) == [m.model_dump_json(by_alias=True) for m in models]


# ----------------------------------------------------------------- CSV, column-wise

_field = st.one_of(
    st.text(alphabet='ab ,;|"\r\n\tå=\x00', max_size=6),  # NUL: the joiner's fallback
    st.integers(-5, 10**6),
    st.none(),
    st.sampled_from(list(Outcome)),
)


@st.composite
def _csv_blocks(draw: st.DrawFn) -> tuple[list[Any], int]:
    """Columns as `table_columns_of` gives them: a list per column, or one value for all."""
    count = draw(st.integers(1, 6))
    columns = draw(
        st.lists(
            st.one_of(_field, st.lists(_field, min_size=count, max_size=count)),
            min_size=2,  # a report row has many: csv.writer writes a lone empty field as ""
            max_size=6,
        )
    )
    return columns, count


@settings(max_examples=400, deadline=None)
@given(_csv_blocks(), st.sampled_from([",", ";", "\t", "|"]))
def test_csv_lines_equal_what_csv_writer_writes(
    block: tuple[list[Any], int], delimiter: str
) -> None:
    columns, count = block
    rows = zip(*[c if isinstance(c, list) else [c] * count for c in columns], strict=True)
    expected = io.StringIO(newline="")
    csv.writer(expected, delimiter=delimiter).writerows(rows)
    assert csv_lines(columns, count, delimiter) == expected.getvalue()


# ------------------------------------------------------------ amounts, a column at once

_amount = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999999.99"), places=2),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(
        [Decimal("100.00"), Decimal("0.30"), Decimal("1E+2"), Decimal("12345678901234567.89"),
         Decimal("NaN"), Decimal("Infinity"), Decimal("0.1000000000000000055511151231257827")]
    ),
)  # fmt: skip


@given(st.lists(_amount, min_size=1, max_size=8))
def test_a_column_of_amounts_is_written_as_each_amount_alone(values: list[Decimal]) -> None:
    # `_json_amounts` checks the whole column at once; it must write what `amount_to_json`
    # then orjson write value by value, and refuse exactly when one value is refused.
    from importer.api.request import amount_to_json
    from importer.report.json_writer import _json_amounts

    refused = ""
    expected: list[str] = []
    try:
        expected = [orjson.dumps(amount_to_json(v)).decode() for v in values]
    except ValueError as error:
        refused = str(error)
    if refused:
        with pytest.raises(ValueError, match="cannot be sent") as raised:
            _json_amounts(values)
        assert str(raised.value) == refused
        return
    assert _json_amounts(values) == expected
    assert _json_amounts(tuple(values)) == expected


def test_a_report_from_the_journal_is_byte_for_byte_its_models_json(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are rendered from the journal's rows as plain values, never as models; a
    caller's report (`build_report`) validates them into `ReportRow`s. Both say the same."""
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = with_settings(
        library.Config(
            defaults=DefaultsConfig(creditor=SAMPLE_CREDITOR),
            report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
            journal=JournalConfig(path=tmp_path / "journal.sqlite"),
        ),
        {"api.base_url": api.url},
    )
    (result,) = library.run(config, [SAMPLE])
    assert result.import_id is not None
    with Journal(config.journal.path) as journal:
        models = build_report(journal, result.import_id).rows
    lines = result.report_paths["json"].read_text(encoding="utf-8").splitlines()[1:-1]
    assert {m.outcome for m in models} >= {Outcome.CREDITED, Outcome.INVALID}
    assert any(m.attempts for m in models)
    assert [line.removesuffix(",") for line in lines] == [
        m.model_dump_json(by_alias=True) for m in models
    ]
