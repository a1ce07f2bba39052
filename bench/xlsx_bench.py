"""Which library writes report.xlsx faster: XlsxWriter in constant-memory mode
(what importer.report_xlsx uses) against openpyxl's write-only mode, for this workbook — the
same rows in words (importer.row_words), the same sheets (Summary, Needs attention, All
rows), the same formats (money, wrap, outcome fills, frozen header, autofilter).

Each library writes the workbook of an N-row import (default 50,000, the default
`report.xlsx_all_rows`) `--rounds` times, alternating; the best CPU and wall times are
printed with their ratio. The machine is shared: CPU time is the steadier figure.

Run:  python bench/xlsx_bench.py [--rows 50000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from importer.outcomes import Outcome, RowError
from importer.report import FileInfo, Report, ReportRow, blocks_of, build_summary, write_reports
from importer.report.row_words import OUTCOME_FILLS, attention_indices, fill_key, worded_rows
from importer.report.xlsx_writer import MONEY_FORMAT, cell_text

COLUMNS = ["Fakturanummer", "Belopp", "Valuta", "Kreditfaktura", "Datum", "Meddelande"]


def make_report(rows: int) -> Report:
    """An import of `rows` rows: mostly credited, every outcome present."""
    made = []
    for n in range(2, rows + 2):
        amount = Decimal(n % 5000 + 1) / 4
        source = dict(
            zip(COLUMNS, [f"F-{n}", f"{amount}", "SEK", f"KF-{n}", "2026-11-20", "x"], strict=True)
        )
        kind = n % 50
        if kind == 0:
            made.append(
                ReportRow(
                    row=n,
                    outcome=Outcome.INVALID,
                    source=source,
                    errors=[
                        RowError(field="amount", code="amount_zero", message="Amount 0 is zero.")
                    ],
                )
            )
        elif kind == 1:
            made.append(
                ReportRow(
                    row=n,
                    outcome=Outcome.REJECTED,
                    source=source,
                    http_status=422,
                    request={"amount": amount},
                    errors=[
                        RowError(
                            field="invoice_number",
                            code="api_rejected",
                            message="The API refused it",
                        )
                    ],
                )
            )
        else:
            status = "warning" if kind == 2 else "completed"
            made.append(
                ReportRow(
                    row=n,
                    outcome=Outcome.CREDITED,
                    source=source,
                    _id=f"{n:024x}",
                    status=status,
                    settled_amount=amount,
                    http_status=201,
                    request={"creditor": "a" * 24, "amount": amount},
                    status_reason_locale="crediting.amount_exceeds_remaining"
                    if kind == 2
                    else None,
                )
            )
    return Report(
        file_import_report="bench",
        file=FileInfo(name="bench.csv", sha256="0" * 64, format="csv", rows=rows),
        api={"base_url": "sandbox"},
        started=datetime(2026, 11, 29, tzinfo=UTC),
        columns=COLUMNS,
        summary=build_summary(made),
        rows=made,
    )  # fmt: skip


def with_xlsxwriter(report: Report, directory: Path) -> None:
    write_reports(report, directory, ["xlsx"])


def with_openpyxl(report: Report, directory: Path) -> None:
    """The same workbook in openpyxl's write-only mode (one pre-styled cell per style)."""
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    sheets = [book.create_sheet("Needs attention"), book.create_sheet("All rows")]
    header = [
        *COLUMNS,
        "Row",
        "Outcome",
        "Reason",
        "What to do next",
        "Requested",
        "Settled",
        "_id",
        "Message",
    ]
    styled: dict[str, Callable[[object], WriteOnlyCell]] = {}

    def style(sheet: object, key: str, **attributes: object) -> Callable[[object], WriteOnlyCell]:
        cell = WriteOnlyCell(sheet)
        for name, value in attributes.items():
            setattr(cell, name, value)

        def filled(value: object) -> WriteOnlyCell:
            cell.value = value
            return cell

        return filled

    for sheet in sheets:
        sheet.freeze_panes = "A2"
        sheet.append([style(sheet, "b", font=Font(bold=True))(h) for h in header])
    wrap = Alignment(wrap_text=True, vertical="top")
    per_sheet = []
    for sheet in sheets:
        styled = {
            "money": style(sheet, "m", number_format=MONEY_FORMAT),
            "wrap": style(sheet, "w", alignment=wrap),
            "wrap2": style(sheet, "w2", alignment=wrap),
            "wrap3": style(sheet, "w3", alignment=wrap),
            "money2": style(sheet, "m2", number_format=MONEY_FORMAT),
        }
        fills = {
            k: style(
                sheet,
                k,
                fill=PatternFill("solid", start_color="FF" + v[1:], end_color="FF" + v[1:]),
            )
            for k, v in OUTCOME_FILLS.items()
        }
        per_sheet.append((sheet, styled, fills))
    counts = [0, 0]
    for block in blocks_of(report.rows):
        attention = set(attention_indices(block, dry_run=False))
        for index, row in zip(
            range(len(block)),
            worded_rows(
                block,
                COLUMNS,
                range(len(block)),
                language="en",
                import_id="bench",
                dry_run=False,
                report_csv="reports/bench/report.csv",  # as the real writer names it
            ),
            strict=True,
        ):
            targets = [1] + ([0] if index in attention else [])
            for target in targets:
                sheet, s, fills = per_sheet[target]
                sheet.append(
                    [
                        *(cell_text(c) or None for c in row.source),
                        row.row,
                        fills[fill_key(row.outcome, row.status)](row.outcome_text),
                        s["wrap"](cell_text(row.reason) or None),
                        s["wrap2"](row.next_step or None),
                        s["money"](None if row.requested is None else float(row.requested)),
                        s["money2"](None if row.settled is None else float(row.settled)),
                        row.crediting_id,
                        s["wrap3"](cell_text(row.details) or None),
                    ]
                )
                counts[target] += 1
    for sheet, count in zip(sheets, counts, strict=True):
        sheet.auto_filter.ref = f"A1:N{count + 1}"
    for label, value in (("Import", "bench"), ("Rows read", report.summary.rows)):
        summary.append([label, value])
    with (directory / "report.xlsx").open("wb") as handle:
        book.save(handle)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report = make_report(args.rows)
    best: dict[str, tuple[float, float]] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="xlsx-bench-") as tmp:
        for round_ in range(args.rounds):
            for name, write in (
                ("XlsxWriter constant_memory", with_xlsxwriter),
                ("openpyxl write-only", with_openpyxl),
            ):
                directory = Path(tmp) / f"{name.split()[0]}-{round_}"
                directory.mkdir()
                cpu, wall = time.process_time(), time.perf_counter()
                write(report, directory)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                old = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(old[0], cpu), min(old[1], wall))
    print(
        f"report.xlsx of {args.rows:,} rows, all sheets, best of {args.rounds} "
        f"(load average {load:.1f}):"
    )
    for name, (cpu, wall) in best.items():
        print(f"  {name:<28} {cpu:6.2f} s CPU  {wall:6.2f} s wall")
    (x_cpu, x_wall), (o_cpu, o_wall) = (
        best["XlsxWriter constant_memory"],
        best["openpyxl write-only"],
    )
    print(
        f"  XlsxWriter is {o_cpu / x_cpu:.2f}x faster in CPU time, "
        f"{o_wall / x_wall:.2f}x in wall time"
    )


if __name__ == "__main__":
    main()
