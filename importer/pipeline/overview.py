"""`<report dir>/index.html`: every import on one page a person opens in the morning, newest
first — when, which file, whose, the counts, the amounts, what is still open — linking each
import's report.html and each drop night's summary. Rewritten after every report is written
(a run, a rerun, a drop's import, `report`, `resolve`) and after every drop pass.

Past `PAGE_ROWS` imports it is paged (`index.html`, `index-2.html`, …) so a year of nightly
files stays a page a browser opens at once. The page is self-contained like report.html: no
script, nothing fetched from elsewhere, every cell escaped; links are relative to the report
folder (a report written elsewhere with --report-dir is linked by its file: URL), so the
folder can be copied or served as it is.

Its figures come from `importer.pipeline.history` (the rule of what is open is
`importer.attention`'s): every row of every import is read each time, a few columns each;
a page that cannot be written is logged and never fails the import (the journal has it all,
the next import writes it again)."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from importer import logs
from importer.config import Config
from importer.journal import Journal
from importer.local_time import shown
from importer.pipeline.history import ImportEntry, list_imports
from importer.report.files import atomic_file, remove_stale_temps
from importer.words import Language, number_text, text

log = logs.get_logger(__name__)

INDEX = "index.html"
PAGE_ROWS = 200
"""Imports per page: a page of 200 rows is ~150 KB and renders in a blink."""

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1240px}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "th,td{border:1px solid #ccc;padding:3px 5px;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere;font-size:13px}"
    "td.n{text-align:right;white-space:nowrap}th{background:#eee}"
    ".open{background:#fde2c8}nav a{margin-right:1em}"
)
_COLUMNS = (
    ("started", "10%"),
    ("file", "15%"),
    ("creditor", "13%"),
    ("state", "6%"),
    ("rows", "5%"),
    ("credited", "6%"),
    ("read", "9%"),
    ("credited_sek", "9%"),
    ("settled", "9%"),
    ("open", "12%"),
    ("report", "6%"),
)
"""Each column's word (`overview.column.<name>`, in the report language) and width."""


def write_overview(
    journal: Journal,
    report_dir: Path,
    *,
    page_rows: int = PAGE_ROWS,
    language: Language = "en",
    zone: str | None = None,
) -> Path:
    """Write index.html (and its further pages) under `report_dir`, in `language` with times
    in `zone` (`report.language`, `report.timezone`); returns index.html. An OSError is
    logged, not raised: the overview never fails an import."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(report_dir)  # a page of a writer killed mid-write
        pages = overview_pages(
            journal, report_dir, page_rows=page_rows, language=language, zone=zone
        )
        for name, text in pages:
            with atomic_file(report_dir / name) as handle:
                handle.write(text.encode("utf-8"))
    except OSError as exc:
        log.warning("overview.unwritten", folder=str(report_dir), error=str(exc))
    return report_dir / INDEX


def write_overview_of(journal: Journal, config: Config) -> Path:
    """`write_overview` into the configured report folder, in the report's language and
    time zone."""
    report = config.report
    return write_overview(journal, report.dir, language=report.language, zone=report.timezone)


def page_name(page: int) -> str:
    return INDEX if page == 1 else f"index-{page}.html"


def overview_pages(
    journal: Journal,
    report_dir: Path,
    *,
    page_rows: int = PAGE_ROWS,
    language: Language = "en",
    zone: str | None = None,
) -> Iterator[tuple[str, str]]:
    """(file name, HTML) of every page, newest import first; at least one page."""
    entries = list_imports(journal)[::-1]
    pages = max(1, -(-len(entries) // page_rows))
    nights = _nights(report_dir)
    for page in range(1, pages + 1):
        chunk = entries[(page - 1) * page_rows : page * page_rows]
        rows = [_row(entry, journal, report_dir, language, zone) for entry in chunk]
        shown_nights = nights if page == 1 else []
        yield page_name(page), _page(rows, page, pages, len(entries), shown_nights, language)


def _page(
    rows: list[str], page: int, pages: int, total: int, nights: list[str], language: Language
) -> str:
    e = html.escape

    def t(key: str, **values: object) -> str:
        return e(text(f"overview.{key}", language, **values))

    widths = "".join(f'<col style="width:{w}">' for _, w in _COLUMNS)
    header = "".join(f"<th>{t('column.' + name)}</th>" for name, _ in _COLUMNS)
    nav = "".join(
        f'<a href="{page_name(n)}">{t("page", page=n) if n != page else "[" + str(n) + "]"}</a>'
        for n in range(1, pages + 1)
    )
    title = t("title")
    parts = [
        f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1><p>{t('count', count=total, page=page, pages=pages)}</p>",
        f"<nav>{nav}</nav>" if pages > 1 else "",
        f"<table>{widths}<tr>{header}</tr>",
        *rows,
        "</table>",
        f"<nav>{nav}</nav>" if pages > 1 else "",
    ]
    if nights:
        parts += [f"<h2>{t('nights')}</h2><ul>", *nights, "</ul>"]
    parts.append("</body></html>\n")
    return "\n".join(part for part in parts if part)


def _row(
    entry: ImportEntry, journal: Journal, report_dir: Path, language: Language, zone: str | None
) -> str:
    e = html.escape
    record, figures = entry.record, entry.figures
    report = (journal.notes.report_dir(record.id) or report_dir / record.id) / "report.html"
    link = (
        f'<a href="{e(_href(report, report_dir))}">{e(text("overview.report", language))}</a>'
        if report.is_file()
        else e(text("overview.report_gone", language))
    )
    started = shown(record.started, zone, seconds=False)
    state = text(f"overview.state.{record.state}", language)
    if record.dry_run:
        state += " " + text("overview.dry_run", language)
    credited = sum(n for outcome, n in entry.counts.items() if outcome.value == "credited")
    cells = [
        (started, ""),
        (record.file_name, ""),
        (", ".join(figures.creditors) or "-", ""),
        (state, ""),
        (str(record.rows), "n"),
        (str(credited), "n"),
        (number_text(figures.amount_read, language), "n"),
        (number_text(figures.amount_credited, language), "n"),
        (number_text(figures.amount_settled, language), "n"),
        (figures.open_text(language), "open" if figures.open_items else ""),
    ]
    tds = "".join(
        f'<td class="{kind}">{e(text)}</td>' if kind else f"<td>{e(text)}</td>"
        for text, kind in cells
    )
    return f'<tr id="{e(record.id)}" title="{e(record.id)}">{tds}<td>{link}</td></tr>'


def _nights(report_dir: Path) -> list[str]:
    """A list item per drop summary folder, newest first, linking its summary files."""
    drops = report_dir / "drops"
    if not drops.is_dir():
        return []
    items = []
    for folder in sorted((p for p in drops.iterdir() if p.is_dir()), reverse=True):
        links = [
            f'<a href="{html.escape(_href(folder / name, report_dir))}">{html.escape(name)}</a>'
            for name in ("summary.txt", "summary.json")
            if (folder / name).is_file()
        ]
        if links:
            items.append(f"<li>{html.escape(folder.name)}: {' '.join(links)}</li>")
    return items


def _href(target: Path, report_dir: Path) -> str:
    """A link from index.html to `target`: relative inside the report folder, else its
    file: URL (a report written elsewhere with --report-dir)."""
    try:
        relative = Path(os.path.relpath(target.resolve(), report_dir.resolve()))
    except ValueError:  # another drive (Windows)
        return target.resolve().as_uri()
    if relative.parts and relative.parts[0] == "..":
        return target.resolve().as_uri()
    return quote(relative.as_posix())
