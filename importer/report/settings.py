"""How a report is worded and laid out, apart from what it says: language, local time zone,
the workbook's row limit and report.csv's dialect. One value handed to every writer, so the
writers never read the configuration themselves (the report layer stays below config)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from importer.config import Config
from importer.local_time import in_zone, offset_text, shown
from importer.refusal import Refusal
from importer.report.blocks import AmountFill
from importer.words import Language

CsvDialect = Literal["source", "excel", "excel-sv"]


AmountReading = Callable[["SourceDialect", Sequence[str]], AmountFill]
"""Given the file's dialect and header, what fills in the amounts of a block's rows from
their cells where they are None (`summarise`'s `read`): reading an amount is validation's
rule, so the pipeline hands it to the report (`importer.pipeline.amounts_read`)."""


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
    amount_decimal: Literal[".", ","] | None = None
    """The decimal separator the file's amounts were read with (None: not known)."""
    amount_guard: bool = False
    """The separator was a guess: `1,234`-like amounts were ambiguous (not read)."""
    amount_absolute: bool = False
    """`input.negative_amounts: absolute`: a negative amount was read as its absolute value
    (an export that signs its credits), an invalid row's too."""

    def notes(self) -> dict[str, Any]:
        """What the journal keeps beside the delimiter and decimal mark (`of_notes`)."""
        return {
            "amount_column": self.amount_column,
            "date_column": self.date_column,
            "amount_decimal": self.amount_decimal,
            "amount_guard": self.amount_guard,
            "amount_absolute": self.amount_absolute,
        }

    @classmethod
    def of_notes(cls, notes: dict[str, Any], file_format: str | None) -> SourceDialect:
        """The dialect the journal kept for an import (see `notes`); an import journalled
        before a note was kept gets its default."""
        return cls(
            notes.get("delimiter"),
            notes.get("decimal"),
            workbook=file_format not in (None, "csv"),
            amount_column=notes.get("amount_column"),
            date_column=notes.get("date_column"),
            amount_decimal=notes.get("amount_decimal"),
            amount_guard=bool(notes.get("amount_guard")),
            amount_absolute=bool(notes.get("amount_absolute")),
        )


@dataclass(frozen=True, slots=True)
class ReportSettings:
    language: Language = "en"
    timezone: str | None = None
    """`report.timezone`: the zone times are shown in (None: the machine's)."""
    xlsx_all_rows: int = 50_000
    csv_dialect: CsvDialect = "source"
    source: SourceDialect = SourceDialect()
    api_key_env: str = "AMILI_API_KEY"
    """The variable the API key is read from, for the next step after a refused key."""
    report_csv: str = "report.csv"
    """Where this report's report.csv is, for the next step's `rerun --fix` (set by
    `write_reports` from the folder it writes into, so `report.dir` is honoured)."""
    amount_reading: AmountReading | None = None
    """How the file's own amount cells read (the workbook shows them as numbers); None:
    they stay text."""
    refusal: Refusal | None = None
    """Why the file was refused as a whole, when it was and the journal kept it: the pages
    word it in `language` (`head_words.file_errors`); report.json keeps the English."""

    @classmethod
    def of(cls, config: Config) -> ReportSettings:
        """The settings the configuration asks for (the source's dialect is added by the
        renderer, which knows the file)."""
        return cls(
            language=config.report.language,
            timezone=config.report.timezone,
            xlsx_all_rows=config.report.xlsx_all_rows,
            csv_dialect=config.report.csv_dialect,
            api_key_env=config.api.api_key_env,
        )

    def local(self, moment: datetime) -> datetime:
        """A journal time (UTC; naive means UTC) as naive local time: Excel stores no time
        zone, so the workbook says which zone (`zone_text`) and converts here."""
        return in_zone(moment, self.timezone).replace(tzinfo=None)

    def shown(self, moment: datetime | None) -> str:
        """A time as people read it, in the report's zone with its offset."""
        return shown(moment, self.timezone)

    def zone_text(self, moment: datetime) -> str:
        """The zone of the report's times, as of `moment`: `Europe/Stockholm (UTC+01:00)`,
        or for the machine's zone just its offset."""
        offset = f"UTC{offset_text(in_zone(moment, self.timezone))}"
        return offset if self.timezone is None else f"{self.timezone} ({offset})"

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
