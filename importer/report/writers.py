"""The entry point: write the requested report formats, block by block, each file atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Protocol

from importer.bulk import gc_paused
from importer.errors import ConfigError
from importer.report.blocks import RowBlock, blocks_of, table_columns
from importer.report.csv_writer import CsvWriter
from importer.report.files import atomic_file, remove_stale_temps, written_behind
from importer.report.json_writer import JsonWriter
from importer.report.model import FORMATS, Report
from importer.report.settings import ReportSettings
from importer.words import CATALOGUE, Language, text


class _Writer(Protocol):
    def add(self, block: RowBlock) -> None: ...
    def finish(self) -> None: ...


def _xlsx_writer(
    report: Report, columns: list[str], handle: BinaryIO, settings: ReportSettings
) -> _Writer:
    """The workbook library is imported only when a workbook is asked for, so `validate`
    without one starts fast."""
    from importer.report.xlsx_writer import XlsxWriter

    return XlsxWriter(report, columns, handle, settings)


def _html_writer(
    report: Report, columns: list[str], handle: BinaryIO, settings: ReportSettings
) -> _Writer:
    from importer.report.html_writer import HtmlWriter

    return HtmlWriter(report, columns, handle, settings)


_STREAMED = {"json", "csv", "html"}
"""Formats written strictly front to back (the workbook's zip needs a seekable file)."""


_WRITERS: dict[str, Callable[[Report, list[str], BinaryIO, ReportSettings], _Writer]] = {
    "json": JsonWriter,
    "csv": CsvWriter,
    "xlsx": _xlsx_writer,
    "html": _html_writer,
}


def texts_of(language: Language) -> dict[str, dict[str, str]]:
    """report.json's `texts`: the words for every outcome, status, API reason key and error
    code the catalogue knows, in `language` (see `Report.texts`)."""
    groups = {"outcome": "outcome.", "status": "status.", "status_reason_locale": "reason."}
    texts: dict[str, dict[str, str]] = {name: {} for name in (*groups, "error")}
    for key in CATALOGUE:
        for name, prefix in groups.items():
            if key.startswith(prefix):
                texts[name][key.removeprefix(prefix)] = text(key, language)
        if key.startswith("error."):
            texts["error"][key.removeprefix("error.")] = text(key, language)
    return texts


def write_reports(
    report: Report,
    directory: Path,
    formats: list[str],
    blocks: Iterable[RowBlock] | None = None,
    settings: ReportSettings | None = None,
) -> dict[str, Path]:
    """Write the requested formats into `directory` (created if missing); returns
    {format: path} in the order asked, each format once.

    The rows are `report.rows`, or — when given — `blocks` (then `report.rows` is ignored and
    `report.summary` must already count them): the report is rendered block by block, each
    block fed to every writer in turn, so a caller can stream a large report without ever
    holding all of its rows as models.

    Each file is written to a temporary file beside it and renamed over the old one, so the
    report can be rendered again in place after a rerun and a crash mid-write
    leaves the previous report, never half a new one. An unknown format is a configuration
    error, raised before anything is written.

    `settings` say how the report is worded (language, local time zone, workbook limits,
    report.csv's dialect); the report's `language` and `texts` are set from them."""
    settings = replace(settings or ReportSettings(), report_csv=str(Path(directory) / "report.csv"))
    report.language = settings.language
    report.texts = texts_of(settings.language)
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in _WRITERS]
    if unknown:
        raise ConfigError(
            f"unknown report format {', '.join(map(repr, unknown))}; expected one of "
            f"{', '.join(FORMATS)}"
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(directory)
    columns = table_columns(report)
    if blocks is None:
        blocks = blocks_of(report.rows)
    written: dict[str, Path] = {}
    with gc_paused(), ExitStack() as stack:
        writers = []
        for name in wanted:
            path = directory / f"report.{name}"
            handle = stack.enter_context(atomic_file(path))
            if name in _STREAMED:
                handle = stack.enter_context(written_behind(handle))
            writers.append(_WRITERS[name](report, columns, handle, settings))
            written[name] = path
        for block in blocks:
            for writer in writers:
                writer.add(block)
        for writer in writers:
            writer.finish()
    return written
