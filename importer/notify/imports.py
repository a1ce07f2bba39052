"""Telling an import's result (`importer run` and `rerun`, when `notify:` is configured):
one message per file, as `notify.when` says, with report.html attached. A dry run tells
nobody (nothing was sent). What cannot be sent is logged and owed in the night's folder
(`importer.notify.delivery`): the next drop pass sends it; the import's exit code is its own.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from importer.config import Config
from importer.notify.delivery import Delivery, deliver, owe, wanted
from importer.notify.message import Message, attachable
from importer.pipeline import ImportResult
from importer.report import Report, head_words
from importer.report.settings import ReportSettings
from importer.summary_words import outcome_counts, read_text, status_counts
from importer.words import Language, number_text, text

NEEDING = ("invalid", "rejected", "not_sent", "unknown")
"""Outcomes a person looks at (with the statuses warning and error of credited rows)."""


def tell_import(
    config: Config,
    result: ImportResult,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """Notify one import's result when configured and `notify.when` wants it; returns what
    was tried (nothing when not wanted). `stop`: the run's, set by a signal, after which the
    message is waited for `waiting.STOP_GRACE` seconds more (then it is owed)."""
    notify = config.notify
    report = result.report
    if not notify.configured or report is None or report.dry_run:
        return []
    if not wanted(notify.when, int(result.exit_code)):
        return []
    moment = now or datetime.now().astimezone()
    night = config.drop.night_of(moment).isoformat()
    message = import_message(config, result, report, night)
    deliveries = deliver(notify, message, moment, stop=stop)
    if any(not d.sent for d in deliveries):
        owe(config.report.dir / "drops" / night, report.file_import_report, message, deliveries)
    return deliveries


def import_message(config: Config, result: ImportResult, report: Report, night: str) -> Message:
    lang: Language = config.report.language
    summary = report.summary
    creditor = ", ".join(report.creditor) or config.defaults.creditor or "-"
    attention = sum(summary.outcomes.get(o, 0) for o in NEEDING)
    attention += summary.statuses.get("warning", 0) + summary.statuses.get("error", 0)
    subject = text(
        "night.import_subject",
        lang,
        creditor=creditor,
        file=report.file.name,
        night=night,
        code=int(result.exit_code),
        rows=summary.rows,
        credited=summary.outcomes.get("credited", 0),
        attention=attention,
    )
    counts = outcome_counts(summary.outcomes, lang)
    lines = [
        text("night.import_head", lang, file=report.file.name, id=report.file_import_report),
        "  " + text("night.rows", lang, rows=summary.rows, shown=counts),
    ]
    statuses = status_counts(summary.statuses, lang)
    if statuses:
        lines.append("  " + text("night.statuses", lang, shown=statuses))
    lines.append(
        "  "
        + text(
            "night.amounts",
            lang,
            requested=number_text(summary.amount_requested, lang),
            settled=number_text(summary.amount_settled, lang),
            currency=config.defaults.currency,
        )
    )
    if summary.rows:
        read = read_text(
            summary.amount_read, summary.rows_without_amount, lang, config.defaults.currency
        )
        lines.append("  " + read)
    refusal = result.rejected.refusal if result.rejected is not None else None
    refused = replace(ReportSettings.of(config), refusal=refusal)
    said = head_words.file_errors(report, refused)  # a refused file's reason, in `lang`
    said += head_words.warnings(report, refused)  # in `lang`; the import's problem is a step
    lines += ["  " + text("night.warning", lang, text=problem) for problem in said]
    html = result.report_paths.get("html")
    folder = next(iter(result.report_paths.values())).parent if result.report_paths else None
    if folder is not None:
        name = html.name if html else "report.json"
        lines.append("  " + text("night.report", lang, folder=str(folder), name=name))
    csv = result.report_paths.get("csv") or "report.csv"
    named = {**head_words.named(report, refused), "csv": csv}
    lines += [
        "  " + text("night.next", lang, step=text(k, lang, **named))
        for k in head_words.step_keys(report)
        if k != "next.import_done"
    ]
    kept, left = attachable([html] if html else [], config.notify.max_attachment_bytes, lang)
    return Message(
        subject=subject,
        headline=subject,
        body="\n".join(lines) + "\n",
        summary=report.model_dump(mode="json", exclude={"rows"}),
        exit_code=int(result.exit_code),
        attachments=kept,
        left_out=left,
    )
