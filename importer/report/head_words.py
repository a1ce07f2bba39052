"""The sentences of a report's head — what to do next and the file-level warnings — in the
report's language, the same for report.html and report.xlsx (and so for the person who
prints one and mails the other).

The import's own problems (`importer.attention.FILE_PROBLEMS`: a refused key, a creditor the
API does not know, one reason for every row sent) are said once, as a next step with their
fix; they are left out of the warnings, which would only say them a second time."""

from __future__ import annotations

from importer.attention import FILE_PROBLEMS, file_problems, import_next_steps
from importer.outcomes import FILE_REJECTED
from importer.refusal import worded
from importer.report.model import Report
from importer.report.settings import ReportSettings
from importer.words import text, warning_text


def named(report: Report, settings: ReportSettings) -> dict[str, object]:
    """What the sentences name: the import, its report.csv, its API, the key's variable, the
    creditor and the file."""
    return {
        "id": report.file_import_report,
        "csv": settings.report_csv,
        "url": report.api.get("base_url", ""),
        "env": settings.api_key_env,
        "creditor": ", ".join(report.creditor) or "-",
        "file": report.file.name,
    }


def file_errors(report: Report, settings: ReportSettings) -> list[str]:
    """Why the file was refused as a whole, in the report's language when the refusal is
    known (`settings.refusal`); report.json keeps each error's English `message`."""
    refusal = settings.refusal
    return [
        worded(refusal, settings.language)
        if refusal is not None and error.code == FILE_REJECTED
        else error.message
        for error in report.file_errors
    ]


def next_steps(report: Report, settings: ReportSettings, **values: object) -> list[str]:
    """What to do next for the whole import, most urgent first (`import_next_steps`);
    `values` replace what `named` gives (a drop names the archived file)."""
    filled = {**named(report, settings), **values}
    return [text(step, settings.language, **filled) for step in step_keys(report)]


def step_keys(report: Report) -> list[str]:
    """The catalogue keys of `next_steps`: the import's own problem among them (a creditor
    the API does not know), which its warnings leave out."""
    summary = report.summary
    return import_next_steps(
        summary.outcomes,
        summary.statuses,
        dry_run=report.dry_run,
        rejected_file=bool(report.file_errors) and not summary.rows,
        problems=file_problems(report.warnings),
        sandbox=report.sandbox,
        resolved=summary.resolved_kinds,
        held=report.held_back,
    )


def warnings(report: Report, settings: ReportSettings) -> list[str]:
    """The file-level warnings in words, but for the import's own problems (see above)."""
    values = named(report, settings)
    return [
        warning_text(warning, settings.language, **values)
        for warning in report.warnings
        if warning.code not in FILE_PROBLEMS
    ]
