"""A slow API never gets a crediting twice from one row.

An API that stores a request seconds after it arrived, later than the importer's read
timeout: the row is looked up only once `api.settle_seconds` have passed since it was sent,
rows of other cases go ahead meanwhile, rows of its case wait behind it; and what settling
cannot prevent (a request stored later still) is found by looking every uncertain row up
once more after posting, and flagged `credited_twice` with exit 1. A signal ends a settle
wait at once; the same command resumes and looks the row up.

Real parts: the importer CLI as a subprocess, the sandbox over a real socket behind the
hostile proxy of tests/hostile_api.py (which stores late), the journal on disk (the first
test also on a real PostgreSQL server: tests/pg_support.py). The API's own creditings are the
judge."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from cli_support import in_process
from exactly_once_support import (
    CREDITOR,
    KEY,
    all_creditings,
    importer_env,
    kill,
    read_report,
    run_importer,
    start_importer,
    write_cases,
    write_config,
)
from hostile_api import HostileApi, Misbehaviour, Relay, StoreLate, hostile_api
from server_journal_support import journal_setting

from importer.api.target import Target
from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.config_load import with_settings
from importer.journal import Journal
from importer.outcomes import Outcome
from importer.pipeline import Importer
from importer.sandbox import Sandbox
from importer.stopping import StopFlag


@pytest.fixture
def sandbox_api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 3)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def credits_file(workdir: Path, rows: list[tuple[str, str]]) -> Path:
    path = workdir / "credits.csv"
    lines = ["invoice_number,amount"] + [f"{invoice},{amount}" for invoice, amount in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoice_of(body: bytes) -> tuple[str, str]:
    sent = json.loads(body)
    return sent["invoice_number"], f"{sent['amount']:.2f}"


LANES = pytest.mark.parametrize("lanes", [1, 8])
"""Every settle rule holds whatever the lane count (`posting.lanes`, pipeline/lanes.py)."""


def late_once(row: tuple[str, str], seconds: float) -> Callable[[int, bytes], Misbehaviour]:
    """The first POST of `row` (whichever lane sends it) is stored `seconds` after it arrived;
    every other POST is relayed."""
    seen: list[bool] = []

    def on_post(n: int, body: bytes) -> Misbehaviour:
        if invoice_of(body) == row and not seen:
            seen.append(True)
            return StoreLate(seconds)
        return Relay()

    return on_post


def twice(url: str) -> list[tuple[str, int]]:
    counts = Counter(c["creditor_reference"] for c in all_creditings(url))
    return [(reference, n) for reference, n in counts.items() if n > 1]


@pytest.mark.parametrize(("lanes", "journal"), [(1, "sqlite"), (8, "sqlite"), (8, "postgresql")])
def test_a_request_stored_after_the_read_timeout_is_found_not_posted_again(
    tmp_path: Path, sandbox_api: Sandbox, lanes: int, journal: str, request: pytest.FixtureRequest
) -> None:
    section, _ = journal_setting(request, journal)
    write_config(
        tmp_path,
        api={"read_timeout": 1.0, "settle_seconds": 3.0},
        posting={"lanes": lanes},
        journal=section,
    )
    file = credits_file(tmp_path, [("EO-0001", "10.00"), ("EO-0002", "20.00")])

    with hostile_api(
        HostileApi(sandbox_api.url, on_post=late_once(("EO-0001", "10.00"), 2.0))
    ) as api:
        done = run_importer(tmp_path, file, api.url)
    assert done.returncode == 0, done.stderr
    assert twice(sandbox_api.url) == []
    assert len(all_creditings(sandbox_api.url)) == 2
    assert len(api.posts()) == 2  # row 2 was looked up and found, never posted again
    report = read_report(tmp_path)
    assert [(r["row"], r["outcome"], r["status"]) for r in report["rows"]] == [
        (2, "credited", "completed"),
        (3, "credited", "completed"),
    ]
    assert all(r["_id"] for r in report["rows"])


@LANES
def test_rows_of_other_cases_go_ahead_rows_of_the_same_case_wait(
    tmp_path: Path, sandbox_api: Sandbox, lanes: int
) -> None:
    write_config(
        tmp_path, api={"read_timeout": 1.0, "settle_seconds": 2.5}, posting={"lanes": lanes}
    )
    rows = [("EO-0001", "1.00"), ("EO-0002", "2.00"), ("EO-0001", "3.00"), ("EO-0003", "4.00")]
    file = credits_file(tmp_path, rows)

    with hostile_api(HostileApi(sandbox_api.url, on_post=late_once(rows[0], 1.5))) as api:
        done = run_importer(tmp_path, file, api.url)
    assert done.returncode == 0, done.stderr
    posts = api.posts()
    order = [invoice_of(p.body) for p in posts]
    # The other cases went ahead while row 2 settled; row 4 (its case) waited behind it.
    if lanes == 1:
        assert order == [rows[0], rows[1], rows[3], rows[2]]
    else:  # rows of different cases leave together: any order among them
        assert sorted(order[:3]) == sorted([rows[0], rows[1], rows[3]])
        assert order[3] == rows[2]
    # Times as the proxy saw them: a request arrives a little after the importer noted it
    # as sent, which is where its settle time starts; hence the 0.1 s of slack.
    first = posts[order.index(rows[0])].at
    later_same_case = posts[3].at
    assert later_same_case - first >= 2.4
    # (the look-ups of rows about to be sent are `$in` look-ups of blocks of rows; the late
    # row's own is by its reference alone)
    lookups = [
        g
        for g in api.gets()
        if "creditor_reference" in g.path and "$in" not in unquote(g.path) and g.at > first
    ]
    assert len(lookups) >= 1
    assert lookups[0].at - first >= 2.4
    assert lookups[0].at <= later_same_case  # looked up before its case went on
    # the other cases went while it settled: before its look-up, however slow the machine
    assert all(posts[order.index(r)].at < lookups[0].at for r in (rows[1], rows[3]))
    assert twice(sandbox_api.url) == []
    assert len(all_creditings(sandbox_api.url)) == 4


STORED_TWICE_SETTINGS = {"read_timeout": 3.0, "settle_seconds": 3.0}
"""The settle time of the row stored twice below: 3 s."""


def stored_after_its_look_up(n: int, body: bytes) -> Misbehaviour:
    """The first request is stored at 4.5 s, after the look-up at 3 s (its settle time) found
    nothing; the second (the row posted again, at 3 s) is stored at once and answered at
    1.5 s, within its read timeout; the look-up once more after posting, at 6 s, finds both.
    Each of these has 1.5 s to spare, so a loaded machine cannot turn the double credit into
    another outcome: with 0.5 s (2 s against an answer at 1.5 s) a process held up for
    half a second made the second answer late, and the run ended with the row unknown."""
    return StoreLate(4.5) if n == 0 else Relay(answer_after=1.5)


@LANES
def test_a_request_stored_later_than_the_settle_time_is_flagged_credited_twice(
    tmp_path: Path, sandbox_api: Sandbox, lanes: int
) -> None:
    write_config(tmp_path, api=STORED_TWICE_SETTINGS, posting={"lanes": lanes})
    file = credits_file(tmp_path, [("EO-0001", "10.00")])

    with hostile_api(HostileApi(sandbox_api.url, on_post=stored_after_its_look_up)) as api:
        done = run_importer(tmp_path, file, api.url)
    creditings = all_creditings(sandbox_api.url)
    assert len(creditings) == 2
    assert len(api.posts()) == 2
    assert done.returncode == 1, done.stderr
    report = read_report(tmp_path)
    (row,) = report["rows"]
    assert row["outcome"] == "credited"
    (error,) = row["errors"]
    assert error["code"] == "credited_twice"
    for crediting in creditings:
        assert crediting["_id"] in error["message"]
    assert "Reverse all but one of them in Amili" in error["message"]


def test_a_row_credited_twice_makes_the_report_and_show_say_exit_1(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The run exits 1 for a row credited twice, and so do report.json's `exit_code` and
    `importer show` (automation reads the report; a person reads show). Before, both said 0
    while the run said 1 — a double credit behind a clean report."""
    write_config(tmp_path, api=STORED_TWICE_SETTINGS)
    file = credits_file(tmp_path, [("EO-0001", "10.00")])

    with hostile_api(HostileApi(sandbox_api.url, on_post=stored_after_its_look_up)) as api:
        done = run_importer(tmp_path, file, api.url)
    assert done.returncode == 1, done.stderr
    report = read_report(tmp_path)
    assert report["rows"][0]["errors"][0]["code"] == "credited_twice"
    assert report["exit_code"] == 1
    shown = in_process(["show", report["file_import_report"]], cwd=tmp_path, env=importer_env())
    assert "exit code  1" in shown.stdout, shown.stdout


def test_a_row_credited_twice_gets_a_next_step_in_the_closing_summary(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The closing summary of a run that exits 1 because a row was credited twice tells the
    operator what to do (look at the flagged rows), as it does for every other exit 1. Before,
    it showed `credited 1 (completed 1)` and no next step at all."""
    write_config(tmp_path, api=STORED_TWICE_SETTINGS)
    file = credits_file(tmp_path, [("EO-0001", "10.00")])

    with hostile_api(HostileApi(sandbox_api.url, on_post=stored_after_its_look_up)) as api:
        done = run_importer(tmp_path, file, api.url)
    assert done.returncode == 1, done.stderr
    report = read_report(tmp_path)
    nexts = [line for line in done.stdout.splitlines() if line.strip().startswith("next:")]
    assert any(f"importer show {report['file_import_report']}" in line for line in nexts), (
        done.stdout
    )


def test_rows_left_unknown_by_a_killed_run_are_each_looked_up_even_behind_one_another(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    # Two rows of one case left `unknown` (a killed run, `reconcile: manual` earlier): the
    # second waits behind the first, and when its turn comes it is looked up too — its
    # crediting may exist — never posted straight away.
    config = Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )
    config = with_settings(config, {"api.settle_seconds": 0.0, "api.read_timeout": 1.0})
    file = credits_file(tmp_path, [("EO-0001", "1.00"), ("EO-0001", "2.00")])
    target = Target(sandbox_api.url, sandbox_api.url, KEY, False)
    stop = StopFlag()
    stop.set()  # the first run stops before posting anything
    with Journal(config.journal.path) as journal:
        assert Importer(config, journal, target, stop=stop).run_file(file).import_id
        import_id = journal.imports.all()[0].id
        journal.rows.mark_intent(import_id, 2)
        journal.rows.mark_intent(import_id, 3)
        stored = requests.post(  # row 3's request had been stored before the run died
            sandbox_api.url + "/creditor--creditings",
            json={**journal.rows.get(import_id, 3).request, "amount": 2.0},  # type: ignore[union-attr]
            headers={"x-api-key": KEY},
            timeout=10,
        )
        assert stored.status_code == 201
        importer = Importer(config, journal, target, sleep=lambda seconds: None)
        result = importer.run_file(file)
        importer.close()
        assert result.exit_code == 0
        outcomes = [journal.rows.get(import_id, n).outcome for n in (2, 3)]  # type: ignore[union-attr]
    assert outcomes == [Outcome.CREDITED, Outcome.CREDITED]
    assert twice(sandbox_api.url) == []
    assert len(all_creditings(sandbox_api.url)) == 2


def test_a_signal_ends_a_settle_wait_at_once_and_the_same_command_resumes(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path, api={"read_timeout": 1.0, "settle_seconds": 60.0})
    file = credits_file(tmp_path, [("EO-0001", "10.00")])

    def slow_first(n: int, body: bytes) -> Misbehaviour:
        return StoreLate(1.5) if n == 0 else Relay()

    with hostile_api(HostileApi(sandbox_api.url, on_post=slow_first)) as api:
        process = start_importer(tmp_path, file, api.url)
        deadline = time.monotonic() + 60
        while not api.posts() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.5)  # the POST timed out: the run is waiting for it to settle
        signalled = time.monotonic()
        code, _, stderr = kill(process, signal.SIGTERM)
        stopped_after = time.monotonic() - signalled
        assert code == 3, stderr
        assert stopped_after < 20  # not the 60 s of the settle time
        (row,) = read_report(tmp_path)["rows"]
        assert row["outcome"] == "unknown"  # stored by now, but not looked up yet
        write_config(tmp_path, api={"read_timeout": 1.0, "settle_seconds": 1.0})
        resumed = run_importer(tmp_path, file, api.url)
    assert resumed.returncode == 0, resumed.stderr
    assert len(api.posts()) == 1  # found by reference, never posted again
    assert len(all_creditings(sandbox_api.url)) == 1
