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
    workbook or an import journalled before they were kept)."""

    delimiter: str | None = None
    decimal: str | None = None


@dataclass(frozen=True, slots=True)
class ReportSettings:
    language: Language = "en"
    timezone: str = "Europe/Stockholm"
    xlsx_all_rows: int = 50_000
    csv_dialect: CsvDialect = "source"
    source: SourceDialect = SourceDialect()
    api_key_env: str = "AMILI_API_KEY"
    """The variable the API key is read from, for the next step after a refused key."""
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
            api_key_env=config.api.api_key_env,
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
        delimiter other than `,` `;` tab `|` or an unknown one falls back to `excel`."""
        if self.csv_dialect == "excel-sv":
            return ";", ","
        if self.csv_dialect == "excel":
            return ",", "."
        delimiter = self.source.delimiter if self.source.delimiter in (",", ";", "\t", "|") else ","
        decimal = self.source.decimal if self.source.decimal in (".", ",") else "."
        if decimal == delimiter:  # `,` both ways cannot be read back: quote-free `.` instead
            decimal = "."
        return delimiter, decimal
