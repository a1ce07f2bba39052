"""`summary.txt`: a night's summary as the person on duty reads it, in the report language
(`report.language`; the words are in `importer.words`, the `night.` keys). Also the body of
the night's notification, so it says everything a person needs without opening a file: per file
the creditor, the counts and amounts, the rows needing attention with their credit note and
invoice, the file's warnings, the report folder and the exact next command; what waits and why;
which folders are left alone; an expected file that never came. Times are local, with their
offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from importer.attention import import_next_steps
from importer.exit_codes import ExitCode
from importer.refusal import shown as one_line
from importer.summary_words import local_time, outcome_counts, read_text, status_counts
from importer.words import Language, number_text, outcome_text, rows_text, text

if TYPE_CHECKING:
    from importer.drop.summary import DropSummary, FileSummary


def render(summary: DropSummary) -> str:
    lang = summary.language
    code = summary.exit_code
    meaning = text(f"night.meaning_{int(code)}", lang)
    if (
        code == ExitCode.INCOMPLETE
        and all(f.exit_code != ExitCode.INCOMPLETE for f in summary.files)
        and ExitCode.INCOMPLETE in summary.note_codes
    ):
        meaning = text("night.meaning_unwritten", lang)
    finished = summary.finished or summary.started
    lines = [
        text("night.title", lang, night=summary.drop_id, inbox=str(summary.inbox)),
        text(
            "night.counts",
            lang,
            files=len(summary.files),
            code=int(code),
            meaning=meaning,
            started=local_time(summary.started, summary.timezone),
            finished=local_time(finished, summary.timezone),
        ),
    ]
    if not summary.files and not summary.notes and not summary.missing:
        lines.append(text("night.nothing", lang))
    lines.extend(
        text("night.missing", lang, inbox=label, time=summary.expect_by or "")
        for label in summary.missing
    )
    lines.extend(text("night.note", lang, text=note) for note in summary.notes)
    for orphan in summary.orphan_markers:
        days = f"{summary.orphan_marker_days:g}"
        fate = text(
            "night.orphan_removed" if orphan.removed else "night.orphan_kept", lang, days=days
        )
        lines.append(
            text(
                "night.orphan",
                lang,
                marker=orphan.marker,
                age=orphan.age_days,
                fate=fate,
                inbox=orphan.inbox,
            )
        )
    for item in summary.files:
        lines.append("")
        lines.extend(file_lines(item, summary.currency, lang))
    if summary.waiting:
        lines += ["", text("night.waiting_head", lang, count=len(summary.waiting))]
        for wait in summary.waiting:
            why = text(
                f"night.wait_{wait.kind}", lang, time=local_time(wait.since, summary.timezone)
            )
            lines.append(f"  {wait.inbox}/{wait.file}: {why}")
    if summary.ignored:
        lines += ["", text("night.ignored_head", lang)]
        lines.extend(
            "  " + text("night.ignored", lang, folder=str(i.folder), count=i.files)
            for i in summary.ignored
        )
    if summary.notifications:
        lines.append("")
        for sent in summary.notifications:
            at = local_time(datetime.fromisoformat(sent["at"]), summary.timezone)
            key = "night.notified" if sent.get("sent") else "night.not_notified"
            lines.append(
                text(key, lang, channel=sent["channel"], time=at, problem=sent.get("problem"))
            )
    return "\n".join(lines) + "\n"


def file_lines(item: FileSummary, currency: str, lang: Language) -> list[str]:
    creditor = ", ".join(item.creditors) or text("night.no_creditor", lang)
    where = (
        one_line(str(item.archived), lang) if item.archived else text("night.in_processing", lang)
    )
    state = text(f"night.state_{item.state.replace(' ', '_')}", lang)
    lines = [  # the file's name as the sender wrote it, on one line (`refusal.shown`)
        text(
            "night.file", lang, file=one_line(item.file, lang), inbox=item.inbox, creditor=creditor
        ),
        "  " + text("night.file_state", lang, state=state, code=int(item.exit_code), where=where),
    ]
    reason = item.reason_in(lang)
    if reason:
        lines.append(f"  {reason}")
    if item.problem:
        lines.append(f"  {item.problem}")
    if item.import_id and item.state in ("imported", "unfinished"):
        shown = outcome_counts(item.outcomes, lang)
        lines.append("  " + text("night.rows", lang, rows=item.rows, shown=shown))
        statuses = status_counts(item.statuses, lang)
        if statuses:
            lines.append("  " + text("night.statuses", lang, shown=statuses))
        lines.append(
            "  "
            + text(
                "night.amounts",
                lang,
                requested=number_text(item.amount_requested, lang),
                settled=number_text(item.amount_settled, lang),
                currency=currency,
            )
        )
        if item.amount_read is not None:
            lines.append(
                "  " + read_text(item.amount_read, item.rows_without_amount, lang, currency)
            )
    lines.extend("  " + text("night.warning", lang, text=w) for w in item.warnings)
    if item.report_dir is not None:
        html = item.report_html.name if item.report_html else "report.json"
        lines.append("  " + text("night.report", lang, folder=str(item.report_dir), name=html))
    if item.attention_total:
        lines.append("  " + text("night.attention_head", lang, count=item.attention_total))
        if item.problem_rows:
            rows = rows_text(item.problem_rows)
            lines.append(
                "    " + text("cli.same_reason_rows", lang, count=len(item.problem_rows), rows=rows)
            )
        lines.extend(
            "    "
            + text(
                "night.attention_row",
                lang,
                row=row.row,
                outcome=_inside(outcome_text(*_outcome(row.outcome), lang)),
                note=row.credit_note or "-",
                invoice=row.invoice or "-",
                reason=row.reason,
            )
            for row in item.attention
        )
        more = item.attention_total - len(item.attention) - len(item.problem_rows)
        if more > 0:
            lines.append("    " + text("night.more", lang, count=more))
    lines.extend("  " + text("night.next", lang, step=step) for step in next_steps(item, lang))
    return lines


def _outcome(shown: str) -> tuple[str, str | None]:
    """`credited/warning` (as the summary's JSON keeps it) → ("credited", "warning")."""
    outcome, _, status = shown.partition("/")
    return outcome, status or None


def next_steps(item: FileSummary, lang: Language) -> list[str]:
    """What to do about one file, as the exact command to type where there is one."""
    inbox = str(item.inbox_path or item.inbox)
    if item.state == "rejected":
        return [text("next.import_file", lang), text("night.next_drop_again", lang, inbox=inbox)]
    if item.state == "unfinished":
        if item.import_id:
            return [text("night.next_unfinished", lang, id=item.import_id, inbox=inbox)]
        return [text("night.next_retry", lang, inbox=inbox)]
    if item.state == "already imported" or item.import_id is None:
        return []
    csv = (item.report_dir / "report.csv") if item.report_dir else "report.csv"
    keys = import_next_steps(item.outcomes, item.statuses, dry_run=False, rejected_file=False)
    steps = [text(k, lang, id=item.import_id, csv=csv) for k in keys if k != "next.import_done"]
    if not steps and item.attention_total:
        steps.append(text("night.next_show", lang, id=item.import_id))
    return steps


def _inside(words: str) -> str:
    """An outcome's words inside a sentence: its first letter small, the rest as written
    ("avvisad av API:et", never "api:et")."""
    return words[:1].lower() + words[1:]
