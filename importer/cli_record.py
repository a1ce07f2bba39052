"""The command line of the commands that keep the record — `backup`, `prune` (and `resolve`):
each parses nothing itself (`importer.cli_parser` does), calls one library function and
prints what it did. Apart from `importer.cli` so that module stays an adapter of one screen."""

from __future__ import annotations

import argparse

from importer.config import Config
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.upkeep import backup_journal, prune

COMMANDS = frozenset({"backup", "prune"})


def run(args: argparse.Namespace, config: Config) -> ExitCode:
    if args.command == "backup":
        return _backup(args, config)
    return _prune(args, config)


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
        )
    verb = "would remove" if result.dry_run else "removed"
    for path in result.removed:
        print(f"{verb} {path}")
    for path, why in result.kept:
        print(f"kept {path} ({why})")
    megabytes = f"{result.bytes / 1_000_000:.1f}"
    print(f"{verb} {len(result.removed)} item(s), {megabytes} MB; kept {len(result.kept)}")
    return ExitCode.OK
