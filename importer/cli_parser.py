"""The command line's grammar: every subcommand with a description, examples, and only the
options it uses. Apart from `importer.cli` (which runs the commands) so each stays short."""

from __future__ import annotations

import argparse
from pathlib import Path

from importer import __version__
from importer.config import LANES_MAX

EXIT_CODES = """\
exit codes: 0 all credited and completed; 1 rows need attention; 2 usage error or file
rejected as a whole (nothing posted); 3 run could not finish (rerun resumes it)"""

EXAMPLES = f"""\
examples:
  importer run samples/credits.csv                 import into the embedded sandbox
  importer validate nightly/*.csv                  check files, send nothing
  importer rerun 20261124-204500-3fa2c1d9          post again what did not go through
  importer show 20261124-204500-3fa2c1d9           one import and its rows needing attention
  importer imports --since 2026-11-01 --status open
  importer config                                  effective settings and where they came from
  importer drop /srv/inbox                         import the finished files of an inbox
  importer schema > report.schema.json             the JSON Schema of report.json
  importer sandbox --port 8080                     serve the local Amili-compatible API

{EXIT_CODES}
"""

_COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": (
        "import files",
        "Read, validate and post every row of each FILE to the crediting API, in file order "
        "(with --lanes N, up to N cases at once, each case in file order), exactly once; "
        "write the report (json, csv, xlsx, html) under report.dir/<import id>/.",
        """\
  importer run samples/credits.csv
  importer run --api-url https://api.example.com/v1 credits.xlsx
  importer run --lanes 8 nightly.csv               8 cases at once, each in file order
  importer run --all-or-nothing credits.csv        post nothing if any row is invalid
  importer run --dry-run credits.csv               same as validate""",
    ),
    "validate": (
        "check files; send nothing (run --dry-run)",
        "Read and validate each FILE and write the report of what would be sent. Nothing is "
        "sent and no row is kept in the journal.",
        """\
  importer validate credits.csv
  importer validate --report-dir /tmp/check nightly/*.csv""",
    ),
    "rerun": (
        "post again what did not go through",
        "Post the rows of an import that are not final (not_sent, unknown after a lookup, "
        "rejected), optionally corrected by --fix; the report is rendered again in place. "
        "--fix takes an edited report.csv or report.xlsx, or the original format holding "
        "the corrected rows; they are matched by the 'row' column, else by credit note, else "
        "by the file's reference, never by position.",
        """\
  importer rerun 20261124-204500-3fa2c1d9          after an outage
  importer rerun 20261124-204500-3fa2c1d9 --fix reports/20261124-204500-3fa2c1d9/report.csv
  importer rerun 20261124-204500-3fa2c1d9 --fix fixed.xlsx --dry-run   see what it would send
  importer rerun reports/20261124-204500-3fa2c1d9/report.json""",
    ),
    "imports": (
        "list imports with counts per outcome",
        "Every import the journal knows, oldest first, with its file, time, state, counts "
        "per outcome, creditor, amounts read, credited and settled, and the rows still "
        "needing a person by kind (--attention: only imports with such rows).",
        """\
  importer imports
  importer imports --attention
  importer imports --since 2026-11-24 --status open
  importer imports --creditor 5f1a2b3c4d5e6f7a8b9c0d1e --json""",
    ),
    "show": (
        "one import's summary and its rows needing attention",
        "Print one import's summary, the next step and every row needing attention with the "
        "reason in words, from the journal.",
        """\
  importer show 20261124-204500-3fa2c1d9
  importer show reports/20261124-204500-3fa2c1d9/report.json""",
    ),
    "report": (
        "render an import's report again",
        "Write an import's report files again from the journal (not for dry runs), e.g. after "
        "changing report.language or when a disk was full.",
        """\
  importer report 20261124-204500-3fa2c1d9""",
    ),
    "drop": (
        "import the finished files of an inbox, archive them, summarise",
        "Take each finished file of INBOX (a <name>.done/.ok marker beside it, or unchanged "
        "for drop.settle_seconds and open for writing by nobody), claim it into "
        "INBOX/processing/, import it exactly as `run` does, archive it to "
        "INBOX/done/YYYY-MM-DD/ or INBOX/failed/YYYY-MM-DD/ (with <name>.reason.txt), and "
        "add to the night's summary under report.dir/drops/<night>/ (written, printed and "
        "notified only when a pass has news; -v prints it every pass). A subfolder holding a "
        "config.yaml is a creditor's inbox whose settings overlay the main ones. A file that "
        "could not finish stays in processing/ and is resumed first next time. One drop per "
        "inbox: a second one exits 0 at once. SIGTERM: the file in flight finishes first.",
        """\
  importer drop /srv/inbox                         one pass (cron, a systemd timer)
  importer drop --watch --interval 30 /srv/inbox   keep polling until SIGTERM
  importer drop --creditor 5f1a2b3c4d5e6f7a8b9c0d1e /srv/inbox""",
    ),
    "resolve": (
        "mark rows needing attention as handled (nothing is sent)",
        "Mark ROWs of an import as handled by a person: they leave 'needs attention', the "
        "reports are written again showing who, when and why, and rerun leaves them alone. "
        "The OS user and host are recorded always (--by adds a name). An unknown row must be "
        "looked up (importer rerun) first. --reopen puts the rows back.",
        """\
  importer resolve 20261124-204500-3fa2c1d9 4 6 --note "credited by hand in Amili"
  importer resolve 20261124-204500-3fa2c1d9 5 --note "creditor agrees" --by "Anna L"
  importer resolve 20261124-204500-3fa2c1d9 4 --reopen --note 'was the wrong row'""",
    ),
    "backup": (
        "write a consistent copy of the journal, while importers run",
        "Copy the journal to PATH with SQLite's online backup: one consistent snapshot, "
        "taken while importers keep posting (a cp of a journal in WAL mode is no backup). "
        "PATH is one self-contained file; an existing PATH is refused unless --overwrite.",
        """\
  importer backup /srv/backup/journal-$(date +%F).sqlite
  importer backup --overwrite /srv/backup/journal-latest.sqlite""",
    ),
    "prune": (
        "remove old report folders, drop summaries and (with --archives) archived files",
        "Remove report folders and drop summaries older than DAYS (by their newest file), "
        "never those of an import with rows still needing a person or not finished; the "
        "archived originals of INBOX's done/ and failed/ only with --archives INBOX; never "
        "anything in processing/. The journal's rows are kept (importer report ID writes a "
        "report again).",
        """\
  importer prune --older-than 90 --dry-run         see what would go
  importer prune --older-than 90
  importer prune --older-than 3650 --archives /srv/inbox""",
    ),
    "config": (
        "print the effective settings and where each came from",
        "Print every setting as the importer would use it, and whether it came from the "
        "command line, the configuration file or the built-in default. The API key is never "
        "shown.",
        """\
  importer config
  importer config --config /etc/importer/config.yaml
  IMPORTER_CONFIG=nightly.yaml importer config""",
    ),
    "notify-failure": (
        "tell by mail or webhook that a scheduled job failed",
        "Send, over the channels of the notify section (whatever notify.when says), that the "
        "scheduled job UNIT failed, with the night's summary so far. For systemd's "
        "OnFailure= (samples/systemd/importer-failure@.service). Exit 3 when nothing could "
        "be sent.",
        """\
  importer notify-failure importer-drop.service""",
    ),
    "schema": (
        "print the JSON Schema of report.json",
        "Print the JSON Schema that every report.json follows (generated from the models that "
        "write it; `schema_version` in a report names its version).",
        """\
  importer schema > report.schema.json""",
    ),
}


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


DRY_RUN_IGNORES = {"lanes": "--lanes", "all_or_nothing": "--all-or-nothing", "force": "--force"}
"""Options of `run` that mean nothing when nothing is sent (`validate`, `run --dry-run`)."""


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
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be a number of days, 0 or more")
    return value


def _record_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """resolve, backup, prune: the commands that keep the record (importer.cli_record)."""
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


def _command(sub: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    short, description, examples = _COMMANDS[name]
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=short,
        description=description,
        epilog=f"examples:\n{examples}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
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
