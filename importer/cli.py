"""`importer` — the command line: a thin adapter over `importer.pipeline.facade`.

It parses options, sets up logging, turns every ImporterError into one line on stderr and its
exit code (`--debug` shows the traceback), and prints a closing summary per file."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from importer import local_time, logs, stopping
from importer.api.credentials import check_base_url
from importer.cli_parser import DRY_RUN_IGNORES, build_parser
from importer.config import SANDBOX, Config
from importer.config_load import check_paths, load_config, with_settings
from importer.config_sources import explain_config, secret_note
from importer.errors import ConfigError, ImporterError, InternalError
from importer.exit_codes import ExitCode
from importer.journal import damaged
from importer.notify.failure import notify_failure
from importer.notify.imports import tell_import
from importer.outcomes import worst
from importer.pipeline import ImportResult, RunOptions, facade
from importer.pipeline.history import parse_since
from importer.progress import ProgressLine
from importer.report.schema import shipped_text
from importer.stopping import Stage, StopFlag
from importer.summary_text import result_lines, show_lines
from importer.summary_words import counted
from importer.validation import creditor_option
from importer.words import text


def _configure_logging(args: argparse.Namespace) -> None:
    log_json = getattr(args, "log_json", False)
    # A drop runs under a scheduler whose log is all a person has: it logs progress by default.
    chatty = log_json or getattr(args, "verbose", False) or args.command == "drop"
    logs.configure(logging.INFO if chatty else logging.WARNING, json=log_json)


_OVERRIDES = {
    "report_dir": ("report.dir", "--report-dir"),
    "journal": ("journal.path", "--journal"),
    "api_url": ("api.base_url", "--api-url"),
    "lanes": ("posting.lanes", "--lanes"),
    "interval": ("drop.interval", "--interval"),
}


def _load(args: argparse.Namespace) -> tuple[Config, dict[str, str]]:
    """The configuration with the command line's overrides (validated with the same limits
    as the file's settings), and which keys they set."""
    config = load_config(getattr(args, "config", None))
    settings: dict[str, object] = {}
    overrides: dict[str, str] = {}
    for name, (key, option) in _OVERRIDES.items():
        value = getattr(args, name, None)
        if value is None or value == "":
            continue
        settings[key] = value
        overrides[key] = option
        if key == "journal.path":  # the file named on the command line, not the server
            settings["journal.url"] = None
            overrides["journal.url"] = option
    if getattr(args, "allow_repeats", False):
        settings["dedupe.repeats"] = "allow"
        overrides["dedupe.repeats"] = "--allow-repeats"
    config = with_settings(config, settings, overrides)
    check_paths(config)  # again: --report-dir and --journal may name the wrong kind of thing
    return config, overrides


def _print_result(
    result: ImportResult, elapsed: float, config: Config, given: str | None = None
) -> None:
    for line in result_lines(result, elapsed, config, given):
        print(line)


def _resolve_import(ref: str) -> str:
    """An import id, or the path of its report.json."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["file_import_report"])
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}: not an import report ({exc})") from exc
    return ref


def _run_imports(args: argparse.Namespace, config: Config) -> ExitCode:
    dry_run = args.command == "validate" or getattr(args, "dry_run", False)
    if dry_run:
        _note_ignored(args)
    creditor = None if args.creditor is None else creditor_option(args.creditor)
    options = RunOptions(
        dry_run=dry_run,
        all_or_nothing=getattr(args, "all_or_nothing", False),
        force=getattr(args, "force", False),
        creditor=creditor,
        fix=getattr(args, "fix", None),
        by=getattr(args, "by", None),
    )
    stop = StopFlag()
    with stopping.installed(Stage(stop, stopping.STOPPING)):
        return _run_or_rerun(args, config, options, stop)


def _note_ignored(args: argparse.Namespace) -> None:
    """`run` and `validate` take the same options: one that means nothing when nothing is
    sent is ignored, and said so in one line."""
    given = [option for name, option in DRY_RUN_IGNORES.items() if getattr(args, name, None)]
    if given:
        print(
            f"importer: {', '.join(given)}: ignored in a dry run (nothing is sent)", file=sys.stderr
        )


def _run_or_rerun(
    args: argparse.Namespace, config: Config, options: RunOptions, stop: StopFlag
) -> ExitCode:
    progress = ProgressLine()
    if args.command == "rerun":
        started = time.monotonic()
        result = facade.rerun(
            config, _resolve_import(args.import_ref), options, progress=progress, stop=stop
        )
        return _report_result(result, started, config, stop, options.creditor)
    codes: list[ExitCode] = []
    started = time.monotonic()
    for result in facade.iter_run(config, args.files, options, progress=progress, stop=stop):
        codes.append(_report_result(result, started, config, stop, options.creditor))
        started = time.monotonic()
    return worst(codes)


def _stdout_gone() -> None:
    """The reader of stdout went away (`importer run … | head`): what is left to print goes
    nowhere, so neither the run nor the interpreter's exit stumbles over the closed pipe
    ("Exception ignored" on stderr). The import itself and its exit code are unaffected."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _report_result(
    result: ImportResult,
    started: float,
    config: Config,
    stop: StopFlag,
    given: str | None = None,
) -> ExitCode:
    try:
        _print_result(result, time.monotonic() - started, config, given)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()
    tell_import(config, result, stop=stop)  # one that cannot be sent is logged, and owed
    if result.rejected is not None:  # a refusal is worded for the person reading it
        print(f"importer: {result.rejected.said_in(config.report.language)}", file=sys.stderr)
    elif result.exit_code in (ExitCode.USAGE, ExitCode.INCOMPLETE) and result.message:
        print(f"importer: {result.message}", file=sys.stderr)
    return result.exit_code


#: The commands `importer.cli_record` runs (the journal's record and its upkeep).
RECORD_COMMANDS = frozenset({"resolve", "backup", "journal", "prune"})


def _drop(args: argparse.Namespace, config: Config) -> ExitCode:
    from importer.drop import Drop, DropOptions, DropStop  # only `drop` needs the drop stage

    stop = DropStop()
    creditor = None if args.creditor is None else creditor_option(args.creditor)
    options = DropOptions(watch=args.watch, creditor=creditor, verbose=args.verbose)
    # On a terminal the redrawn line; in a log the drop's own progress lines suffice.
    progress = ProgressLine() if sys.stderr.isatty() else None
    drop = Drop(
        args.inbox,
        config,
        options,
        stop=stop,
        progress=progress,
        printer=lambda summary: print(summary, end="", flush=True),
    )
    with stopping.installed(*stop.stages()):
        return drop.run()


def _list_imports(config: Config, args: argparse.Namespace) -> ExitCode:
    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError:
            raise ConfigError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from None
    filters = {"creditor": args.creditor, "status": args.status, "attention": args.attention}
    entries = facade.imports(config, since=since, **filters)
    if args.json:
        print(json.dumps([entry.as_json() for entry in entries], ensure_ascii=False, indent=2))
        return ExitCode.OK
    lang = config.report.language
    if not entries:
        matching = since or any(filters.values())
        print(text("record.no_imports_match" if matching else "record.no_imports_yet", lang))
        return ExitCode.OK
    zone = config.report.timezone
    column = {name: text(f"record.column.{name}", lang) for name in _IMPORTS_COLUMNS}
    print(
        f"{column['import']:<28}{column['started']:<25}{column['state']:<10}"
        f"{column['rows']:>7}  {column['outcomes']}  {column['file']}"
    )
    for entry in entries:
        record = entry.record
        counts = (
            ", ".join(f"{counted(o.value, lang)} {n}" for o, n in entry.counts.items() if n) or "-"
        )
        kind = " " + text("record.dry_run", lang) if record.dry_run else ""
        started = local_time.shown(record.started, zone, seconds=False)
        state = text(f"record.state.{record.state}", lang)
        print(
            f"{record.id:<28}{started}  {state:<10}{record.rows:>7}  {counts}  "
            f"{record.file_name}{kind}  {entry.figures.text(lang)}"
        )
    return ExitCode.OK


_IMPORTS_COLUMNS = ("import", "started", "state", "rows", "outcomes", "file")


def _show(config: Config, ref: str) -> ExitCode:
    view = facade.show(config, _resolve_import(ref), config.report.language)
    for line in show_lines(view, config):
        print(line)
    return ExitCode.OK


def _show_config(config: Config, args: argparse.Namespace, overrides: dict[str, str]) -> ExitCode:
    if config.api.base_url != SANDBOX:
        check_base_url(config.api.base_url)  # refused as `run` refuses it, never printed
    where, settings = explain_config(config, getattr(args, "config", None), overrides)
    print(f"configuration: {where}")
    print(secret_note(config))
    width = max(len(s.key) for s in settings)
    for setting in settings:
        value = json.dumps(setting.value, ensure_ascii=False, default=str)
        print(f"  {setting.key:<{width}}  {value}   [{setting.source}]")
    return ExitCode.OK


def _render(config: Config, ref: str) -> ExitCode:
    report, paths = facade.render(config, _resolve_import(ref))
    print(f"report {report.file_import_report}: {', '.join(str(p) for p in paths.values())}")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from importer.sandbox import command as sandbox_command

        return sandbox_command.run(args)
    if args.command == "schema":
        try:
            sys.stdout.write(shipped_text())
            sys.stdout.flush()  # here, not at the interpreter's exit, where it would be a traceback
        except BrokenPipeError:  # `importer schema | head`
            _stdout_gone()
        return int(ExitCode.OK)
    _configure_logging(args)
    debug = getattr(args, "debug", False)
    config: Config | None = None
    try:
        config, overrides = _load(args)
        if args.command in ("run", "validate", "rerun"):
            return int(_run_imports(args, config))
        if args.command == "drop":
            return int(_drop(args, config))
        if args.command == "imports":
            return int(_list_imports(config, args))
        if args.command == "show":
            return int(_show(config, args.import_ref))
        if args.command in RECORD_COMMANDS:
            from importer import cli_record  # its upkeep and drop load only for these commands

            ref = getattr(args, "import_ref", None)  # resolve's: an id or a report.json
            return int(cli_record.run(args, config, ref and _resolve_import(ref)))
        if args.command == "config":
            return int(_show_config(config, args, overrides))
        if args.command == "report":
            return int(_render(config, args.import_ref))
        if args.command == "notify-failure":
            notify_failure(config, args.unit)
            return int(ExitCode.OK)
    except ImporterError as exc:
        if debug:
            traceback.print_exc()
        said = exc.message if config is None else exc.said_in(config.report.language)
        print(f"importer: {said}", file=sys.stderr)
        return int(exc.exit_code)
    except BrokenPipeError:  # `importer imports | head`: the reader has what it wanted
        _stdout_gone()
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        print("importer: interrupted", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    except Exception as exc:  # a bug: still one line, never a traceback unless asked for
        internal = InternalError(type(exc).__name__)
        internal.__cause__ = exc  # what --debug shows below the one line
        if debug:
            traceback.print_exception(internal)
        honest = damaged(exc, config.journal.path) if config is not None else None
        if honest is not None:
            print(f"importer: {honest.message}", file=sys.stderr)
            return int(honest.exit_code)
        print(f"importer: {internal.message}", file=sys.stderr)
        return int(internal.exit_code)
    parser.error(f"unknown command {args.command}")
    return int(ExitCode.USAGE)  # pragma: no cover
