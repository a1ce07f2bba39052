"""Throughput of the sandbox for crediting POSTs, against a baseline measured in the same run.

The claim under test: the sandbox is not the bottleneck of an import below
1,000 requests/s on this machine. The sandbox runs in its own process
(`python -m importer.sandbox`), exactly as `importer sandbox` does, and receives N valid
creditings over keep-alive `requests.Session`s: once from a single client (how the importer
posts: in file order over one session) and once from 4 client threads.

Baseline: a bare stdlib `ThreadingHTTPServer`, also in its own process, that reads the body and
answers 201 with a fixed Eve-shaped body — HTTP/1.1 keep-alive with nothing behind it. The
ratio sandbox/baseline is what validation, SQLite and the crediting rules cost on top of the
HTTP stack both share.

Client-observed rates include the Python client's own time (the baseline's single-client rate
shows that ceiling), so the verdict uses the sandbox's capacity: 1 s divided by the CPU time
its process spends per request, i.e. how many requests/s it could serve on one core if the
clients were free. The sandbox is not the bottleneck below that rate.

    python bench/sandbox_throughput.py            # N=5000
    python bench/sandbox_throughput.py -n 2000 --threads 4
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNT = "70a1b2c3d4e5f60718293a4b"
CASE_IDS = [f"64b0c0ffee{i:014x}" for i in range(1, 9)]
API_KEY = "bench-key"
TARGET_RPS = 1000.0
FIXED_BODY = json.dumps(
    {
        "_id": "64b0c0ffee0000000000ffff",
        "_created": "Fri, 04 Jul 2025 14:35:29 GMT",
        "_updated": "Fri, 04 Jul 2025 14:35:29 GMT",
        "_etag": "0" * 40,
        "_status": "OK",
        "_payment_status": "completed",
    }
).encode()


class _BaselineHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(FIXED_BODY)))
        self.end_headers()
        self.wfile.write(FIXED_BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _BaselineServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # wrk hangs up when done
            super().handle_error(request, client_address)


def serve_baseline() -> int:
    """The baseline server process: print the URL first, serve until SIGTERM."""
    server = _BaselineServer(("127.0.0.1", 0), _BaselineHandler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    return 0


def _write_cases(folder: Path) -> Path:
    """Cases with balances no benchmark can exhaust, so every crediting is `completed`."""
    cases = [
        {
            "_id": case_id,
            "creditor": CREDITOR,
            "account": ACCOUNT,
            "debt": {"invoice_number": f"B-{n}"},
            "reference_number": f"9000{n:04d}",
            "currency": "SEK",
            "local_remaining_capital_amount": 900000000000.0,
            "state": "open",
        }
        for n, case_id in enumerate(CASE_IDS, 1)
    ]
    path = folder / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    return path


def _start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "IMPORTER_SANDBOX_KEY": API_KEY,  # from the environment: argv is visible in ps
    }
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"server did not start: {command}")
    return proc, url


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _body(tag: str, n: int) -> dict[str, object]:
    return {
        "creditor": CREDITOR,
        "case": CASE_IDS[n % len(CASE_IDS)],
        "currency": "SEK",
        "amount": 1.25,
        "origin": "creditor_system",
        "credit_invoice": f"KF-{tag}-{n}",
        "creditor_reference": f"{tag}-{n}",
        "client_registration_date": "Fri, 04 Jul 2025 14:35:29 GMT",
    }


def _post_many(url: str, tag: str, count: int, threads: int) -> float:
    """POST `count` creditings from `threads` sessions; returns requests per second."""
    errors: list[str] = []

    def worker(index: int) -> None:
        with requests.Session() as session:
            session.headers["x-api-key"] = API_KEY
            for n in range(index, count, threads):
                response = session.post(f"{url}/creditor--creditings", json=_body(tag, n))
                if response.status_code != 201:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"unexpected answer: {errors[0]}")
    return count / elapsed


@dataclass(frozen=True)
class Figures:
    rate: float
    """Requests per second as the clients saw them (client and server time together)."""
    server_cpu_us: float
    """CPU time the server process spent per request: what bounds its own capacity."""


def _measure(
    name: str, proc: subprocess.Popen[str], url: str, count: int, threads: int
) -> dict[int, Figures]:
    _post_many(url, f"{name}-warmup", min(300, count), 1)
    server = psutil.Process(proc.pid)
    figures = {}
    for t in (1, threads):
        before = server.cpu_times()
        rate = _post_many(url, f"{name}-{t}", count, t)
        after = server.cpu_times()
        cpu = (after.user - before.user) + (after.system - before.system)
        figures[t] = Figures(rate, cpu / count * 1e6)
    return figures


def _wrk(url: str, folder: Path, seconds: int = 5) -> tuple[float, int] | None:
    """Requests/s of crediting POSTs from wrk (a C load generator, Debian package `wrk`), with
    4 keep-alive connections: the rate the server sustains when the client costs ~nothing.
    None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = folder / "post.lua"
    body = json.dumps(_body("wrk", 0)).replace("'", "\\'")
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = '{body}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["x-api-key"] = "{API_KEY}"\n',
        encoding="utf-8",
    )
    out = subprocess.run(
        [wrk, "-t1", "-c4", f"-d{seconds}s", "-s", str(script), f"{url}/creditor--creditings"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(failed.group(1)) if failed else 0


def _check_stored(url: str, expected: int) -> None:
    response = requests.get(
        f"{url}/creditor--creditings", params={"max_results": 1}, headers={"x-api-key": API_KEY}
    )
    total = int(response.headers["X-Total-Count"])
    if total != expected:
        raise SystemExit(f"sandbox stored {total} creditings, expected {expected}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=5000, help="POSTs per measurement")
    parser.add_argument("--threads", type=int, default=4, help="client threads, second measurement")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        return serve_baseline()

    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        cases = _write_cases(Path(tmp))
        sandbox_cmd = [
            sys.executable, "-m", "importer.sandbox", "--port", "0",
            "--cases", str(cases), "--db", str(Path(tmp) / "bench.sqlite"),
        ]  # fmt: skip
        baseline_cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline"]
        results: dict[str, dict[int, Figures]] = {}
        wrk_rates: dict[str, tuple[float, int] | None] = {}
        procs: list[subprocess.Popen[str]] = []
        stored = min(300, args.requests) + 2 * args.requests
        try:
            runs: list[tuple[str, list[str], Callable[[str], None] | None]] = [
                ("baseline", baseline_cmd, None),
                ("sandbox", sandbox_cmd, lambda url: _check_stored(url, stored)),
            ]
            for name, command, verify in runs:
                proc, url = _start(command)
                procs.append(proc)
                results[name] = _measure(name, proc, url, args.requests, args.threads)
                if verify:
                    verify(url)
                wrk_rates[name] = _wrk(url, Path(tmp))
                _stop(proc)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()

    print(f"POST /creditor--creditings, {args.requests} requests per measurement, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")  # fmt: skip
    print(
        f"{'clients':>7} {'baseline req/s':>15} {'sandbox req/s':>14} {'ratio':>6}"
        f" {'baseline cpu/req':>17} {'sandbox cpu/req':>16} {'sandbox capacity':>17}"
    )
    for threads in (1, args.threads):
        base, sand = results["baseline"][threads], results["sandbox"][threads]
        print(
            f"{threads:>7} {base.rate:>15.0f} {sand.rate:>14.0f} {sand.rate / base.rate:>6.2f}"
            f" {base.server_cpu_us:>14.0f} us {sand.server_cpu_us:>13.0f} us"
            f" {1e6 / sand.server_cpu_us:>11.0f} req/s"
        )
    print(
        "ratio = sandbox/baseline requests per second in this run; capacity = 1 s / the sandbox"
        " process's CPU time per request (one core)"
    )
    if wrk_rates.get("sandbox") is not None:
        base_wrk, sand_wrk = wrk_rates["baseline"], wrk_rates["sandbox"]
        assert base_wrk is not None
        assert sand_wrk is not None
        print(
            f"wrk, 4 connections: sandbox {sand_wrk[0]:.0f} req/s ({sand_wrk[1]} non-2xx),"
            f" baseline {base_wrk[0]:.0f} req/s, ratio {sand_wrk[0] / base_wrk[0]:.2f}"
        )
    else:
        print("wrk not installed (apt-get install wrk): no measurement free of client cost")
    capacity = min(1e6 / f.server_cpu_us for f in results["sandbox"].values())
    best = max(f.rate for f in results["sandbox"].values())
    verdict = "above" if capacity > TARGET_RPS else "BELOW"
    print(
        f"sandbox capacity {capacity:.0f} req/s (best observed {best:.0f} req/s):"
        f" {verdict} the {TARGET_RPS:.0f} req/s target"
    )
    return 0  # figures are printed, never asserted: a loaded machine is no failure


if __name__ == "__main__":
    raise SystemExit(main())
