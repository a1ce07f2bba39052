"""The command line's grammar: every subcommand with only the options it uses, and its
description and examples (`importer.cli_help`). Apart from `importer.cli` (which runs the
commands) so each stays short."""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

from importer import __version__
from importer.cli_help import COMMANDS, EXAMPLES, EXIT_CODES
from importer.config import LANES_MAX


def _config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration file (default: $IMPORTER_CONFIG, else ./config.yaml, else "
        "built-in defaults)",
    )


def _journal(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--journal", type=Path, help="journal database (overrides journal.path)")


def _report_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-dir", type=Path, help="where reports go (overrides report.dir)")


def _api(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url", help="API base URL, or 'sandbox' for the embedded one (overrides api.base_url)"
    )


def _lanes_value(text: str) -> int:
    try:
        lanes = int(text)
    except ValueError:
        lanes = 0
    if not 1 <= lanes <= LANES_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {LANES_MAX}")
    return lanes


def _lanes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lanes",
        type=_lanes_value,
        metavar="N",
        help="post up to N cases at once, each case's rows in file order "
        "(overrides posting.lanes; 1 = strict file order)",
    )


def _repeats(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-repeats",
        action="store_true",
        help="send rows identical to rows credited by an earlier import (dedupe.repeats: allow)",
    )


DRY_RUN_IGNORES = {"lanes": "--lanes", "all_or_nothing": "--all-or-nothing"}
"""Options of `run` that mean nothing when nothing is sent (`validate`, `run --dry-run`).
`--force` is not one: with repeats allowed it changes what a dry run predicts (a file
imported before is credited again, `pipeline.prediction`)."""


def _logging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-json", action="store_true", help="log JSON lines to stderr")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log progress and each retry to stderr"
    )


def _debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _creditor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--creditor",
        metavar="ID",
        help="the creditor of every row (24-hex id): needed when the file has no creditor "
        "column and defaults.creditor is not set; a row naming another creditor is not sent",
    )


def _seconds(text: str) -> float:
    """A number; its range is the setting's own (`config_drop.DropConfig`), checked with it."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None


def _days(text: str) -> float:
    """A number; its range is prune's own (`upkeep.prune.DAYS_MAX`), checked there."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of days") from None


def _record_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """resolve, backup, journal copy, prune: the commands that keep the record
    (importer.cli_record)."""
    resolve = _command(sub, "resolve")
    resolve.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")
    resolve.add_argument("rows", nargs="+", type=int, metavar="ROW", help="row numbers")
    resolve.add_argument("--note", required=True, help="why: what was done, or decided")
    resolve.add_argument("--by", metavar="NAME", help="a name, recorded beside the OS user")
    resolve.add_argument("--reopen", action="store_true", help="put the rows back as open")
    for add in (_config, _report_dir, _journal, _debug):
        add(resolve)

    backup = _command(sub, "backup")
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.add_argument("--overwrite", action="store_true", help="replace an existing PATH")
    for add in (_config, _journal, _debug):
        add(backup)

    journal = sub.add_parser(
        "journal",
        help="move the journal to a PostgreSQL server (journal copy)",
        description="The journal itself: copy a SQLite journal to a PostgreSQL server.",
        epilog=f"examples:\n{COMMANDS['journal copy'][2]}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = journal.add_subparsers(dest="journal_action", required=True, metavar="ACTION")
    copy = _command(actions, "copy", "journal copy")
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the PostgreSQL journal, postgresql://user@host:port/database (no password)",
    )
    for add in (_config, _journal, _debug):
        add(copy)

    prune = _command(sub, "prune")
    prune.add_argument("--older-than", type=_days, required=True, metavar="DAYS")
    prune.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    prune.add_argument(
        "--archives",
        type=Path,
        action="append",
        default=[],
        metavar="INBOX",
        help="also archived originals under INBOX's done/ and failed/ (repeatable)",
    )
    for add in (_config, _report_dir, _journal, _debug):
        add(prune)


def _command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    entry: str | None = None,
) -> argparse.ArgumentParser:
    """`name` as `COMMANDS[entry]` describes it (`entry`: `journal copy` for `copy`)."""
    short, description, examples = COMMANDS[entry or name]
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=short,
        description=description,
        epilog=f"examples:\n{examples}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


@cache
def build_parser() -> argparse.ArgumentParser:
    """The command line's parser, built once a process (3 ms, twice that under coverage): a
    Python caller and the tests call `cli.main` many times, and parsing leaves it as it was."""
    from importer.sandbox import command as sandbox_command

    parser = argparse.ArgumentParser(
        prog="importer",
        description="Credit Amili cases from creditors' CSV and Excel files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"importer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # `run` and `validate` take the same options, so switching one for the other is a
    # one-word change; what means nothing to a dry run is ignored, and said so (importer.cli).
    for name in ("run", "validate"):
        command = _command(sub, name)
        command.add_argument("files", nargs="+", type=Path, metavar="FILE")
        command.add_argument("--dry-run", action="store_true", help="validate only; send nothing")
        command.add_argument(
            "--all-or-nothing", action="store_true", help="post nothing if any row is invalid"
        )
        command.add_argument("--force", action="store_true", help="import a file imported before")
        for add in (_config, _api, _report_dir, _journal, _lanes, _repeats, _logging, _debug):
            add(command)
        _creditor(command)

    rerun = _command(sub, "rerun")
    rerun.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")
    rerun.add_argument(
        "--fix",
        type=Path,
        help="corrected rows: an edited report.csv or report.xlsx, or the original format "
        "holding the corrected rows; matched by the 'row' column, else by credit note, else "
        "by the file's reference (never by position)",
    )
    rerun.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the rerun would send (corrections applied); change nothing",
    )
    rerun.add_argument(
        "--by", metavar="NAME", help="a name, recorded beside the OS user with the corrections"
    )
    for add in (_config, _api, _report_dir, _journal, _lanes, _repeats, _logging, _debug):
        add(rerun)
    _creditor(rerun)

    imports = _command(sub, "imports")
    imports.add_argument("--json", action="store_true", help="one JSON document on stdout")
    imports.add_argument("--since", metavar="DATE", help="started on or after DATE (UTC)")
    imports.add_argument("--creditor", metavar="ID", help="with rows for this creditor")
    imports.add_argument("--status", choices=["open", "finished"], help="open or finished")
    imports.add_argument(
        "--attention", action="store_true", help="only imports with rows still needing a person"
    )
    for add in (_config, _journal, _debug):
        add(imports)

    show = _command(sub, "show")
    show.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")
    for add in (_config, _journal, _debug):
        add(show)

    report = _command(sub, "report")
    report.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")
    for add in (_config, _report_dir, _journal, _debug):
        add(report)

    drop = _command(sub, "drop")
    drop.add_argument("inbox", type=Path, metavar="INBOX")
    drop.add_argument("--watch", action="store_true", help="keep polling until SIGTERM")
    drop.add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help="seconds between passes with --watch (overrides drop.interval, 60)",
    )
    drop.add_argument(
        "--creditor",
        metavar="ID",
        help="the creditor of every row of the files directly in INBOX (a creditor's "
        "subfolder keeps its own); a row naming another creditor is not sent",
    )
    for add in (_config, _api, _report_dir, _journal, _lanes, _logging, _debug):
        add(drop)

    failure = _command(sub, "notify-failure")
    failure.add_argument("unit", metavar="UNIT", help="the job that failed (systemd: %%i)")
    for add in (_config, _report_dir, _debug):
        add(failure)
    _record_commands(sub)

    config = _command(sub, "config")
    for add in (_config, _api, _report_dir, _journal, _debug):
        add(config)

    _command(sub, "schema")

    sandbox = sub.add_parser(
        "sandbox",
        help="serve the local Amili-compatible crediting API",
        description=sandbox_command.DESCRIPTION,
        epilog=sandbox_command.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sandbox_command.add_arguments(sandbox)
    return parser
