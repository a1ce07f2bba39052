"""What the command line tells a person about an import: the closing summary of `run`,
`validate` and `rerun`, and `importer show` — in `report.language`, like the report files,
because the operator who reads the summary is the finance person who reads the report.

Lines, not printing: `importer.cli` prints them, so it stays an adapter, and a test can read
them without a terminal. Every word comes from `importer.words`; the English lines are the ones
the command line has always printed (scripts and people grep them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from importer.attention import (
    CREDITOR_UNKNOWN,
    FILE_PROBLEMS,
    KEY_REFUSED,
    SAME_REASON,
    file_problems,
    import_next_steps,
)
from importer.config import Config
from importer.exit_codes import ExitCode
from importer.local_time import shown as shown_time
from importer.outcomes import Outcome
from importer.pipeline import ImportResult
from importer.pipeline.history import ImportView
from importer.refusal import shown as one_line
from importer.report import Report
from importer.report.control import reconciling_lines
from importer.report.head_words import file_errors, named
from importer.report.settings import ReportSettings
from importer.words import Language, number_text, outcome_text, rows_text, text, warning_text

_LABEL = 18
"""Width of the summary's label column (English labels fit it; longer ones widen it)."""
_SHOW_LABEL = 11


def _width(keys: Sequence[str], language: Language, least: int) -> int:
    return max(least, *(len(text(key, language)) + 2 for key in keys))


def result_lines(
    result: ImportResult, elapsed: float, config: Config, given: str | None = None
) -> list[str]:
    """The closing summary of one file. A rejected file's reason is the CLI's one line on
    stderr, and a refused key is the next step: neither is repeated here."""
    language = config.report.language
    rejected = result.exit_code is ExitCode.USAGE and bool(result.message)  # said on stderr
    if result.report is None:
        if result.exit_code is not ExitCode.USAGE:  # a usage error is one line, on stderr
            return [f"{result.file}: {result.message}"]
        return []
    report = result.report
    summary = report.summary

    def t(key: str, **values: object) -> str:
        return text(key, language, **values)

    labels = ["cli.creditor", "cli.amount_requested", "cli.amount_settled", "cli.elapsed"]
    width = _width([*labels, "cli.posting", "cli.report"], language, _LABEL)

    def line(key: str, value: str) -> str:
        return f"  {t(key):<{width}}{value}"

    kind = t("cli.dry_run") if report.dry_run else t("cli.api", url=report.api.get("base_url", ""))
    named_file = one_line(result.file, language)  # on one line, whatever the name holds
    lines = ["", t("cli.head", file=named_file, id=report.file_import_report, kind=kind)]
    # `given` is --creditor: a file rejected as a whole has no rows to name a creditor.
    creditor = ", ".join(report.creditor) or given or config.defaults.creditor
    if not creditor:
        rejected_file = bool(report.file_errors) and not summary.rows
        creditor = t("cli.creditor_none") if rejected_file else t("cli.creditor_per_row")
    lines.append(line("cli.creditor", creditor))
    if report.sandbox and not report.dry_run:
        lines.append(f"  {t('cli.sandbox')}")
    for problem in report.file_errors:
        if rejected:
            lines.append(f"  {t('cli.file_rejected')}")
        else:
            lines.append(f"  {t('cli.file_rejected_reason', message=problem.message)}")
    lines += _warning_lines(report, config)
    lines += _outcome_lines(report, language)
    lines.append(line("cli.amount_requested", _sek(summary.amount_requested, language)))
    lines.append(line("cli.amount_settled", _sek(summary.amount_settled, language)))
    lines.append(
        line("cli.elapsed", t("cli.seconds", seconds=_decimal(f"{elapsed:.1f}", language)))
    )
    if result.posting is not None:
        run = result.posting
        rate = run.posted / run.seconds if run.seconds > 0 else 0.0
        lane_word = t("cli.lane" if run.lanes == 1 else "cli.lanes")
        rate_text = _decimal(f"{rate:.1f}", language)
        shown = t(
            "cli.posting_rate",
            lanes=run.lanes,
            lane_word=lane_word,
            rows=run.posted,
            rate=rate_text,
        )
        lines.append(line("cli.posting", shown))
    if result.report_paths:
        first = next(iter(result.report_paths.values()))
        lines.append(line("cli.report", f"{first.parent}/ ({', '.join(result.report_paths)})"))
    if result.message and not rejected and KEY_REFUSED not in file_problems(report.warnings):
        lines.append(f"  {result.message}")
    csv_path = result.report_paths.get("csv")
    lines += [f"  {t('cli.next', step=step)}" for step in next_steps(report, csv_path, config)]
    return lines


def _outcome_lines(report: Report, language: Language) -> list[str]:
    """The table of rows and amounts per outcome (English keeps the outcomes' names, as
    scripts grep), the amount read, and the lines that reconcile it with the file's own
    total (`report.control.reconciling_lines`)."""
    summary = report.summary
    names = {outcome: _outcome(outcome.value, language) for outcome in Outcome}
    column = max(12, *(len(name) + 2 for name in names.values()))
    rows, amount = text("cli.rows", language), text("cli.amount", language)
    lines = [f"  {text('cli.outcome', language):<{column}}{rows:>8}{amount:>16}"]
    statuses = ", ".join(f"{_status(k, language)} {v}" for k, v in summary.statuses.items() if v)
    for outcome in Outcome:
        count = summary.outcomes.get(outcome.value, 0)
        money = number_text(summary.amounts.get(outcome.value, Decimal(0)), language)
        extra = ""
        if outcome is Outcome.CREDITED and statuses:
            extra = f"   ({statuses})"
        if outcome is Outcome.NOT_SENT and report.dry_run and count:
            extra = f"   ({text('cli.would_be_sent', language)})"
        lines.append(f"  {names[outcome]:<{column}}{count:>8}{money:>16}{extra}")
    read = number_text(summary.amount_read, language)
    total, meaning = text("cli.total", language), text("cli.amount_read", language)
    lines.append(f"  {total:<{column}}{summary.rows:>8}{read:>16}   ({meaning})")
    for label, count, money_or_none in reconciling_lines(summary):
        short = text(f"cli.{label}", language)
        meaning = text(f"cli.{label}.meaning", language)
        shown = "" if money_or_none is None else number_text(money_or_none, language)
        lines.append(f"  {short:<{column}}{count:>8}{shown:>16}   ({meaning})")
    return lines


def next_steps(report: Report, csv_path: Path | None, config: Config) -> list[str]:
    """What the operator does next, as commands to type (`importer.attention` decides which)."""
    language = config.report.language
    summary = report.summary
    problems = file_problems(report.warnings)
    steps = import_next_steps(
        summary.outcomes,
        summary.statuses,
        dry_run=report.dry_run,
        rejected_file=bool(report.file_errors) and not summary.rows,
        problems=problems,
        sandbox=report.sandbox,
        resolved=summary.resolved_kinds,
        held=report.held_back,
    )
    import_id = report.file_import_report
    fix = csv_path or Path("reports") / import_id / "report.csv"
    values = {**_warning_context(report, config), "id": import_id, "csv": fix}
    lines = []
    for step in steps:
        if step == "next.import_outage":
            lines.append(text("cli.next_outage", language, id=import_id))
        elif step == "next.import_fix":
            lines.append(text("cli.next_fix", language, id=import_id, csv=fix))
        elif step == "next.import_all_or_nothing":
            lines.append(text("cli.next_all_or_nothing", language, id=import_id, csv=fix))
        elif step != "next.import_done":
            lines.append(text(step, language, **values))
    if not lines and report.exit_code == 1 and not report.dry_run:
        # Only credited rows a person must look at: credited twice, or an answer that did
        # not fit (the report's exit code says so; see importer.report.render).
        lines.append(text("cli.next_flagged", language, id=import_id))
    return lines


def show_lines(view: ImportView, config: Config) -> list[str]:
    """`importer show`: the import's summary, its next steps and its rows needing attention.
    Rows refused for the import's own problem (`importer.attention.FILE_PROBLEMS`) are one
    line under that problem, not a row problem each."""
    language = config.report.language
    report = view.report
    summary = report.summary

    def t(key: str, **values: object) -> str:
        return text(key, language, **values)

    keys = ["cli.creditor", "cli.started", "cli.rows", "cli.requested", "cli.exit_code"]
    keys += ["cli.amounts", "cli.open", "cli.by_hand"]
    width = _width([*keys, "cli.report"], language, _SHOW_LABEL)

    def line(key: str, value: str) -> str:
        return f"  {t(key):<{width}}{value}"

    sandbox = t("cli.sandbox_mark") if report.sandbox else ""
    outcomes = ", ".join(f"{_outcome(k, language)} {v}" for k, v in summary.outcomes.items() if v)
    requested = _sek(summary.amount_requested, language)
    settled = _sek(summary.amount_settled, language)
    zone = config.report.timezone
    finished = shown_time(report.finished, zone) or "-"
    lines = [
        t("cli.show_head", id=report.file_import_report, file=report.file.name),
        line("cli.creditor", ", ".join(view.creditors) or "-"),
        f"  {'API':<{width}}{report.api.get('base_url', '')}{sandbox}",
        line("cli.started", f"{shown_time(report.started, zone)}   {t('cli.finished')} {finished}"),
        line("cli.rows", f"{summary.rows}: {outcomes}"),
        line("cli.requested", f"{requested}   {t('cli.settled')} {settled}"),
        line("cli.amounts", view.figures.amounts_text(language)),
        line("cli.open", view.figures.open_text(language, prefix=False)),
        line("cli.exit_code", str(report.exit_code)),
    ]
    folder = view.report_csv.parent
    gone = "" if folder.is_dir() else " " + t("cli.report_gone", id=report.file_import_report)
    lines.append(line("cli.report", f"{folder}/{gone}"))
    refused = replace(ReportSettings.of(config), refusal=view.refusal)  # worded as the report
    lines += [f"  {t('cli.file_rejected_reason', message=m)}" for m in file_errors(report, refused)]
    lines += _warning_lines(report, config)
    lines += [
        f"  {t('cli.next', step=step)}" for step in next_steps(report, view.report_csv, config)
    ]
    lines += [
        line("cli.by_hand", said) for entry in report.audit for said in entry.lines(language, zone)
    ]
    if not view.attention:
        lines.append(t("cli.nothing_needs_attention"))
        return lines
    lines += ["", t("cli.attention", count=len(view.attention))]
    problems = file_problems(report.warnings)
    shared = CREDITOR_UNKNOWN in problems or SAME_REASON in problems
    together = [a.row for a in view.attention if shared and a.outcome == Outcome.REJECTED.value]
    if together:
        lines.append(
            f"  {t('cli.same_reason_rows', count=len(together), rows=rows_text(together))}"
        )
    row = t("cli.row")
    shown = [(item, _outcome(item.outcome, language)) for item in view.attention]
    wide = max(16, *(len(outcome) + 1 for _, outcome in shown))
    for item, outcome in shown:
        if item.row in together:
            continue
        lines.append(f"  {row} {item.row:<6} {outcome:<{wide}} {item.reason}")
        step = t("cli.next", step=item.next_step)
        lines.append(f"  {'':<{len(row)}} {'':<6} {'':<{wide}} {step}")
    return lines


def _warning_lines(report: Report, config: Config) -> list[str]:
    """The warnings, but for the import's own problems: a next step says those, with the fix."""
    context = _warning_context(report, config)
    language = config.report.language
    return [
        "  " + text("cli.warning", language, text=warning_text(w, language, **context))
        for w in report.warnings
        if w.code not in FILE_PROBLEMS
    ]


def _warning_context(report: Report, config: Config) -> dict[str, object]:
    """What a warning's or a next step's words name besides the warning itself."""
    return named(report, ReportSettings.of(config))


def _sek(value: Decimal, language: Language) -> str:
    return f"{number_text(value, language)} SEK"


def _decimal(shown: str, language: Language) -> str:
    return shown.replace(".", ",") if language == "sv" else shown


def _status(status: str, language: Language) -> str:
    return status if language == "en" else text(f"status.{status}", language).lower()


def _outcome(shown: str, language: Language) -> str:
    """`rejected` or `credited/warning` as the language says it (English keeps the names)."""
    if language == "en":
        return shown
    outcome, _, status = shown.partition("/")
    return outcome_text(outcome, status or None, language)
