"""report.html: one self-contained page for a mail or a browser — the Summary, a bar of the
outcomes, and the rows needing attention (the first `SHOWN_ROWS`, then how many more), in the
report's language.

Self-contained on purpose: inline CSS, no script, no image, no font, no link that loads
anything, so it opens the same offline, in a mail client that blocks remote content, and
years later. Every text that came from the file or the API is escaped (`html.escape`, quotes
included): a cell holding `<script>` shows as text. Written front to back as the blocks come,
so memory stays one block whatever the size of the import."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from typing import BinaryIO

from importer.attention import shares_rejection
from importer.outcomes import OUTCOME_ORDER
from importer.report import head_words
from importer.report.blocks import RowBlock
from importer.report.control import reconciling_lines
from importer.report.model import KNOWN_STATUSES, Report
from importer.report.row_words import (
    OUTCOME_FILLS,
    WordedRow,
    attention_indices,
    fill_key,
    report_labels,
    worded_rows,
)
from importer.report.settings import ReportSettings
from importer.words import outcome_text, text

SHOWN_ROWS = 500
"""Rows needing attention shown on the page; the rest are counted (report.csv has them)."""

_ROW_LABELS = (
    "label.row",
    "label.outcome",
    "label.reason",
    "label.next_step",
    "label.amount_requested",
    "label.message",
)
"""The page's columns after the file's own, in the rows needing attention."""

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:24px;color:#222}
h1{font-size:20px;overflow-wrap:anywhere}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
table.rows{width:100%}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.warn{color:#9c0006;font-weight:bold}
.bar{display:flex;height:22px;width:100%;max-width:900px;border:1px solid #999}
.bar div{height:100%}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _money(value: Decimal | None, language: str = "en") -> str:
    """Money as the report's language writes it: `1 234.50` (en), `1 234,50` (sv); the
    thousands separator a no-break space either way."""
    if value is None:
        return ""
    shown = f"{value:,.2f}"
    if language == "sv":
        return shown.replace(".", "#").replace(",", "\u00a0").replace("#", ",")
    return shown.replace(",", "\u00a0")


def _time(moment: datetime | None, settings: ReportSettings) -> str:
    return settings.shown(moment)


class HtmlWriter:
    """report.html, written block by block (see `importer.report.write_reports`)."""

    def __init__(
        self, report: Report, columns: list[str], handle: BinaryIO, settings: ReportSettings
    ) -> None:
        self._report = report
        self._columns = columns
        self._handle = handle
        self._settings = settings
        self._shown = 0
        self._more = 0
        self._write(self._head())

    def _t(self, key: str, **values: object) -> str:
        return text(key, self._settings.language, **values)

    def _write(self, page: str) -> None:
        self._handle.write(page.encode("utf-8"))

    def _head(self) -> str:
        report, t = self._report, self._t
        language = self._settings.language
        summary = report.summary
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self._settings.language}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            f"<title>{_e(t('label.title'))} {_e(report.file_import_report)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{_e(t('label.title'))}: {_e(report.file.name)}</h1>",
        ]
        if report.dry_run:
            parts.append(f'<p class="warn">{_e(t("label.dry_run"))}</p>')
        elif report.sandbox:
            parts.append(f'<p class="warn">{_e(t("label.sandbox_yes"))}</p>')
        creditor = ", ".join(report.creditor)
        rows = [
            ("label.import", report.file_import_report),
            ("label.file", report.file.name),
            ("label.sha256", report.file.sha256),
            ("label.creditor", creditor or ""),
            ("label.api", report.api.get("base_url", "")),
            ("label.started", _time(report.started, self._settings)),
            (
                "label.finished",
                _time(report.finished, self._settings) or t("label.not_finished"),
            ),
            ("label.exit_code", "" if report.exit_code is None else report.exit_code),
        ]
        parts.append("<table>")
        parts += [f"<tr><th>{_e(t(k))}</th><td>{_e(v)}</td></tr>" for k, v in rows if v != ""]
        parts.append("</table>")
        parts.append(self._bar())
        parts.append(f"<h2>{_e(t('label.control_totals'))}</h2><table>")
        parts.append(
            f"<tr><th>{_e(t('label.outcome'))}</th><th>{_e(t('label.rows'))}</th>"
            f"<th>{_e(t('label.amount'))}</th></tr>"
        )
        parts.append(
            f"<tr><td>{_e(t('label.rows_read'))}</td><td class=n>{summary.rows}</td>"
            f"<td class=n>{_money(summary.amount_read, language)}</td></tr>"
        )
        for outcome in OUTCOME_ORDER:
            key = outcome.value
            parts.append(
                f"<tr><td>{_e(outcome_text(key, None, language))}</td>"
                f"<td class=n>{summary.outcomes.get(key, 0)}</td>"
                f"<td class=n>{_money(summary.amounts.get(key, Decimal(0)), language)}</td></tr>"
            )
        for status in KNOWN_STATUSES:
            parts.append(
                f"<tr><td>&nbsp;&nbsp;{_e(outcome_text('credited', status, language))}</td>"
                f"<td class=n>{summary.statuses.get(status, 0)}</td><td></td></tr>"
            )
        parts += [
            f"<tr><td>{_e(t(label))}</td><td class=n>{rows}</td>"
            f"<td class=n>{'' if amount is None else _money(amount, language)}</td></tr>"
            for label, rows, amount in reconciling_lines(summary)
        ]
        parts.append(
            f"<tr><th>{_e(t('label.amount_settled'))}</th><td></td>"
            f"<td class=n>{_money(summary.amount_settled, language)}</td></tr></table>"
        )
        parts.append(f"<h2>{_e(t('label.next_step'))}</h2><ul>")
        parts += [f"<li>{_e(step)}</li>" for step in head_words.next_steps(report, self._settings)]
        parts.append("</ul>")
        if report.file_errors:
            parts.append(f"<h2>{_e(t('label.file_errors'))}</h2><ul>")
            parts += [
                f"<li>{_e(said)}</li>" for said in head_words.file_errors(report, self._settings)
            ]
            parts.append("</ul>")
        warnings = head_words.warnings(report, self._settings)
        if warnings:
            parts.append(f"<h2>{_e(t('label.warnings'))}</h2><ul>")
            parts += [f"<li>{_e(warning)}</li>" for warning in warnings]
            parts.append("</ul>")
        if report.audit:
            parts.append(f"<h2>{_e(t('label.audit'))}</h2><ul>")
            said = (e.lines(self._settings.language, self._settings.timezone) for e in report.audit)
            parts += [f"<li>{'<br>'.join(map(_e, lines))}</li>" for lines in said]
            parts.append("</ul>")
        parts.append(f"<h2>{_e(t('label.needs_attention'))}</h2>")
        language = self._settings.language
        header = [*self._columns, *report_labels(self._columns, _ROW_LABELS, language)]
        parts.append(
            '<table class="rows"><tr>' + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"
        )
        return "\n".join(parts) + "\n"

    def _bar(self) -> str:
        """The outcomes as one stacked bar (plain divs with widths: no script, no image)."""
        summary = self._report.summary
        if not summary.rows:
            return ""
        language = self._settings.language
        bar, legend = [], []
        for outcome in OUTCOME_ORDER:
            count = summary.outcomes.get(outcome.value, 0)
            if not count:
                continue
            colour = OUTCOME_FILLS[outcome.value]
            label = _e(outcome_text(outcome.value, None, language))
            bar.append(
                f'<div style="width:{100 * count / summary.rows:.3f}%;background:{colour}" '
                f'title="{label}: {count}"></div>'
            )
            legend.append(f'<span><i style="background:{colour}"></i>{label}: {count}</span>')
        return f'<div class="bar">{"".join(bar)}</div><p class="legend">{"".join(legend)}</p>'

    def add(self, block: RowBlock) -> None:
        report = self._report
        held = report.held_back
        indices = attention_indices(block, dry_run=report.dry_run, held=held)
        room = SHOWN_ROWS - self._shown
        self._more += max(0, len(indices) - room)
        indices = indices[: max(room, 0)]
        if not indices:
            return
        rows = worded_rows(
            block,
            self._columns,
            indices,
            language=self._settings.language,
            import_id=report.file_import_report,
            dry_run=report.dry_run,
            report_csv=self._settings.report_csv,
            shared=shares_rejection(report.warnings),
            held=held,
        )
        self._write("".join(map(self._row, rows)))
        self._shown += len(indices)

    def _row(self, row: WordedRow) -> str:
        colour = OUTCOME_FILLS[fill_key(row.outcome, row.status)]
        cells = [f"<td>{_e(cell)}</td>" for cell in row.source[: len(self._columns)]]
        cells += ["<td></td>"] * (len(self._columns) - len(cells))
        cells += [
            f"<td class=n>{row.row}</td>",
            f'<td style="background:{colour}">{_e(row.outcome_text)}</td>',
            f"<td>{_e(row.reason)}</td>",
            f"<td>{_e(self._next_step(row))}</td>",
            f"<td class=n>{_money(row.requested, self._settings.language)}</td>",
            f"<td>{_e(row.details)}</td>",
        ]
        return "<tr>" + "".join(cells) + "</tr>\n"

    def _next_step(self, row: WordedRow) -> str:
        """The row's next step; for a row to correct, without the `rerun --fix` command,
        which the page says once, in its next steps above the table."""
        if row.next_step_key == "next.invalid":
            return self._t("next.invalid_above")
        return row.next_step

    def finish(self) -> None:
        tail = ["</table>"]
        if not self._shown:
            tail.append(f"<p>{_e(self._t('label.nothing_needs_attention'))}</p>")
        if self._more:
            tail.append(f"<p>{_e(self._t('label.more_rows', count=f'{self._more:,}'))}</p>")
        tail.append("</body></html>\n")
        self._write("\n".join(tail))
