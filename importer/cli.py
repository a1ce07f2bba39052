"""`importer` — the command line: a thin adapter over `importer.pipeline.facade`.

It parses options, sets up logging, turns every ImporterError into one line on stderr and its
exit code (`--debug` shows the traceback), and prints a closing summary per file."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from importer import local_time, logs, stopping
from importer.api.credentials import check_base_url
from importer.attention import import_next_steps
from importer.cli_parser import build_parser
from importer.config import SANDBOX, Config, check_paths, load_config
from importer.config_sources import explain_config, secret_note
from importer.errors import ConfigError, ImporterError, InternalError
from importer.exit_codes import ExitCode
from importer.journal import damaged
from importer.outcomes import Outcome, worst
from importer.pipeline import ImportResult, RunOptions, facade
from importer.pipeline.history import parse_since
from importer.progress import ProgressLine
from importer.report import Report
from importer.report.control import reconciling_lines
from importer.report.schema import shipped_text
from importer.stopping import StopFlag
from importer.validation import creditor_option
from importer.words import text

if TYPE_CHECKING:
    from importer.drop import Signals


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
}


def _load(args: argparse.Namespace) -> tuple[Config, dict[str, str]]:
    """The configuration with the command line's overrides, and which keys they set."""
    config = load_config(getattr(args, "config", None))
    overrides: dict[str, str] = {}
    for name, (key, option) in _OVERRIDES.items():
        value = getattr(args, name, None)
        if not value:
            continue
        section, setting = key.split(".")
        setattr(getattr(config, section), setting, value)
        overrides[key] = option
    if getattr(args, "allow_repeats", False):
        config.dedupe.repeats = "allow"
        overrides["dedupe.repeats"] = "--allow-repeats"
    check_paths(config)  # again: --report-dir and --journal may name the wrong kind of thing
    return config, overrides


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ")


_RECONCILING = {
    "label.rows_without_amount": ("no amount", "rows above without a readable amount"),
    "label.left_out.total_rows": ("total rows", "left out: totals, not credits"),
    "label.left_out.hidden_rows": ("hidden rows", "left out: hidden in the workbook"),
}
"""The control totals' reconciling lines (`reconciling_lines`) as the summary prints them."""


def _print_result(
    result: ImportResult, elapsed: float, config: Config, given: str | None = None
) -> None:
    out = sys.stdout
    if result.report is None:
        if result.exit_code is not ExitCode.USAGE:  # a usage error is one line, on stderr
            print(f"{result.file}: {result.message}", file=out)
        return
    report = result.report
    target = report.api.get("base_url", "")
    kind = "dry run, nothing sent" if report.dry_run else f"API {target}"
    print(f"\n{result.file} — import {report.file_import_report} ({kind})", file=out)
    # `given` is --creditor: a file rejected as a whole has no rows to name a creditor.
    creditor = ", ".join(report.creditor) or given or config.defaults.creditor
    if not creditor:
        rejected_file = bool(report.file_errors) and not report.summary.rows
        creditor = (
            "- (the file was rejected before its rows were read)"
            if rejected_file
            else "as given on each row"
        )
    print(f"  creditor          {creditor}", file=out)
    if report.sandbox and not report.dry_run:
        print("  SANDBOX: no real credits were issued.", file=out)
    for problem in report.file_errors:
        print(f"  file rejected: {problem.message}", file=out)
    for warning in report.warnings:
        print(f"  warning: {warning.message}", file=out)
    summary = report.summary
    print(f"  {'outcome':<12}{'rows':>8}{'amount':>16}", file=out)
    for outcome in Outcome:
        count = summary.outcomes.get(outcome.value, 0)
        amount = _money(summary.amounts.get(outcome.value, Decimal(0)))
        extra = ""
        shown = ", ".join(f"{k} {v}" for k, v in summary.statuses.items() if v)
        if outcome is Outcome.CREDITED and shown:
            extra = f"   ({shown})"
        if outcome is Outcome.NOT_SENT and report.dry_run and count:
            extra = "   (valid: would be sent)"
        print(f"  {outcome.value:<12}{count:>8}{amount:>16}{extra}", file=out)
    read = _money(summary.amount_read)
    print(f"  {'total':<12}{summary.rows:>8}{read:>16}   (amount read)", file=out)
    for label, rows, money in reconciling_lines(summary):
        short, meaning = _RECONCILING[label]
        shown = "" if money is None else _money(money)
        print(f"  {short:<12}{rows:>8}{shown:>16}   ({meaning})", file=out)
    print(f"  amount requested  {_money(summary.amount_requested)} SEK", file=out)
    print(f"  amount settled    {_money(summary.amount_settled)} SEK", file=out)
    print(f"  elapsed           {elapsed:.1f} s", file=out)
    if result.posting is not None:
        run = result.posting
        rate = run.posted / run.seconds if run.seconds > 0 else 0.0
        lanes = f"{run.lanes} lane{'s' if run.lanes != 1 else ''}"
        print(f"  posting           {lanes}, {run.posted} rows at {rate:.1f} rows/s", file=out)
    if result.report_paths:
        first = next(iter(result.report_paths.values()))
        print(f"  report            {first.parent}/ ({', '.join(result.report_paths)})", file=out)
    if result.message:
        print(f"  {result.message}", file=out)
    for step in _next_steps(report, result.report_paths.get("csv")):
        print(f"  next: {step}", file=out)


def _next_steps(report: Report, csv_path: Path | None) -> list[str]:
    """What the operator does next, as commands to type (the CLI stays English)."""
    summary = report.summary
    steps = import_next_steps(
        summary.outcomes,
        summary.statuses,
        dry_run=report.dry_run,
        rejected_file=bool(report.file_errors) and not summary.rows,
    )
    import_id = report.file_import_report
    fix = csv_path or Path("reports") / import_id / "report.csv"
    lines = []
    for step in steps:
        if step == "next.import_outage":
            lines.append(f"after the outage, once the API answers: importer rerun {import_id}")
        elif step == "next.import_fix":
            lines.append(
                f'fix the rows in "Needs attention" in {fix}, then: '
                f"importer rerun {import_id} --fix {fix}"
            )
        elif step != "next.import_done":
            lines.append(text(step, "en", id=import_id, csv=fix))
    if not lines and report.exit_code == 1 and not report.dry_run:
        # Only credited rows a person must look at: credited twice, or an answer that did
        # not fit (the report's exit code says so; see importer.report.render).
        lines.append(
            "credited rows need a person (credited more than once, or an answer that did "
            f"not fit): importer show {import_id}"
        )
    return lines


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
    creditor = None if args.creditor is None else creditor_option(args.creditor)
    options = RunOptions(
        dry_run=dry_run,
        all_or_nothing=getattr(args, "all_or_nothing", False),
        force=getattr(args, "force", False),
        creditor=creditor,
    )
    stop = StopFlag()
    with stopping.installed(stop):
        return _run_or_rerun(args, config, options, stop)


def _run_or_rerun(
    args: argparse.Namespace, config: Config, options: RunOptions, stop: StopFlag
) -> ExitCode:
    progress = ProgressLine()
    if args.command == "rerun":
        started = time.monotonic()
        result = facade.rerun(
            config,
            _resolve_import(args.import_ref),
            args.fix,
            progress=progress,
            stop=stop,
            creditor=options.creditor,
            dry_run=args.dry_run,
        )
        return _report_result(result, started, config, options.creditor)
    codes: list[ExitCode] = []
    started = time.monotonic()
    for result in facade.run(config, args.files, options, progress=progress, stop=stop):
        codes.append(_report_result(result, started, config, options.creditor))
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
    result: ImportResult, started: float, config: Config, given: str | None = None
) -> ExitCode:
    try:
        _print_result(result, time.monotonic() - started, config, given)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()
    if result.exit_code in (ExitCode.USAGE, ExitCode.INCOMPLETE) and result.message:
        print(f"importer: {result.message}", file=sys.stderr)
    return result.exit_code


def _install_drop_handlers(signals: Signals) -> None:
    """First SIGTERM/SIGINT: finish the file in flight, claim nothing more. Second: stop that
    file after the row in flight (it stays in processing/ and resumes next pass)."""

    def handler(signum: int, _frame: object) -> None:
        if signals.stop_rows.is_set():
            raise KeyboardInterrupt
        if signals.stop_files.is_set():
            signals.stop_rows.set()
            sys.stderr.write("\nstopping after the row in flight…\n")
            return
        signals.stop_files.set()
        sys.stderr.write("\nstopping after the file in flight (signal again to stop sooner)…\n")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _drop(args: argparse.Namespace, config: Config) -> ExitCode:
    from importer.drop import Drop, DropOptions, Signals  # only `drop` needs the drop stage

    signals = Signals()
    _install_drop_handlers(signals)
    creditor = None if args.creditor is None else creditor_option(args.creditor)
    options = DropOptions(watch=args.watch, interval=args.interval, creditor=creditor)
    # On a terminal the redrawn line; in a log the drop's own progress lines suffice.
    progress = ProgressLine() if sys.stderr.isatty() else None
    drop = Drop(
        args.inbox,
        config,
        options,
        signals=signals,
        progress=progress,
        printer=lambda summary: print(summary, end="", flush=True),
    )
    return drop.run()


def _list_imports(config: Config, args: argparse.Namespace) -> ExitCode:
    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError:
            raise ConfigError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from None
    entries = facade.imports(config, since=since, creditor=args.creditor, status=args.status)
    if args.json:
        print(json.dumps([entry.as_json() for entry in entries], ensure_ascii=False, indent=2))
        return ExitCode.OK
    if not entries:
        print("no imports" + (" match" if since or args.creditor or args.status else " yet"))
        return ExitCode.OK
    zone = config.report.timezone
    print(f"{'import':<28}{'started':<25}{'state':<10}{'rows':>7}  outcomes  file")
    for entry in entries:
        record = entry.record
        counts = ", ".join(f"{o.value} {n}" for o, n in entry.counts.items() if n) or "-"
        kind = " (dry run)" if record.dry_run else ""
        started = local_time.shown(record.started, zone, seconds=False)
        print(
            f"{record.id:<28}{started}  {record.state:<10}"
            f"{record.rows:>7}  {counts}  {record.file_name}{kind}"
        )
    return ExitCode.OK


def _show(config: Config, ref: str) -> ExitCode:
    view = facade.show(config, _resolve_import(ref))
    report = view.report
    summary = report.summary
    sandbox = " (sandbox)" if report.sandbox else ""
    outcomes = ", ".join(f"{k} {v}" for k, v in summary.outcomes.items() if v)
    requested, settled = _money(summary.amount_requested), _money(summary.amount_settled)
    print(f"import {report.file_import_report}: {report.file.name}")
    print(f"  creditor   {', '.join(view.creditors) or '-'}")
    print(f"  API        {report.api.get('base_url', '')}{sandbox}")
    zone = config.report.timezone
    finished = local_time.shown(report.finished, zone) or "-"
    print(f"  started    {local_time.shown(report.started, zone)}   finished {finished}")
    print(f"  rows       {summary.rows}: {outcomes}")
    print(f"  requested  {requested} SEK   settled {settled} SEK")
    print(f"  exit code  {report.exit_code}")
    folder = view.report_csv.parent
    gone = (
        ""
        if folder.is_dir()
        else f" (not there now: importer report {report.file_import_report} writes it again)"
    )
    print(f"  report     {folder}/{gone}")
    for step in _next_steps(report, view.report_csv):
        print(f"  next: {step}")
    if not view.attention:
        print("no row needs attention")
        return ExitCode.OK
    print(f"\n{len(view.attention)} row(s) need attention:")
    for line in view.attention:
        print(f"  row {line.row:<6} {line.outcome:<16} {line.reason}")
        print(f"  {'':<6}     {'':<16} next: {line.next_step}")
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
        sys.stdout.write(shipped_text())
        return int(ExitCode.OK)
    _configure_logging(args)
    debug = getattr(args, "debug", False)
    config: Config | None = None
    try:
        config, overrides = _load(args)
        if args.command in ("run", "validate"):
            return int(_run_imports(args, config))
        if args.command == "rerun":
            return int(_run_imports(args, config))
        if args.command == "drop":
            return int(_drop(args, config))
        if args.command == "imports":
            return int(_list_imports(config, args))
        if args.command == "show":
            return int(_show(config, args.import_ref))
        if args.command == "config":
            return int(_show_config(config, args, overrides))
        if args.command == "report":
            return int(_render(config, args.import_ref))
    except ImporterError as exc:
        if debug:
            traceback.print_exc()
        print(f"importer: {exc.message}", file=sys.stderr)
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
