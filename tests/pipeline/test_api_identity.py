"""One API, one identity; a credit note credited at the API is never posted again.

`http://127.0.0.1:P`, `…:P/` and `http://localhost:P` are one server: everything the journal
keys by the API agrees across spellings. And credit-note dedupe asks the API itself before
posting, so another machine, a lost journal or a new spelling cannot credit a note twice; a
failed lookup posts nothing (exit 3, resumable); an API that refuses the filter (400) leaves
the journal alone to decide, with a warning in the report.

Real parts: the importer CLI as a subprocess, the sandbox over a real socket (behind the
hostile proxy of tests/hostile_api.py where its lookups must fail), journals on disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from exactly_once_support import (
    CREDITOR,
    KEY,
    all_creditings,
    read_report,
    reports,
    run_importer,
    write_cases,
    write_config,
    write_credits,
)
from hostile_api import HostileApi, hostile_api

from importer.api.identity import api_identity
from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.journal import ImportRecord, Journal, NewRow, utcnow
from importer.outcomes import Outcome
from importer.pipeline.dedupe import Dedupe
from importer.sandbox import Sandbox


@pytest.mark.parametrize(
    ("spelling", "identity"),
    [
        ("http://127.0.0.1:8080", "http://localhost:8080"),
        ("http://127.0.0.1:8080/", "http://localhost:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("HTTP://LocalHost:80/", "http://localhost"),
        ("https://Api.Example.com:443/v1/", "https://api.example.com/v1"),
        ("https://api.example.com/v2/../v1//", "https://api.example.com/v1"),
        ("https://api.example.com:8443/v1", "https://api.example.com:8443/v1"),
        ("sandbox", "sandbox"),
    ],
)
def test_spellings_of_one_api_have_one_identity(spelling: str, identity: str) -> None:
    assert api_identity(spelling) == identity


@pytest.fixture
def sandbox_api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 3)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def machine(tmp_path: Path, name: str, **sections: object) -> Path:
    """A work folder with its own configuration and journal: another machine."""
    workdir = tmp_path / name
    workdir.mkdir()
    write_config(workdir, **sections)
    return workdir


def test_three_spellings_of_one_url_credit_the_file_once(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    workdir = machine(tmp_path, "one")
    file = write_credits(workdir / "credits.csv", ["EO-0001", "EO-0002"], 2, seed=1)
    port = sandbox_api.url.rsplit(":", 1)[1]
    for url in (
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}",
    ):
        done = run_importer(workdir, file.path, url)
        assert done.returncode == 0, done.stderr
    assert len(all_creditings(sandbox_api.url)) == 2
    assert len(reports(workdir)) == 1  # one import; the others were "already imported"


def test_a_credit_note_credited_at_the_api_is_not_posted_from_another_journal(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    first, second = machine(tmp_path, "first"), machine(tmp_path, "second")
    file = write_credits(first / "credits.csv", ["EO-0001", "EO-0002"], 4, seed=2)
    assert run_importer(first, file.path, sandbox_api.url).returncode == 0
    original = {r["row"]: r for r in read_report(first)["rows"]}
    done = run_importer(second, file.path, sandbox_api.url)  # no trace in this journal
    assert done.returncode == 0, done.stderr
    assert len(all_creditings(sandbox_api.url)) == 4
    rows = read_report(second)["rows"]
    # The reference is the row's content, not its import or journal: the crediting found by
    # the note carries this row's own reference, so it is this row's, as a lost journal's
    # would be (the other journal's import is unknown here) — credited with it, not sent.
    for row in rows:
        assert (row["outcome"], row["errors"], row["duplicate_of"]) == ("credited", [], None)
        assert row["_id"] == original[row["row"]]["_id"]
        assert row["status"] == "completed"


def test_a_failed_credit_note_lookup_posts_nothing_and_the_same_command_resumes(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    workdir = machine(tmp_path, "one", api={"max_attempts": 2, "backoff_base": 0.01})
    file = write_credits(workdir / "credits.csv", ["EO-0001"], 3, seed=3)
    down = [True]

    def lookups_fail(path: str) -> tuple[int, bytes] | None:
        return (503, b'{"_status": "ERR"}') if down[0] and "credit_invoice" in path else None

    with hostile_api(HostileApi(sandbox_api.url, on_get=lookups_fail)) as api:
        failed = run_importer(workdir, file.path, api.url)
        assert failed.returncode == 3, failed.stderr
        assert "did not answer a lookup" in failed.stdout + failed.stderr
        assert api.posts() == []
        assert [r["outcome"] for r in read_report(workdir)["rows"]] == ["not_sent"] * 3
        down[0] = False
        resumed = run_importer(workdir, file.path, api.url)
    assert resumed.returncode == 0, resumed.stderr
    assert len(all_creditings(sandbox_api.url)) == 3


def test_an_api_refusing_the_filter_stops_the_run_with_nothing_sent(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    workdir = machine(tmp_path, "one")
    file = write_credits(workdir / "credits.csv", ["EO-0001"], 3, seed=4)
    refused = json.dumps(
        {"_status": "ERR", "_error": {"code": 400, "message": "unknown operator $in"}}
    ).encode()
    with hostile_api(
        HostileApi(
            sandbox_api.url,
            on_get=lambda path: (400, refused) if "credit_invoice" in path else None,
        )
    ) as api:
        done = run_importer(workdir, file.path, api.url)
        assert api.posts() == []
    assert done.returncode == 2, done.stderr
    assert "refused a lookup's filter" in done.stdout + done.stderr
    assert [r["outcome"] for r in read_report(workdir)["rows"]] == ["not_sent"] * 3


def test_an_api_refusing_the_filter_leaves_the_journal_to_decide_when_so_configured(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    workdir = machine(tmp_path, "one", dedupe={"require_api_lookup": False})
    file = write_credits(workdir / "credits.csv", ["EO-0001"], 3, seed=4)
    refused = json.dumps(
        {"_status": "ERR", "_error": {"code": 400, "message": "unknown operator $in"}}
    ).encode()
    with hostile_api(
        HostileApi(
            sandbox_api.url,
            on_get=lambda path: (400, refused) if "credit_invoice" in path else None,
        )
    ) as api:
        done = run_importer(workdir, file.path, api.url)
    assert done.returncode == 0, done.stderr
    report = read_report(workdir)
    assert [r["outcome"] for r in report["rows"]] == ["credited"] * 3
    (warning,) = report["warnings"]  # a warning is {code, message, …}
    message = warning["message"]
    assert "refused the look-up made before sending" in message
    assert "journal alone" in message
    assert "weakened guarantee" in message
    assert len([g for g in api.gets() if "credit_invoice" in g.path]) == 1  # asked once


def test_a_crediting_at_the_api_counts_even_under_this_imports_own_reference(
    tmp_path: Path,
) -> None:
    # Two journals can give one file the same import id (the same second, the same bytes),
    # so another machine's crediting may carry this row's own generated reference, as may
    # this row's own crediting whose outcome a lost journal forgot: it is not sent again but
    # recorded credited with that crediting (a duplicate of itself left it out of the totals).
    config = Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )
    request = {
        "creditor": CREDITOR,
        "invoice_number": "EO-0001",
        "currency": "SEK",
        "amount": Decimal("10.00"),
        "origin": "creditor_system",
        "credit_invoice": "KF-1",
        "creditor_reference": "20261129-120000-0123abcd/2",
    }
    crediting = {**request, "amount": Decimal("10.00"), "_id": "a" * 24}
    with Journal(config.journal.path) as journal:
        journal.imports.create(
            ImportRecord(
                id="20261129-120000-0123abcd",
                file_name="credits.csv",
                file_path=str(tmp_path / "credits.csv"),
                sha256="0123abcd",
                format="csv",
                rows=1,
                columns=["invoice_number", "amount", "credit_invoice"],
                base_url="http://localhost:1",
                dry_run=False,
                sandbox=False,
                all_or_nothing=False,
                state="open",
                started=utcnow(),
                finished=None,
                file_errors=[],
                warnings=[],
            ),
            [NewRow(2, ["EO-0001", "10.00", "KF-1"], request)],
        )
        Dedupe(config, journal, "http://localhost:1").run(
            "20261129-120000-0123abcd",
            [Outcome.NOT_SENT],
            lambda creditor, field, values: (
                {"KF-1": [crediting]} if field == "credit_invoice" else {}
            ),
        )
        row = journal.rows.get("20261129-120000-0123abcd", 2)
    assert row is not None
    assert (row.outcome, row.crediting_id, row.duplicate_of) == (
        Outcome.CREDITED,
        "a" * 24,
        None,
    )


def test_an_api_paging_by_links_without_a_total_is_paged_through(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """An Eve API may cap `max_results` (Eve's PAGINATION_LIMIT) and leave `_meta.total` out
    (OPTIMIZE_PAGINATION_FOR_SPEED), saying only `_links.next` while more pages exist. The
    credit-note lookup pages through by the link: a file whose 60 credit notes the API already
    holds (under the rows' own references) is all found on another machine. Before, the
    lookup stopped after the first page of 25 and 35 credit notes were credited a second time
    (exit 0)."""
    import requests

    first = machine(tmp_path, "first")
    file = write_credits(first / "credits.csv", ["EO-0001", "EO-0002"], 60, seed=7)
    assert run_importer(first, file.path, sandbox_api.url).returncode == 0

    def capped_without_total(path: str) -> tuple[int, bytes] | None:
        if "credit_invoice" not in path:
            return None
        path = path.replace("max_results=100", "max_results=25")
        data = requests.get(sandbox_api.url + path, headers={"x-api-key": KEY}, timeout=10).json()
        meta = data.get("_meta", {})
        has_next = meta.get("page", 1) * 25 < meta.pop("total")
        data["_links"] = {"next": {"href": "creditor--creditings?page=2"}} if has_next else {}
        return 200, json.dumps(data).encode()

    other = machine(tmp_path, "other")
    again = other / "credits.csv"
    again.write_bytes(file.path.read_bytes())
    with hostile_api(HostileApi(sandbox_api.url, on_get=capped_without_total)) as api:
        done = run_importer(other, again, api.url)
    assert len(all_creditings(sandbox_api.url)) == 60
    assert done.returncode == 0, done.stderr
    ids = {row["row"]: row["_id"] for row in read_report(first)["rows"]}
    found = {row["row"]: (row["outcome"], row["_id"]) for row in read_report(other)["rows"]}
    assert found == {row: ("credited", crediting_id) for row, crediting_id in ids.items()}


def test_an_upper_case_scheme_is_the_same_api(tmp_path: Path, sandbox_api: Sandbox) -> None:
    """`HTTP://127.0.0.1:P` is an http URL (the scheme is case-insensitive, and the target's
    identity already folds its case): it is used, not refused as "must be an http(s) URL"."""
    workdir = machine(tmp_path, "one")
    file = write_credits(workdir / "credits.csv", ["EO-0001"], 2, seed=3)
    done = run_importer(workdir, file.path, sandbox_api.url.replace("http://", "HTTP://"))
    assert done.returncode == 0, done.stderr
    assert len(all_creditings(sandbox_api.url)) == 2
