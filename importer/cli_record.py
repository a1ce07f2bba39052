"""The command line of the commands that keep the record — `resolve`, `backup`,
`journal copy`, `prune`: each parses nothing itself (`importer.cli_parser` does), calls one
library function and prints what it did. Apart from `importer.cli` so that module stays an
adapter of one screen."""

from __future__ import annotations

import argparse
from decimal import Decimal

from importer.config import Config
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.pipeline import facade
from importer.upkeep import backup_journal, copy_journal, copy_target, prune
from importer.words import number_text, text


def run(args: argparse.Namespace, config: Config, import_id: str | None = None) -> ExitCode:
    """`import_id`: the import `resolve` names (the CLI reads it from a report.json path)."""
    if args.command == "resolve":
        return _resolve(args, config, import_id or args.import_ref)
    if args.command == "backup":
        return _backup(args, config)
    if args.command == "journal":
        return _copy(args, config)
    return _prune(args, config)


def _resolve(args: argparse.Namespace, config: Config, import_id: str) -> ExitCode:
    entry, figures, paths = facade.resolve(
        config, import_id, args.rows, args.note, by=args.by, reopen=args.reopen
    )
    lang = config.report.language
    done = "record.reopened" if entry.action == "reopen" else "record.resolved"
    who = f"{entry.os_user}@{entry.host}" + (f" ({entry.by})" if entry.by else "")
    rows = ", ".join(map(str, entry.rows))
    print(text(done, lang, id=import_id, rows=rows, who=who, note=entry.note))
    print(text("record.now", lang, open=figures.open_text(lang)))
    if paths:
        folder = next(iter(paths.values())).parent
        print(text("record.report", lang, folder=folder, files=", ".join(paths)))
    return ExitCode.OK


def _backup(args: argparse.Namespace, config: Config) -> ExitCode:
    done = backup_journal(config.journal.place(), args.path, overwrite=args.overwrite)
    lang = config.report.language
    print(
        text(
            "record.backed_up",
            lang,
            journal=config.journal.path,
            path=done.path,
            imports=number_text(done.imports, lang, 0),
            rows=number_text(done.rows, lang, 0),
            bytes=number_text(done.bytes, lang, 0),
        )
    )
    return ExitCode.OK


def _copy(args: argparse.Namespace, config: Config) -> ExitCode:
    """`journal copy`: the source is always the SQLite file (`journal.path`, `--journal`),
    even when the configuration already names a server."""
    done = copy_journal(config.journal.path, copy_target(args.to, config.journal.password_env))
    lang = config.report.language
    counts = ", ".join(f"{table} {n}" for table, n in done.counts)
    print(
        text(
            "record.copied",
            lang,
            journal=done.source,
            url=done.target,
            when=done.snapshot_at,
            imports=done.count("imports"),
            rows=done.count("rows"),
        )
    )
    print(text("record.copied_counts", lang, counts=counts))
    return ExitCode.OK


def _prune(args: argparse.Namespace, config: Config) -> ExitCode:
    with Journal(config.journal.place()) as journal:
        result = prune(
            journal,
            config.report.dir,
            args.older_than,
            archives=args.archives,
            dry_run=args.dry_run,
            language=config.report.language,
            zone=config.report.timezone,
        )
    lang = config.report.language
    verb = "record.would_remove" if result.dry_run else "record.removed"
    for path in result.removed:
        print(text(verb, lang, path=path))
    for path, why in result.kept:
        print(text("record.kept", lang, path=path, why=why))
    megabytes = number_text(Decimal(result.bytes) / 1_000_000, lang, 1)
    count, kept = len(result.removed), len(result.kept)
    print(text(f"{verb}_total", lang, count=count, megabytes=megabytes, kept=kept))
    return ExitCode.OK
