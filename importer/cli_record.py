"""The command line of the commands that keep the record — `resolve`, `backup`, `prune`:
each parses nothing itself (`importer.cli_parser` does), calls one library function and
prints what it did. Apart from `importer.cli` so that module stays an adapter of one screen."""

from __future__ import annotations

import argparse

from importer.config import Config
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.pipeline import facade
from importer.upkeep import backup_journal, prune

COMMANDS = frozenset({"resolve", "backup", "prune"})


def run(args: argparse.Namespace, config: Config, import_id: str | None = None) -> ExitCode:
    """`import_id`: the import `resolve` names (the CLI reads it from a report.json path)."""
    if args.command == "resolve":
        return _resolve(args, config, import_id or args.import_ref)
    if args.command == "backup":
        return _backup(args, config)
    return _prune(args, config)


def _resolve(args: argparse.Namespace, config: Config, import_id: str) -> ExitCode:
    entry, figures, paths = facade.resolve(
        config, import_id, args.rows, args.note, by=args.by, reopen=args.reopen
    )
    done = "reopened" if entry.action == "reopen" else "resolved"
    who = f"{entry.os_user}@{entry.host}" + (f" ({entry.by})" if entry.by else "")
    rows = ", ".join(map(str, entry.rows))
    print(f"import {import_id}: row(s) {rows} {done} by {who}: {entry.note}")
    print(f"  now {figures.open_text()}; nothing was sent")
    if paths:
        print(f"  report     {next(iter(paths.values())).parent}/ ({', '.join(paths)})")
    return ExitCode.OK


def _backup(args: argparse.Namespace, config: Config) -> ExitCode:
    done = backup_journal(config.journal.path, args.path, overwrite=args.overwrite)
    print(
        f"journal {config.journal.path} backed up to {done.path}: {done.imports} imports, "
        f"{done.rows} rows, {done.bytes} bytes"
    )
    return ExitCode.OK


def _prune(args: argparse.Namespace, config: Config) -> ExitCode:
    with Journal(config.journal.path) as journal:
        result = prune(
            journal,
            config.report.dir,
            args.older_than,
            archives=args.archives,
            dry_run=args.dry_run,
            language=config.report.language,
            zone=config.report.timezone,
        )
    verb = "would remove" if result.dry_run else "removed"
    for path in result.removed:
        print(f"{verb} {path}")
    for path, why in result.kept:
        print(f"kept {path} ({why})")
    megabytes = f"{result.bytes / 1_000_000:.1f}"
    print(f"{verb} {len(result.removed)} item(s), {megabytes} MB; kept {len(result.kept)}")
    return ExitCode.OK
