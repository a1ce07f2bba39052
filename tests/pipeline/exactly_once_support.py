"""Helpers for tests/test_exactly_once.py: generated cases and credit files, the sandbox as its
own process, the importer CLI as a process to signal or kill or run to its end in-process, and
reading the API's state back by paging through `GET /creditor--creditings` like any client
would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import requests
from cli_support import in_process, unmeasured

from importer.pipeline.reference import row_reference

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNT = "70a1b2c3d4e5f60718293a4b"
KEY = "exactly-once-test-key-0123456789"


# ------------------------------------------------------------------------------ input files


def write_cases(path: Path, count: int, *, balance: str = "100000000") -> list[str]:
    """`count` open cases of CREDITOR, each with a balance no test file can exhaust (so every
    crediting settles in full, status `completed`). Returns their invoice numbers."""
    cases = []
    invoices = []
    for n in range(count):
        invoice = f"EO-{n + 1:04d}"
        invoices.append(invoice)
        cases.append(
            {
                "_id": f"64b0c0ffee{n + 1:014x}",
                "creditor": CREDITOR,
                "account": ACCOUNT,
                "debt": {"invoice_number": invoice},
                "reference_number": f"7{n + 1:07d}",
                "currency": "SEK",
                "local_remaining_capital_amount": int(balance),
                "state": "open",
            }
        )
    path.write_text(json.dumps(cases, indent=1), encoding="utf-8")
    return invoices


@dataclass(frozen=True, slots=True)
class CreditFile:
    path: Path
    rows: dict[int, tuple[str, Decimal, str]]
    """Spreadsheet row number (header is row 1) -> (invoice_number, amount, credit_invoice)."""

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount, _ in self.rows.values()), Decimal("0.00"))


def write_credits(path: Path, invoices: Sequence[str], count: int, *, seed: int) -> CreditFile:
    """A CSV of `count` credits spread over `invoices`: two-decimal amounts and a credit note
    id unique per row, so neither validation nor credit-note dedupe holds any row back."""
    rng = Random(seed)
    lines = ["invoice_number,amount,credit_invoice"]
    rows: dict[int, tuple[str, Decimal, str]] = {}
    for n in range(count):
        invoice = invoices[n % len(invoices)]
        amount = Decimal(rng.randint(1, 999_999)) / 100
        credit_invoice = f"KF-{seed}-{n + 1:06d}"
        lines.append(f"{invoice},{amount:.2f},{credit_invoice}")
        rows[n + 2] = (invoice, amount, credit_invoice)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CreditFile(path, rows)


def write_plain_credits(path: Path, invoices: Sequence[str], count: int) -> list[str]:
    """A CSV of `count` credits without credit notes or references (the importer generates
    those), each row unique by invoice, amount and date. Returns its data lines."""
    lines = []
    for n in range(count):
        invoice = invoices[n % len(invoices)]
        lines.append(f"{invoice},{n + 1}.{n % 100:02d},2026-11-{n % 28 + 1:02d}")
    path.write_text(
        "\n".join(["invoice_number,amount,client_registration_date", *lines]) + "\n", "utf-8"
    )
    return lines


def write_config(workdir: Path, **sections: Any) -> None:
    """config.yaml in `workdir`: the test creditor, reports and journal inside `workdir`, plus
    any extra top-level sections (written as JSON, which is YAML)."""
    config: dict[str, Any] = {
        "defaults": {"creditor": CREDITOR},
        "report": {"dir": "reports", "formats": ["json", "csv", "xlsx"]},
        "journal": {"path": "journal.sqlite"},
        # A row whose request may still be in flight (a killed run's, a dropped answer) is
        # looked up only once api.settle_seconds (never below read_timeout) have passed
        # since it was sent: keep that short here.
        "api": {"read_timeout": 1.0, "settle_seconds": 1.0},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values} if isinstance(values, dict) else values
    (workdir / "config.yaml").write_text(json.dumps(config, indent=1), encoding="utf-8")


# ------------------------------------------------------------------------- the importer


def importer_env(key: str = KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = key
    env["IMPORTER_SANDBOX_KEY"] = key  # the sandbox's key stays out of `ps`
    env["PYTHONUNBUFFERED"] = "1"
    return env


def importer_cmd(file: Path, url: str) -> list[str]:
    """The one command every run and rerun repeats, unchanged."""
    return [sys.executable, "-m", "importer", "run", str(file), "--api-url", url]


def start_importer(
    workdir: Path, file: Path, url: str, *, to_be_killed: bool = False
) -> subprocess.Popen[str]:
    """The command as a real process; `to_be_killed` (the test ends it with SIGKILL) starts it
    unmeasured by coverage, whose data a killed process never writes."""
    env = importer_env()
    return subprocess.Popen(
        importer_cmd(file, url),
        cwd=workdir,
        env=unmeasured(env) if to_be_killed else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_importer(
    workdir: Path, file: Path, url: str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The command run to its end in this process (`cli_support.in_process`); with a
    `timeout`, as a real process given that long."""
    if timeout is None:
        return in_process(importer_cmd(file, url)[3:], cwd=workdir, env=importer_env())
    return subprocess.run(
        importer_cmd(file, url),
        cwd=workdir,
        env=importer_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_until_done(workdir: Path, file: Path, url: str, *, tries: int = 5):
    """Run the same command until it exits 0 (bounded); returns every completed run."""
    runs = []
    for _ in range(tries):
        done = run_importer(workdir, file, url)
        runs.append(done)
        if done.returncode == 0:
            return runs
    codes = [r.returncode for r in runs]
    raise AssertionError(f"no run exited 0 in {tries} tries: {codes}\n{runs[-1].stderr[-2000:]}")


def kill(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> tuple[int, str, str]:
    """Signal and reap, so the pid is really gone (a zombie would still look alive to the
    journal's stale-lock check). Returns (exit code, stdout, stderr)."""
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def reports(workdir: Path) -> list[Path]:
    return sorted((workdir / "reports").glob("*/report.json"))


def read_report(workdir: Path) -> dict[str, Any]:
    found = reports(workdir)
    assert len(found) == 1, f"expected exactly one import's report, found {found}"
    return json.loads(found[0].read_text(encoding="utf-8"))


# ------------------------------------------------------------------------- the sandbox


@contextmanager
def sandbox_process(
    tmp: Path,
    *,
    cases: Path | None = None,
    latency_ms: int = 0,
    latency_jitter_ms: int = 0,
    fail_rate: float = 0.0,
    drop_rate: float = 0.0,
    rate_limit: int | None = None,
    seed: int | None = None,
) -> Iterator[str]:
    """`python -m importer sandbox` as its own process on a database file; yields its URL.
    Unmeasured by coverage: the floor leaves the sandbox out, and measuring its every request
    only cost CPU."""
    cmd = [
        sys.executable,
        "-m",
        "importer",
        "sandbox",
        "--port",
        "0",
        "--db",
        str(tmp / "api.sqlite"),
        "--latency-ms",
        str(latency_ms),
        "--latency-jitter-ms",
        str(latency_jitter_ms),
        "--fail-rate",
        str(fail_rate),
        "--drop-rate",
        str(drop_rate),
    ]
    if cases is not None:
        cmd += ["--cases", str(cases)]
    if rate_limit is not None:
        cmd += ["--rate-limit", str(rate_limit)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    log = (tmp / "sandbox.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=unmeasured(importer_env())
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http"), f"sandbox did not start: {url!r}"
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


_SESSIONS = threading.local()


def _session() -> requests.Session:
    """This thread's keep-alive session to the sandboxes: the drills ask a sandbox for its
    count every few milliseconds while an importer runs (thousands of times a drill), and a
    connection per question (a handler thread in the sandbox, the proxy and netrc look-ups of
    `requests.get`) cost the test, the sandbox and so the importer under test CPU."""
    session: requests.Session | None = getattr(_SESSIONS, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # the sandboxes are on the loopback: no proxy, no netrc
        _SESSIONS.session = session
    return session


def _get(url: str, params: dict[str, str]) -> dict[str, Any]:
    for _ in range(50):  # the fault test's sandbox rate-limits GETs too
        response = _session().get(
            url + "/creditor--creditings", params=params, headers={"x-api-key": KEY}, timeout=30
        )
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        return response.json(parse_float=Decimal)
    raise AssertionError("the sandbox kept answering 429")


def stored_total(url: str) -> int:
    where = json.dumps({"creditor": CREDITOR})
    return int(_get(url, {"where": where, "max_results": "1"})["_meta"]["total"])


def all_creditings(url: str) -> list[dict[str, Any]]:
    """Every crediting of CREDITOR, paged through 100 at a time."""
    where = json.dumps({"creditor": CREDITOR})
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        data = _get(url, {"where": where, "max_results": "100", "page": str(page)})
        items.extend(data["_items"])
        if len(items) >= data["_meta"]["total"] or not data["_items"]:
            assert len(items) == data["_meta"]["total"], "paging lost creditings"
            return items
        page += 1


def assert_exactly_once(url: str, file: CreditFile) -> list[dict[str, Any]]:
    """The API holds exactly one crediting per row of `file`: none twice, none missing, none
    foreign, and each the row's credit. A row is known at the API by its credit note (unique
    per row here) and by its reference, which is derived from the row's content whatever the
    journal or import (`pipeline.reference`): both must agree."""
    creditings = all_creditings(url)
    counts = Counter(c.get("creditor_reference") for c in creditings)
    twice = sorted((ref, n) for ref, n in counts.items() if n > 1)
    assert not twice, f"{len(twice)} reference(s) credited more than once, e.g. {twice[:5]}"
    expected = {_reference_of(values): row for row, values in file.rows.items()}
    missing = sorted(row for ref, row in expected.items() if ref not in counts)
    assert not missing, f"{len(missing)} row(s) never credited, e.g. {missing[:5]}"
    foreign = sorted(set(counts) - set(expected), key=str)
    assert not foreign, f"creditings of no row of the file: {foreign[:5]}"
    for crediting in creditings:
        _, amount, credit_invoice = file.rows[expected[crediting["creditor_reference"]]]
        assert Decimal(str(crediting["amount"])) == amount, crediting
        assert crediting["credit_invoice"] == credit_invoice, crediting
    return creditings


def _reference_of(values: tuple[str, Decimal, str]) -> str:
    """The reference the importer generates for a row of `write_credits` (its credit note
    makes every row unique: occurrence 1)."""
    invoice, amount, credit_invoice = values
    request = {
        "creditor": CREDITOR,
        "invoice_number": invoice,
        "currency": "SEK",
        "amount": amount,
        "origin": "creditor_system",
        "credit_invoice": credit_invoice,
    }
    return row_reference(request, 1)


def creditings_per_row(url: str) -> Counter[tuple[str, Decimal, str | None]]:
    """How many creditings the API holds of each (invoice, amount, date): what "once" is
    counted by for files without credit notes."""
    return Counter(
        (
            c.get("case_invoice_number") or c.get("invoice_number"),
            Decimal(str(c["amount"])),
            c.get("client_registration_date"),
        )
        for c in all_creditings(url)
    )
