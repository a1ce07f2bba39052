"""`importer` — the command line: a thin adapter over `importer.pipeline.facade`.

It parses options, sets up logging, turns every ImporterError into one line on stderr and its
exit code (`--debug` shows the traceback), and prints a closing summary per file."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import structlog

from importer import __version__
from importer.config import Config, load_config
from importer.drop import Drop, DropOptions, Signals
from importer.errors import ConfigError, ImporterError, InternalError
from importer.exit_codes import ExitCode
from importer.outcomes import Outcome, worst
from importer.pipeline import ImportResult, RunOptions, facade

EXAMPLES = """\
examples:
  importer run samples/credits.csv                 import into the embedded sandbox
  importer validate nightly/*.csv                  check files, send nothing
  importer run --api-url https://api.example.com/v1 credits.xlsx
  importer run --all-or-nothing credits.csv        post nothing if any row is invalid
  importer rerun 20261124-204500-3fa2c1d9          post again what did not go through
  importer rerun reports/<import id>/report.json --fix fixed.csv
  importer imports                                 list imports and their outcomes
  importer drop /srv/inbox                         import the finished files of an inbox
  importer drop --watch /srv/inbox                 keep polling it until SIGTERM
  importer sandbox --port 8080                     serve the local Amili-compatible API

exit codes: 0 all credited and completed; 1 rows need attention; 2 usage error or file
rejected as a whole (nothing posted); 3 run could not finish (rerun resumes it)
"""


def _parser() -> argparse.ArgumentParser:
    from importer.sandbox import command as sandbox_command

    parser = argparse.ArgumentParser(
        prog="importer",
        description="Credit Amili cases from creditors' CSV and Excel files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"importer {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="configuration file (default ./config.yaml)")
    common.add_argument("--report-dir", type=Path, help="where reports go (overrides config)")
    common.add_argument("--journal", type=Path, help="journal database (overrides config)")
    common.add_argument("--api-url", help="API base URL, or 'sandbox' for the embedded one")
    common.add_argument("--log-json", action="store_true", help="log JSON lines to stderr")
    common.add_argument("--verbose", "-v", action="store_true", help="log progress to stderr")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common],
        help="import files",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("files", nargs="+", type=Path, metavar="FILE")
    run.add_argument("--dry-run", action="store_true", help="validate only; send nothing")
    run.add_argument(
        "--all-or-nothing", action="store_true", help="post nothing if any row is invalid"
    )
    run.add_argument("--force", action="store_true", help="import a file imported before")

    validate = sub.add_parser("validate", parents=[common], help="same as run --dry-run")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")

    rerun = sub.add_parser("rerun", parents=[common], help="post again what did not go through")
    rerun.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")
    rerun.add_argument("--fix", type=Path, help="corrected rows (e.g. an edited report.csv)")

    drop = sub.add_parser(
        "drop",
        parents=[common],
        help="import the finished files of an inbox, archive them, summarise",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    drop.add_argument("inbox", type=Path, metavar="INBOX")
    drop.add_argument("--watch", action="store_true", help="keep polling until SIGTERM")
    drop.add_argument(
        "--interval", type=_seconds, default=60.0, metavar="SECONDS", help="between polls (60)"
    )
    drop.add_argument("--lanes", type=_positive, default=1, metavar="N", help="posting lanes")
    drop.add_argument("--creditor", help="creditor for files directly in INBOX")

    sub.add_parser("imports", parents=[common], help="list imports with counts per outcome")

    report = sub.add_parser("report", parents=[common], help="render an import's report again")
    report.add_argument("import_ref", metavar="IMPORT_ID|REPORT_JSON")

    sandbox = sub.add_parser(
        "sandbox",
        help="serve the local Amili-compatible crediting API",
        description=sandbox_command.DESCRIPTION,
        epilog=sandbox_command.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sandbox_command.add_arguments(sandbox)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _configure_logging(args: argparse.Namespace) -> None:
    # A drop runs under a scheduler whose log is all a person has: it logs progress by default.
    chatty = args.log_json or args.verbose or args.command == "drop"
    level = logging.INFO if chatty else logging.WARNING
    processors: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if args.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.report_dir is not None:
        config.report.dir = args.report_dir
    if args.journal is not None:
        config.journal.path = args.journal
    if args.api_url:
        config.api.base_url = args.api_url
    return config


class _ProgressBar:
    """A one-line bar on a terminal; silent when stderr is not a TTY (cron, pipes)."""

    def __init__(self) -> None:
        self._enabled = sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total == 0:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r  posting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ")


def _print_result(result: ImportResult, elapsed: float) -> None:
    out = sys.stdout
    if result.report is None:
        print(f"{result.file}: {result.message}", file=out)
        return
    report = result.report
    target = report.api.get("base_url", "")
    kind = "dry run, nothing sent" if report.dry_run else f"API {target}"
    print(f"\n{result.file} — import {report.file_import_report} ({kind})", file=out)
    if report.sandbox and not report.dry_run:
        print("  SANDBOX: no real credits were issued.", file=out)
    for problem in report.file_errors:
        print(f"  file rejected: {problem.message}", file=out)
    for warning in report.warnings:
        print(f"  warning: {warning}", file=out)
    summary = report.summary
    print(f"  {'outcome':<12}{'rows':>8}", file=out)
    for outcome in Outcome:
        count = summary.outcomes.get(outcome.value, 0)
        extra = ""
        shown = ", ".join(f"{k} {v}" for k, v in summary.statuses.items() if v)
        if outcome is Outcome.CREDITED and shown:
            extra = f"   ({shown})"
        if outcome is Outcome.NOT_SENT and report.dry_run and count:
            extra = "   (valid: would be sent)"
        print(f"  {outcome.value:<12}{count:>8}{extra}", file=out)
    print(f"  {'total':<12}{summary.rows:>8}", file=out)
    print(f"  amount requested  {_money(summary.amount_requested)} SEK", file=out)
    print(f"  amount settled    {_money(summary.amount_settled)} SEK", file=out)
    print(f"  elapsed           {elapsed:.1f} s", file=out)
    if result.report_paths:
        first = next(iter(result.report_paths.values()))
        print(f"  report            {first.parent}/ ({', '.join(result.report_paths)})", file=out)
    if result.message:
        print(f"  {result.message}", file=out)


def _resolve_import(ref: str) -> str:
    """An import id, or the path of its report.json."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["file_import_report"])
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}: not an import report ({exc})") from exc
    return ref


def _install_stop_handlers(stop: threading.Event) -> None:
    """SIGINT/SIGTERM finish the row in flight, write the report and exit 3."""

    def handler(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write("\nstopping after the row in flight…\n")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _run_imports(args: argparse.Namespace, config: Config) -> ExitCode:
    dry_run = args.command == "validate" or getattr(args, "dry_run", False)
    options = RunOptions(
        dry_run=dry_run,
        all_or_nothing=getattr(args, "all_or_nothing", False),
        force=getattr(args, "force", False),
    )
    stop = threading.Event()
    _install_stop_handlers(stop)
    progress = _ProgressBar()
    if args.command == "rerun":
        started = time.monotonic()
        result = facade.rerun(
            config, _resolve_import(args.import_ref), args.fix, progress=progress, stop=stop
        )
        return _report_result(result, started)
    codes: list[ExitCode] = []
    started = time.monotonic()
    for result in facade.run(config, args.files, options, progress=progress, stop=stop):
        codes.append(_report_result(result, started))
        started = time.monotonic()
    return worst(codes)


def _report_result(result: ImportResult, started: float) -> ExitCode:
    _print_result(result, time.monotonic() - started)
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
    signals = Signals()
    _install_drop_handlers(signals)
    options = DropOptions(
        watch=args.watch, interval=args.interval, lanes=args.lanes, creditor=args.creditor
    )
    printer = lambda text: print(text, end="", flush=True)  # noqa: E731 - the one adapter
    drop = Drop(
        args.inbox, config, options, signals=signals, progress=_ProgressBar(), printer=printer
    )
    return drop.run()


def _list_imports(config: Config) -> ExitCode:
    listed = facade.imports(config)
    if not listed:
        print("no imports yet")
        return ExitCode.OK
    header = f"{'import':<28}{'started (UTC)':<18}{'state':<10}{'rows':>7}  outcomes  file"
    print(header)
    for record, counts in listed:
        shown = ", ".join(f"{o.value} {n}" for o, n in counts.items() if n) or "-"
        kind = " (dry run)" if record.dry_run else ""
        print(
            f"{record.id:<28}{record.started:%Y-%m-%d %H:%M}  {record.state:<10}"
            f"{record.rows:>7}  {shown}  {record.file_name}{kind}"
        )
    return ExitCode.OK


def _render(config: Config, ref: str) -> ExitCode:
    report, paths = facade.render(config, _resolve_import(ref))
    print(f"report {report.file_import_report}: {', '.join(str(p) for p in paths.values())}")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from importer.sandbox import command as sandbox_command

        return sandbox_command.run(args)
    _configure_logging(args)
    try:
        config = _load(args)
        if args.command in ("run", "validate"):
            return int(_run_imports(args, config))
        if args.command == "rerun":
            return int(_run_imports(args, config))
        if args.command == "drop":
            return int(_drop(args, config))
        if args.command == "imports":
            return int(_list_imports(config))
        if args.command == "report":
            return int(_render(config, args.import_ref))
    except ImporterError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"importer: {exc.message}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("importer: interrupted", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    except Exception as exc:  # a bug: still one line, never a traceback unless asked for
        internal = InternalError(type(exc).__name__)
        internal.__cause__ = exc  # what --debug shows below the one line
        if args.debug:
            traceback.print_exception(internal)
        print(f"importer: {internal.message}", file=sys.stderr)
        return int(internal.exit_code)
    parser.error(f"unknown command {args.command}")
    return int(ExitCode.USAGE)  # pragma: no cover
