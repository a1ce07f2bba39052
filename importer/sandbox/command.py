"""`importer sandbox`: serve the sandbox until SIGINT/SIGTERM.

The lead's CLI builds the subparser with `DESCRIPTION`/`EPILOG`, calls `add_arguments`, and
dispatches to `run`; `python -m importer.sandbox` does the same on its own parser. Scripts and
tests rely on the first line of stdout being the URL, so nothing else is printed to stdout.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from importer.errors import SandboxError
from importer.sandbox.crediting import RULES_TEXT
from importer.sandbox.key import API_KEY_ENV, DEFAULT_API_KEY

if TYPE_CHECKING:
    from importer.sandbox.app import Sandbox

DESCRIPTION = """\
Serve a local, contract-faithful stand-in for Amili's crediting API over HTTP:
POST/GET /creditor--creditings, GET /creditor--creditings/<id>, GET /cases and
GET /cases/<id>, in Python-Eve's wire format, backed by SQLite. The first line on
stdout is the URL it listens on; SIGINT or SIGTERM stops it cleanly."""

EPILOG = f"""\
{RULES_TEXT}

Authentication: every request needs the header x-api-key: KEY, where KEY is read from
${API_KEY_ENV}, else from --api-key-file FILE (its first line), else the default sandbox
key "{DEFAULT_API_KEY}". --api-key KEY still works but is deprecated: a key on the command
line is visible to every user of the machine in `ps`.

Storage: --db PATH keeps creditings and balances across restarts (default: a temporary
database deleted on stop). An empty database is seeded from --cases FILE.json (default:
the sample cases of samples/cases.json, packaged as importer/data/cases.json); a database
that already has cases is never re-seeded, so --cases only applies to a new database.

Faults (reproducible with --seed): --latency-ms N makes every answer leave N ms after its
request arrived (the sandbox's own work included: an API with that response time);
--latency-jitter-ms N adds a random 0..N ms to each answer (answers overtake each other);
--fail-rate answers that share of POSTs 503 before anything is stored (GETs never fail);
--fail-after-store-rate stores that share of creditings, then answers 503 (a gateway's
upstream reset); --drop-rate stores that share of creditings and then closes the
connection without any answer; --rate-limit N answers 429 with Retry-After: 1 beyond N
requests in any one second, across all clients.

Example:
  importer sandbox --port 8080 &
  curl -s -X POST http://127.0.0.1:8080/creditor--creditings \\
    -H 'x-api-key: {DEFAULT_API_KEY}' -H 'Content-Type: application/json' \\
    -d '{{"creditor": "5f1a2b3c4d5e6f7a8b9c0d1e", "case": "64b0c0ffee00000000000001",
         "currency": "SEK", "amount": 100.0, "origin": "creditor_system"}}'
"""


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's flags. Also switches the parser to a formatter that keeps the epilog's
    line breaks, since the crediting rules are a list."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port; 0 picks a free one (default 0)"
    )
    parser.add_argument("--db", metavar="PATH", help="SQLite database (default: a temporary file)")
    parser.add_argument(
        "--cases", metavar="FILE", help="JSON list of case documents to seed an empty database"
    )
    parser.add_argument(
        "--api-key-file",
        metavar="FILE",
        help=f"file whose first line is the key clients must send (else ${API_KEY_ENV})",
    )
    parser.add_argument(
        "--api-key",
        help="deprecated: the key on the command line is visible in ps; use "
        f"${API_KEY_ENV} or --api-key-file",
    )
    parser.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0,
        metavar="N",
        help="answer every request N ms after it arrived (response time)",
    )
    parser.add_argument(
        "--latency-jitter-ms",
        type=_non_negative,
        default=0,
        metavar="N",
        help="add a random 0..N ms to each answer's latency (seeded by --seed)",
    )
    parser.add_argument(
        "--fail-rate",
        type=_rate,
        default=0.0,
        metavar="P",
        help="share of POSTs answered 503, nothing stored",
    )
    parser.add_argument(
        "--drop-rate",
        type=_rate,
        default=0.0,
        metavar="P",
        help="share of creditings stored, then answered with a closed connection",
    )
    parser.add_argument(
        "--fail-after-store-rate",
        type=_rate,
        default=0.0,
        metavar="P",
        help="share of creditings stored, then answered 503 (a gateway's upstream reset)",
    )
    parser.add_argument(
        "--rate-limit", type=_positive, metavar="N", help="answer 429 beyond N requests per second"
    )
    parser.add_argument(
        "--seed", type=int, help="seed for --fail-rate/--drop-rate/--latency-jitter-ms draws"
    )


def _key(args: argparse.Namespace) -> str | None:
    """The key from the environment, a file or (deprecated) the command line; None for the
    default sandbox key. The environment wins over the file: it is what a service manager
    sets, and the file is for when it cannot."""
    if args.api_key:
        print(
            "importer sandbox: warning: --api-key is visible to every user in ps; "
            f"set ${API_KEY_ENV} or use --api-key-file instead",
            file=sys.stderr,
        )
        return str(args.api_key)
    if os.environ.get(API_KEY_ENV):
        return None  # Sandbox reads it itself
    if args.api_key_file:
        try:
            with open(args.api_key_file, encoding="utf-8") as handle:
                key = handle.readline().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SandboxError(
                f"--api-key-file {args.api_key_file}: cannot be read ({exc})"
            ) from None
        if not key:
            raise SandboxError(f"--api-key-file {args.api_key_file}: its first line is empty")
        return key
    return None


def _describe(sandbox: Sandbox, args: argparse.Namespace) -> str:
    if args.api_key:
        key = "--api-key"
    elif os.environ.get(API_KEY_ENV):
        key = f"${API_KEY_ENV}"
    elif args.api_key_file:
        key = f"read from {args.api_key_file}"
    else:
        key = f'the default "{DEFAULT_API_KEY}"'
    if args.db is None:
        db = f"temporary database {sandbox.db_path} (deleted on stop)"
    else:
        db = f"database {sandbox.db_path}"
    seeded = (
        f"seeded {sandbox.seeded} cases from {args.cases or 'the packaged sample cases'}"
        if sandbox.seeded is not None
        else "existing cases kept (not re-seeded)"
    )
    return f"importer sandbox: {db}, {seeded}; x-api-key is {key}"


def run(args: argparse.Namespace) -> int:
    """Start, print the URL as the first line of stdout, serve until SIGINT/SIGTERM, stop."""
    from importer.sandbox.app import Sandbox  # the server only when it is run, not for --help

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    sandbox: Sandbox | None = None
    try:
        sandbox = Sandbox(
            db_path=args.db,
            cases_path=args.cases,
            api_key=_key(args),
            host=args.host,
            port=args.port,
            latency_ms=args.latency_ms,
            fail_rate=args.fail_rate,
            fail_after_store_rate=args.fail_after_store_rate,
            drop_rate=args.drop_rate,
            rate_limit=args.rate_limit,
            seed=args.seed,
            latency_jitter_ms=args.latency_jitter_ms,
        )
        url = sandbox.start()
        print(url, flush=True)
        print(_describe(sandbox, args), file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    except SandboxError as exc:
        print(f"importer sandbox: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    finally:
        if sandbox is not None:
            sandbox.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("importer sandbox: stopped", file=sys.stderr)
    return 0


def build_parser(prog: str = "importer sandbox") -> argparse.ArgumentParser:
    """A standalone parser, for `python -m importer.sandbox`."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG)
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
