"""Whether a file's bytes were imported before through this journal, and so what a run of them
answers: "already imported" (nothing is sent), or the import of them to resume. A file is
known by its bytes (`file_sha256`), the API and the creditor (`journal.imports.find`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from importer.config import Config, ReportConfig
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal
from importer.local_time import shown
from importer.outcomes import Outcome
from importer.pipeline.results import ImportResult
from importer.words import text


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of the file's bytes, which name it in the journal; None for what is no
    readable regular file (the intake says what is wrong with it)."""
    try:
        if not path.is_file():  # a FIFO would block here; intake refuses it
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def report_current(config: Config, record: ImportRecord) -> bool:
    """True when every configured report of a finished import was written after it was
    marked finished. A process killed in between leaves no report, or an older one from
    an interrupted run, which "already imported" must not leave behind."""
    directory = config.report.dir / record.id
    for name in config.report.formats:
        try:
            written = (directory / f"report.{name}").stat().st_mtime
        except OSError:
            return False
        if record.finished is None or written < record.finished.timestamp():
            return False
    return True


def fully_imported(journal: Journal, import_id: str) -> bool:
    counts = journal.imports.outcome_counts(import_id)
    return (
        counts[Outcome.NOT_SENT] == 0
        and counts[Outcome.UNKNOWN] == 0
        and not journal.statuses.awaiting(import_id)
    )


def already_imported(path: Path, done: ImportRecord, report: ReportConfig) -> ImportResult:
    """The answer for a file this API has fully imported before: nothing is sent. Its time
    in `report.timezone`, as every time people read, its words in `report.language`."""
    when = shown(done.started, report.timezone, seconds=False)
    message = text(
        "detail.already_imported", report.language, file=path.name, id=done.id, when=when
    )
    return ImportResult(str(path), ExitCode.OK, done.id, message=message, already_imported=True)


def imported_repeat(
    config: Config, journal: Journal, api: str, creditor: str | None, sha256: str | None
) -> ImportRecord | None:
    """The import that fully imported these bytes, with repeats allowed: a dry run answers
    "already imported" as the run does, where it would predict the rows sent under
    references salted anew. Without repeats allowed the dry run keeps its report (each row
    a duplicate, its invalid rows listed): no money moves either way."""
    if sha256 is None or config.dedupe.repeats != "allow":
        return None
    done = journal.imports.find(sha256, api, state="finished", creditor=creditor)
    return done if done is not None and fully_imported(journal, done.id) else None


def to_resume(
    unfinished: ImportRecord | None, done: ImportRecord | None, *, force: bool
) -> ImportRecord | None:
    """The import of these bytes a run resumes: the one left open, else (without --force)
    one finished with rows left unknown (reconcile manual or ambiguous) — a new import would
    post those rows again."""
    if unfinished is None and done is not None and not force:
        return done
    return unfinished
