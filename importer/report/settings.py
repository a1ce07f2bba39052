"""How a report is worded and laid out, apart from what it says: language, local time zone,
the workbook's row limit and report.csv's dialect. One value handed to every writer, so the
writers never read the configuration themselves (the report layer stays below config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from importer.config import Config
from importer.words import Language

CsvDialect = Literal["source", "excel", "excel-sv"]


@dataclass(frozen=True, slots=True)
class SourceDialect:
    """The delimiter and decimal mark of the file that was imported (None: unknown, e.g. a
    workbook or an import journalled before they were kept); `workbook`: the file was a
    workbook, which has neither."""

    delimiter: str | None = None
    decimal: str | None = None
    workbook: bool = False
    amount_column: int | None = None
    """Where the file's own amount is among its columns (None: not known)."""
    date_column: int | None = None
    """Where the file's own date (`client_registration_date`) is (None: none, or not known)."""

    @property
    def columns(self) -> dict[str, int]:
        """The known columns as the journal keeps them (API field -> column index)."""
        found = {"amount": self.amount_column, "client_registration_date": self.date_column}
        return {name: index for name, index in found.items() if index is not None}


@dataclass(frozen=True, slots=True)
class ReportSettings:
    language: Language = "en"
    timezone: str = "Europe/Stockholm"
    xlsx_all_rows: int = 50_000
    csv_dialect: CsvDialect = "source"
    source: SourceDialect = SourceDialect()
    report_csv: str = "report.csv"
    """Where this report's report.csv is, for the next step's `rerun --fix` (set by
    `write_reports` from the folder it writes into, so `report.dir` is honoured)."""

    @classmethod
    def of(cls, config: Config) -> ReportSettings:
        """The settings the configuration asks for (the source's dialect is added by the
        renderer, which knows the file)."""
        return cls(
            language=config.report.language,
            timezone=config.input.timezone,
            xlsx_all_rows=config.report.xlsx_all_rows,
            csv_dialect=config.report.csv_dialect,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """A journal time (UTC; naive means UTC) as naive local time: Excel stores no time
        zone, so the report says "local time" and converts here."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).replace(tzinfo=None)

    def csv_format(self) -> tuple[str, str]:
        """(delimiter, decimal mark) of report.csv: `excel` is `,` and `.`; `excel-sv` is `;`
        and `,` (what Swedish Excel writes and opens); `source` follows the file, where a
        delimiter other than `,` `;` tab `|` or an unknown one falls back to `excel`. A
        workbook has no dialect of its own: its report.csv is written as a spreadsheet set to
        the report's language opens it (a Swedish one puts a `,` file all in column A)."""
        if self.csv_dialect == "excel-sv" or (self.source.workbook and self.language == "sv"):
            return ";", ","
        if self.csv_dialect == "excel" or self.source.workbook:
            return ",", "."
        delimiter = self.source.delimiter if self.source.delimiter in (",", ";", "\t", "|") else ","
        decimal = self.source.decimal if self.source.decimal in (".", ",") else "."
        if decimal == delimiter:  # `,` both ways cannot be read back: quote-free `.` instead
            decimal = "."
        return delimiter, decimal
