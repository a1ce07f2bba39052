"""The library's front door: what the CLI does, as functions a Python caller can use.

Each function opens what a run needs — the target API (or the embedded sandbox) and the
journal — runs one command through `Importer`, and closes them again. The CLI is a thin
adapter over these functions: it parses options, prints, and maps errors to exit codes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

from importer import logs
from importer.api.target import Target, open_target
from importer.config import Config
from importer.errors import ImporterError, RerunRefused
from importer.journal import AuditEntry, Journal
from importer.pipeline.actor import current_actor
from importer.pipeline.history import (
    ImportEntry,
    ImportFigures,
    ImportView,
    Status,
    import_figures,
    list_imports,
    show_import,
)
from importer.pipeline.overview import write_overview_of
from importer.pipeline.quoted_key import refusals_without_key
from importer.pipeline.resolve import resolve_rows
from importer.pipeline.results import (
    IMPORT_ONLY,
    RERUN_ONLY,
    ImportResult,
    Progress,
    RunOptions,
)
from importer.pipeline.run import Importer
from importer.report.model import Report
from importer.stopping import StopFlag, given
from importer.words import Language

log = logs.get_logger("importer.overview")


def _overview_after(stack: ExitStack, config: Config, journal: Journal) -> None:
    """`<report dir>/index.html` written again once the command's imports are done — once
    per command, not per file: on a journal of a year of imports it takes seconds."""

    def write() -> None:
        if not os.access(config.report.dir, os.W_OK):  # refused before anything was written
            return
        try:
            write_overview_of(journal, config)
        except ImporterError as exc:  # a journal that fails now: the command says so already
            log.warning("overview.unwritten", folder=str(config.report.dir), error=str(exc))

    stack.callback(write)


def run(
    config: Config,
    files: Iterable[Path],
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
) -> list[ImportResult]:
    """Import (or with `options.dry_run`, validate) each file in turn, and return every
    file's result. It does its work when called; `iter_run` gives each result as soon as its
    file is done."""
    return list(iter_run(config, files, options, progress=progress, stop=stop))


def validate(
    config: Config,
    files: Iterable[Path],
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
) -> list[ImportResult]:
    """`run` with `dry_run` set, whatever `options` say (the CLI's `validate`): each file
    checked and its report written; nothing is sent."""
    options = replace(options or RunOptions(), dry_run=True)
    return run(config, files, options, progress=progress, stop=stop)


def iter_run(
    config: Config,
    files: Iterable[Path],
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
) -> Iterator[ImportResult]:
    """Import (or with `options.dry_run`, validate) each file in turn; yields each file's
    result as soon as it is done — nothing is read or sent until it is iterated. Setting
    `stop` (from any thread) ends every wait and the answer in flight, the run stops after
    the row in flight (the current file's result says so) and no further file is started.
    Options of a rerun only (`fix`, `by`) are refused (ConfigError) when it is iterated."""
    options = options or RunOptions()
    options.refuse(RERUN_ONLY, "run")
    stop = given(stop)
    with ExitStack() as stack:
        target = stack.enter_context(open_target(config, dry_run=options.dry_run))
        journal = stack.enter_context(Journal(config.journal.place()))
        _overview_after(stack, config, journal)
        importer = Importer(
            config, journal, target, progress=progress, stop=stop, creditor=options.creditor
        )
        stack.callback(importer.close)
        for path in files:
            yield importer.run_file(Path(path), options)
            if stop.is_set():
                return


def rerun(
    config: Config,
    import_id: str,
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
) -> ImportResult:
    """Post again what did not go through in an import (not_sent, unknown after
    reconciliation, rejected), after applying the corrections in `options.fix`, matched by
    key (recorded in the import's audit trail with the OS user and host, and `options.by`
    beside them). `options.creditor` refuses an import of another creditor;
    `options.dry_run` only says what would be sent and changes nothing. Options of importing
    a file only (`all_or_nothing`, `force`, `control`) are refused (ConfigError)."""
    options = options or RunOptions()
    options.refuse(IMPORT_ONLY, "rerun")
    stop = given(stop)
    with ExitStack() as stack:
        target = stack.enter_context(open_target(config, dry_run=options.dry_run))
        journal = stack.enter_context(Journal(config.journal.place()))
        _overview_after(stack, config, journal)
        importer = Importer(
            config, journal, target, progress=progress, stop=stop, creditor=options.creditor
        )
        stack.callback(importer.close)
        with refusals_without_key(config, target):  # a --fix file refused may quote the key
            return importer.rerun(import_id, options.fix, dry_run=options.dry_run, by=options.by)


def render(config: Config, import_id: str) -> tuple[Report, dict[str, Path]]:
    """(Re)write an import's report files from the journal; the report (summary, no rows)
    and {format: path}. Sends nothing."""
    with Journal(config.journal.place()) as journal:
        importer = Importer(config, journal, Target("", None, None, False))
        rendered = importer.render(import_id)
        write_overview_of(journal, config)
        return rendered


def resolve(
    config: Config,
    import_id: str,
    rows: Iterable[int],
    note: str,
    *,
    by: str | None = None,
    reopen: bool = False,
) -> tuple[AuditEntry, ImportFigures, dict[str, Path]]:
    """Mark rows of an import as handled by a person (or with `reopen`, open them again),
    recorded with the OS user and host (and `by`, a name beside them) in the import's audit
    trail, then write its reports again. Sends nothing. Returns the entry recorded, the
    import's figures now, and the report files {format: path}."""
    with Journal(config.journal.place()) as journal:
        entry = resolve_rows(
            journal, import_id, list(rows), note=note, actor=current_actor(by), reopen=reopen
        )
        _, paths = Importer(config, journal, Target("", None, None, False)).render(import_id)
        write_overview_of(journal, config)
        record = journal.imports.get(import_id)
        assert record is not None  # resolve_rows found it
        return entry, import_figures(journal, record), paths


def imports(
    config: Config,
    *,
    since: date | None = None,
    creditor: str | None = None,
    status: Status | None = None,
    attention: bool = False,
) -> list[ImportEntry]:
    """Every import in the journal, oldest first, with its creditors, rows counted by
    outcome, amounts and rows needing attention; filtered by start date (UTC), creditor,
    `open`/`finished`, and with `attention` only imports with a row still needing a person."""
    with Journal(config.journal.place()) as journal:
        return list_imports(
            journal, since=since, creditor=creditor, status=status, attention=attention
        )


def show(config: Config, import_id: str, language: Language = "en") -> ImportView:
    """One import's report (summary and rows) and its rows needing attention, in words of
    `language` (the CLI passes `report.language`). A dry run keeps no rows in the journal:
    refused, naming the folder its report was written to."""
    with Journal(config.journal.place()) as journal:
        kept, configured = journal.notes.report_dir(import_id), config.report.dir / import_id
        # the folder last written, unless deleted since: then the configured one, if there
        folder = (
            kept if kept is not None and (kept.is_dir() or not configured.is_dir()) else configured
        )
        record = journal.imports.get(import_id)
        if record is not None and record.dry_run and record.state != "rejected":
            there = "" if folder.is_dir() else " (not there now)"
            raise RerunRefused(
                f"import {import_id} was a dry run: its report is in {folder}/{there}; the "
                "journal keeps no rows of a dry run (validate the file again for a new report)"
            )
        return show_import(journal, import_id, folder / "report.csv", language)
