"""Benchmark the importer against baselines measured in the same run.

(a) `importer validate` on an N-row credit file (default 200,000) — rows/s with the report
    written in the default formats (json, csv, xlsx, html), and peak RSS — beside
    `frictionless validate` with an equivalent Table Schema.
(b) posting against the sandbox at zero latency vs a bare `requests.post` loop over the
    same rows (each against a fresh sandbox), as a ratio.
(c) the same with `--latency-ms 20`, against the 50 rows/s that 20 ms allows in strict order.
(e) `importer validate` at the sizes people have (default 5,000, 20,000, 50,000 and 200,000
    rows): with the default formats (what users get: the workbook's All rows sheet is written
    up to `report.xlsx_all_rows`) and with the machine reports alone (json, csv), each against
    `frictionless validate` of the same file in the same run, in `--rounds` interleaved rounds
    (the ratio of the medians); `--memory-rows N` adds one run of N rows (e.g. 2,000,000) for
    its peak RSS.
(d) `importer run` of a 50,000-row file at zero latency with the default formats, the workbook
    holding all sheets (Summary, Needs attention, All rows), and the workbook's share of the
    time (the workbook rendered again from the journal, timed alone in-process).

Run:  python bench/import_bench.py [--rows 200000] [--post-rows 3000] [--latency-rows 1000]
      [--sizes 5000,20000,50000,200000] [--memory-rows 0] [--rounds 3] [--only a|b|c|d|e]
Needs the `bench` extra (frictionless) for (a)'s baseline. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import requests

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNT = "70a1b2c3d4e5f60718293a4b"
HEADER = [
    "invoice_number",
    "amount",
    "currency",
    "credit_invoice",
    "client_registration_date",
    "creditor_reference",
]


def write_credits(path: Path, rows: int, cases: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [
                    f"INV-{i % cases:07d}",
                    f"{rng.randint(1, 500_000) / 100:.2f}",
                    "SEK",
                    f"KF-{i:08d}",
                    (start + timedelta(days=i % 300)).isoformat(),
                    f"REF-{i:08d}",
                ]
            )


SWEDISH_HEADER = ["Fakturanummer", "Belopp", "Valuta", "Kreditfaktura", "Datum", "Meddelande"]


def write_swedish_credits(path: Path, rows: int, cases: int, seed: int = 7) -> None:
    """The same kind of file as a Swedish ERP exports it: Windows-1252, `;`, amounts with a
    decimal comma and space thousands (`12 345,50`), a free-text column with quotes."""
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(SWEDISH_HEADER)
        for i in range(rows):
            kronor, ore = divmod(rng.randint(1, 50_000_000), 100)
            writer.writerow(
                [
                    f"INV-{i % cases:07d}",
                    f"{kronor:,}".replace(",", " ") + f",{ore:02d}",
                    "SEK",
                    f"KF-{i:08d}",
                    (start + timedelta(days=i % 300)).isoformat(),
                    f'Rabatt "{i % 97}", återbetalning',
                ]
            )


def write_cases(path: Path, cases: int) -> None:
    docs = [
        {
            "_id": f"{0x650000000000000000000000 + i:024x}",
            "creditor": CREDITOR,
            "account": ACCOUNT,
            "debt": {"invoice_number": f"INV-{i:07d}"},
            "reference_number": f"9{i:07d}",
            "currency": "SEK",
            "local_remaining_capital_amount": 1_000_000_000,
            "state": "open",
        }
        for i in range(cases)
    ]
    path.write_text(json.dumps(docs), encoding="utf-8")


def run_timed(cmd: list[str], cwd: Path) -> tuple[float, float, float, int, bytes]:
    """`cmd` run to its end: its wall seconds, its CPU seconds (user + system: on a machine
    others share, the steadier of the two), its peak RSS in MB, exit code and output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, proc.returncode, output


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, float, int, bytes]:
    """`run_timed` without the CPU seconds: wall seconds, peak RSS in MB, exit code, output."""
    elapsed, _cpu, rss, code, output = run_timed(cmd, cwd)
    return elapsed, rss, code, output


PLAIN_SCHEMA = {  # the Table Schema equivalent to the importer's rules for write_credits
    "fields": [
        {"name": "invoice_number", "type": "string", "constraints": {"required": True}},
        {"name": "amount", "type": "number", "constraints": {"required": True, "minimum": 0.01}},
        {"name": "currency", "type": "string", "constraints": {"enum": ["SEK"]}},
        {"name": "credit_invoice", "type": "string", "constraints": {"unique": True}},
        {"name": "client_registration_date", "type": "date"},
        {"name": "creditor_reference", "type": "string", "constraints": {"unique": True}},
    ]
}
SWEDISH_SCHEMA = {  # the same for write_swedish_credits, told its number format
    "fields": [
        {"name": "Fakturanummer", "type": "string", "constraints": {"required": True}},
        {
            "name": "Belopp",
            "type": "number",
            "decimalChar": ",",
            "groupChar": " ",
            "constraints": {"required": True, "minimum": 0.01},
        },
        {"name": "Valuta", "type": "string", "constraints": {"enum": ["SEK"]}},
        {"name": "Kreditfaktura", "type": "string", "constraints": {"unique": True}},
        {"name": "Datum", "type": "date"},
        {"name": "Meddelande", "type": "string"},
    ]
}


def validate_ours(work: Path, data: Path, rows: int, label: str) -> tuple[float, float]:
    """`importer validate` of `data`, timed and printed; its wall and CPU seconds."""
    ours, cpu, rss, code, out = run_timed(
        [sys.executable, "-m", "importer", "validate", str(data)], work
    )
    if code != 0:
        print(out.decode(errors="replace")[-2000:])
        raise SystemExit(f"importer validate failed with exit {code}")
    print(
        f"(a) {label}: {rows:,} rows in {ours:.2f} s = {rows / ours:,.0f} rows/s "
        f"(CPU {cpu:.2f} s), peak RSS {rss:.0f} MB (default formats: report.json, .csv, "
        ".xlsx, .html written)"
    )
    return ours, cpu


def validate_frictionless(
    work: Path, data: Path, rows: int, schema: dict, ours: tuple[float, float], options: list[str]
) -> None:
    """`frictionless validate` of the same file with `schema`, and the ratios to `ours`
    (wall and CPU seconds)."""
    frictionless = shutil.which("frictionless", path=str(Path(sys.executable).parent))
    if frictionless is None:
        print("    frictionless not installed (pip install '.[bench]'): no baseline")
        return
    schema_file = work / f"{data.stem}.schema.json"
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    theirs, their_cpu, their_rss, code, out = run_timed(
        [frictionless, "validate", "--schema", schema_file.name, *options, data.name], work
    )
    valid = b"VALID" in out.upper() and b"INVALID" not in out.upper()
    print(
        f"    frictionless validate: {theirs:.2f} s = {rows / theirs:,.0f} rows/s "
        f"(CPU {their_cpu:.2f} s), peak RSS {their_rss:.0f} MB "
        f"(exit {code}, {'valid' if valid else 'see output'})"
    )
    wall, cpu = ours
    print(f"    ratio importer/frictionless: {theirs / wall:.2f}x (CPU: {their_cpu / cpu:.2f}x)")


def bench_validate(work: Path, rows: int) -> None:
    (work / "config.yaml").write_text(  # the default formats: json, csv, xlsx, html
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n"
        "journal:\n  path: journal.sqlite\n",
        encoding="utf-8",
    )
    data = work / "credits.csv"
    write_credits(data, rows, cases=1000)
    ours = validate_ours(work, data, rows, "importer validate")
    validate_frictionless(work, data, rows, PLAIN_SCHEMA, ours, [])
    # The same rows as a Swedish ERP writes them; frictionless told the dialect and formats.
    swedish = work / "krediteringar.csv"
    write_swedish_credits(swedish, rows, cases=1000)
    label = "the same as a Swedish export (cp1252, ';', '12 345,50', quoted text)"
    ours = validate_ours(work, swedish, rows, label)
    dialect = ["--encoding", "cp1252", "--dialect", json.dumps({"delimiter": ";"})]
    validate_frictionless(work, swedish, rows, SWEDISH_SCHEMA, ours, dialect)


def _timed_validate(work: Path, data: Path, formats: str | None) -> tuple[float, float, float]:
    """One `importer validate` of `data` in `work` with `report.formats` set to `formats`
    (None: the defaults); its wall seconds, CPU seconds and peak RSS in MB."""
    chosen = f"  formats: [{formats}]\n" if formats else ""
    (work / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports-e\n{chosen}"
        "journal:\n  path: journal-e.sqlite\n",
        encoding="utf-8",
    )
    seconds, cpu, rss, code, out = run_timed(
        [sys.executable, "-m", "importer", "validate", str(data)], work
    )
    if code != 0:
        print(out.decode(errors="replace")[-2000:])
        raise SystemExit(f"importer validate failed with exit {code}")
    shutil.rmtree(work / "reports-e", ignore_errors=True)
    return seconds, cpu, rss


def _frictionless_seconds(work: Path, data: Path) -> tuple[float, float] | None:
    """`frictionless validate` of `data`: its wall and CPU seconds (None: not installed)."""
    frictionless = shutil.which("frictionless", path=str(Path(sys.executable).parent))
    if frictionless is None:
        return None
    schema_file = work / "sizes.schema.json"
    schema_file.write_text(json.dumps(PLAIN_SCHEMA), encoding="utf-8")
    seconds, cpu, _rss, _code, _out = run_timed(
        [frictionless, "validate", "--schema", schema_file.name, data.name], work
    )
    return seconds, cpu


def bench_sizes(work: Path, sizes: list[int], memory_rows: int, rounds: int = 3) -> None:
    """(e): validate at several sizes, default formats and machine reports alone, each as a
    ratio to frictionless measured on the same file in the same run (> 1: we are faster).

    A single run of each moves by 10-20% from run to run on a shared machine (frictionless's
    own time as much as ours), so each size is measured in `rounds` interleaved rounds —
    frictionless, the default formats, json + csv, then again — and the ratio printed is of
    the medians, with the lowest and highest round's ratio beside it."""
    folder = work / "sizes"
    folder.mkdir()
    for rows in sizes:
        data = folder / f"credits-{rows}.csv"
        write_credits(data, rows, cases=1000)
        measured: list[tuple[tuple[float, float], ...]] = []
        for _ in range(rounds):
            baseline = _frictionless_seconds(folder, data) or (float("nan"), float("nan"))
            default, default_cpu, _rss = _timed_validate(folder, data, None)
            machine, machine_cpu, _rss = _timed_validate(folder, data, "json, csv")
            measured.append((baseline, (default, default_cpu), (machine, machine_cpu)))
        if any(math.isnan(m[0][0]) for m in measured):
            print("(e) frictionless not installed (pip install '.[bench]'): no baseline")
        theirs, their_cpu = _medians([m[0] for m in measured])
        default, default_cpu = _medians([m[1] for m in measured])
        machine, machine_cpu = _medians([m[2] for m in measured])
        spread_default = _spread([m[0][0] / m[1][0] for m in measured])
        spread_machine = _spread([m[0][0] / m[2][0] for m in measured])
        print(
            f"(e) {rows:,} rows, median of {rounds}: default formats {default:.2f} s "
            f"({theirs / default:.2f}x frictionless [{spread_default}], CPU "
            f"{their_cpu / default_cpu:.2f}x); json+csv {machine:.2f} s "
            f"({theirs / machine:.2f}x [{spread_machine}], CPU {their_cpu / machine_cpu:.2f}x); "
            f"frictionless {theirs:.2f} s (CPU {their_cpu:.2f} s)"
        )
        data.unlink()
    if memory_rows:
        data = folder / "credits-memory.csv"
        write_credits(data, memory_rows, cases=1000)
        seconds, _cpu, rss = _timed_validate(folder, data, None)
        print(f"(e) {memory_rows:,} rows, default formats: {seconds:.2f} s, peak RSS {rss:.0f} MB")


def _medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall and the median CPU seconds of several rounds."""
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _spread(ratios: list[float]) -> str:
    """The lowest and highest of the rounds' ratios, as printed beside the median's."""
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def start_sandbox(work: Path, cases: Path, latency_ms: int, name: str):
    cmd = [
        sys.executable,
        "-m",
        "importer",
        "sandbox",
        "--port",
        "0",
        "--cases",
        str(cases),
        "--db",
        str(work / f"{name}.sqlite"),
        "--latency-ms",
        str(latency_ms),
    ]
    env = {**os.environ, "IMPORTER_SANDBOX_KEY": "bench-key"}  # not in argv: ps shows argv
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    return proc, url


def bare_post_loop(url: str, bodies: list[dict]) -> None:
    for body in bodies:
        response = requests.post(
            url + "/creditor--creditings",
            json=body,
            headers={"x-api-key": "bench-key"},
            timeout=30,
        )
        assert response.status_code == 201, response.text


def session_loop(url: str, bodies: list[dict]) -> None:
    """The cheapest way to post through `requests` that we know: one prepared request copied
    per row and sent on a keep-alive session (what the importer does)."""
    with requests.Session() as session:
        session.headers.update({"x-api-key": "bench-key", "Content-Type": "application/json"})
        template = session.prepare_request(
            requests.Request("POST", url + "/creditor--creditings", data=b"")
        )
        for body in bodies:
            prepared = template.copy()
            prepared.body = json.dumps(body).encode()
            prepared.headers["Content-Length"] = str(len(prepared.body))
            response = session.send(prepared, timeout=30, allow_redirects=False)
            assert response.status_code == 201, response.text


def http_client_loop(url: str, bodies: list[dict]) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"x-api-key": "bench-key", "Content-Type": "application/json"}
    try:
        for body in bodies:
            connection.request("POST", "/creditor--creditings", json.dumps(body), headers)
            response = connection.getresponse()
            text = response.read()
            assert response.status == 201, text
    finally:
        connection.close()


def timed_loop(work: Path, cases: Path, latency_ms: int, name: str, bodies: list[dict], loop):
    """Seconds `loop` takes to post `bodies` to a fresh sandbox."""
    proc, url = start_sandbox(work, cases, latency_ms, f"{name}-{latency_ms}")
    try:
        started = time.perf_counter()
        loop(url, bodies)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()


def bench_post(work: Path, rows: int, latency_ms: int, label: str) -> None:
    cases = work / "cases.json"
    write_cases(cases, 1000)
    data = work / f"post-{latency_ms}.csv"
    write_credits(data, rows, cases=1000, seed=latency_ms + 1)
    bodies = []
    with data.open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            body = {k: v for k, v in rec.items() if k != "client_registration_date"}
            body.update(
                creditor=CREDITOR, origin="creditor_system", amount=float(Decimal(rec["amount"]))
            )
            bodies.append(body)

    bare = timed_loop(work, cases, latency_ms, "bare", bodies, bare_post_loop)
    floors = {}
    if latency_ms:
        # Where the ceiling really is: the fastest strict-order loops possible in Python over
        # one keep-alive connection, with nothing else to do (no journal, no report, no start).
        floors["requests.Session"] = timed_loop(
            work, cases, latency_ms, "session", bodies, session_loop
        )
        floors["http.client"] = timed_loop(
            work, cases, latency_ms, "httpclient", bodies, http_client_loop
        )

    (work / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  formats: [json, csv]\n"
        f"journal:\n  path: journal-{latency_ms}.sqlite\n",
        encoding="utf-8",
    )
    proc, url = start_sandbox(work, cases, latency_ms, f"ours-{latency_ms}")
    try:
        env = dict(os.environ, AMILI_API_KEY="bench-key")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "importer", "run", str(data), "--api-url", url],
            cwd=work,
            env=env,
            capture_output=True,
        )
        ours = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()
    if done.returncode != 0:
        print(done.stdout.decode()[-2000:], done.stderr.decode()[-2000:])
        raise SystemExit(f"importer run failed with exit {done.returncode}")
    print(
        f"{label} importer run: {rows:,} rows in {ours:.2f} s = {rows / ours:,.1f} rows/s "
        "(process start, journal, status read-back and report included)"
    )
    print(f"    bare requests.post loop: {bare:.2f} s = {rows / bare:,.1f} rows/s")
    print(f"    ratio importer/bare: {bare / ours:.2f}x")
    if latency_ms:
        ceiling = 1000 / latency_ms
        print(
            f"    vs the {ceiling:.0f} rows/s that {latency_ms} ms allows in strict order: "
            f"{rows / ours / ceiling:.2f}x"
        )
        for name, seconds in floors.items():
            print(
                f"    floor: a bare keep-alive {name} loop, {seconds:.2f} s = "
                f"{rows / seconds:,.1f} rows/s = {rows / seconds / ceiling:.2f}x of {ceiling:.0f}"
            )


_TIME_WORKBOOK = """
import sys, time
from pathlib import Path
from importer.config_load import load_config
from importer.journal import Journal
from importer.report.render import render_from_journal
from importer.report.settings import ReportSettings
config = load_config()
with Journal(config.journal.path) as journal:
    started = time.perf_counter()
    settings = ReportSettings.of(config)
    render_from_journal(journal, sys.argv[1], Path(sys.argv[2]), ["xlsx"], settings)
    print(time.perf_counter() - started)
"""


def bench_workbook_share(work: Path, rows: int) -> None:
    """(d): a whole import with the default formats and every sheet, and the workbook's
    share of it."""
    cases = work / "cases.json"
    write_cases(cases, 1000)
    data = work / "post-workbook.csv"
    write_credits(data, rows, cases=1000, seed=11)
    (work / "config.yaml").write_text(  # default formats; xlsx_all_rows 50,000 by default
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports-d\n"
        "journal:\n  path: journal-d.sqlite\n",
        encoding="utf-8",
    )
    proc, url = start_sandbox(work, cases, 0, "workbook")
    try:
        env = dict(os.environ, AMILI_API_KEY="bench-key")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "importer", "run", str(data), "--api-url", url],
            cwd=work,
            env=env,
            capture_output=True,
        )
        ours = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()
    if done.returncode != 0:
        print(done.stdout.decode()[-2000:], done.stderr.decode()[-2000:])
        raise SystemExit(f"importer run failed with exit {done.returncode}")
    import_id = next(p for p in (work / "reports-d").iterdir() if p.is_dir()).name
    timed = subprocess.run(
        [sys.executable, "-c", _TIME_WORKBOOK, import_id, str(work / "workbook-again")],
        cwd=work,
        capture_output=True,
        check=True,
    )
    workbook = float(timed.stdout.decode().strip().splitlines()[-1])
    print(
        f"(d) importer run: {rows:,} rows in {ours:.2f} s = {rows / ours:,.1f} rows/s, "
        "default formats, workbook with Summary, Needs attention and All rows"
    )
    print(f"    report.xlsx alone: {workbook:.2f} s = {100 * workbook / ours:.0f}% of the run")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--post-rows", type=int, default=3_000)
    parser.add_argument("--latency-rows", type=int, default=1_000)
    parser.add_argument("--workbook-rows", type=int, default=50_000)
    parser.add_argument(
        "--sizes",
        default="5000,20000,50000,200000",
        help="comma-separated row counts for (e)",
    )
    parser.add_argument("--memory-rows", type=int, default=0, help="(e): one more run's RSS")
    parser.add_argument("--rounds", type=int, default=3, help="(e): rounds a size is measured")
    parser.add_argument("--only", choices=["a", "b", "c", "d", "e"])
    args = parser.parse_args()
    # An installed package has its bytecode compiled at install time; an editable checkout
    # (and PYTHONDONTWRITEBYTECODE, set on some machines) would otherwise make every timed
    # process compile the importer from source — not what a user's nightly run pays.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "importer")],
        check=True,
    )
    with tempfile.TemporaryDirectory(prefix="importer-bench-") as tmp:
        work = Path(tmp)
        if args.only in (None, "a"):
            bench_validate(work, args.rows)
        if args.only in (None, "b"):
            bench_post(work, args.post_rows, 0, "(b)")
        if args.only in (None, "c"):
            bench_post(work, args.latency_rows, 20, "(c)")
        if args.only in (None, "d"):
            bench_workbook_share(work, args.workbook_rows)
        if args.only in (None, "e"):
            sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
            bench_sizes(work, sizes, args.memory_rows, args.rounds)


if __name__ == "__main__":
    main()
