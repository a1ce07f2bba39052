"""The file import report (docs/reports.md): rendered from the journal, never from memory, so it can
be regenerated at any time and a rerun updates it in place.

`report.json` is the machine contract; `report.csv` and `report.xlsx` are for people (original
columns plus outcome columns). The package, in the order a report is made:

- `model`: what a report holds (`Report`, `ReportRow`, `Summary`);
- `render`: an import's rows from the journal (or a dry run's from validation) as `blocks`;
- `blocks`: rows held column-wise, a block at a time, and the summary counted from them;
- `cells`, `table`: the cell rules (formula neutralisation, money, times) and the table of
  report.csv/report.xlsx;
- `json_writer`, `csv_writer`, `xlsx_writer`, `html_writer`: one writer per format, worded
  by `settings` (language, time zone, dialect) with `row_words` (a row as a person reads it)
  and the catalogue `importer.words`;
- `schema`: report.json's JSON Schema, generated from `model` and shipped;
- `files`, `writers`: atomic files written behind the renderer, and the entry point
  `write_reports`.
"""

from importer.report.blocks import (
    BLOCK_ROWS,
    RequestColumns,
    RowBlock,
    blocks_of,
    build_summary,
    summarise,
)
from importer.report.csv_writer import csv_lines
from importer.report.json_writer import json_rows
from importer.report.model import (
    FORMATS,
    IMPORT_COLUMN,
    KNOWN_STATUSES,
    OUTCOME_COLUMNS,
    SCHEMA_VERSION,
    Attempt,
    FileInfo,
    Report,
    ReportRow,
    Summary,
)
from importer.report.writers import write_reports

__all__ = [
    "BLOCK_ROWS",
    "FORMATS",
    "IMPORT_COLUMN",
    "KNOWN_STATUSES",
    "OUTCOME_COLUMNS",
    "SCHEMA_VERSION",
    "Attempt",
    "FileInfo",
    "Report",
    "ReportRow",
    "RequestColumns",
    "RowBlock",
    "Summary",
    "blocks_of",
    "build_summary",
    "csv_lines",
    "json_rows",
    "summarise",
    "write_reports",
]
