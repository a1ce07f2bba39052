"""A 2xx that does not name a crediting proves nothing.

`credited` only with an `_id`: a 201 with an HTML body, a 201 without `_id`, a 200, 202 or
204 is looked up by reference — found, the row is credited with the `_id` found; not found,
it stays `unknown`, flagged, exit 3, and is never posted again blindly. And exit 0 only when
every credited row's status was read back as `completed`.

Real parts: the importer CLI as a subprocess, the sandbox over a real socket behind the
hostile proxy of tests/hostile_api.py, which stores (or not) and then lies about it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from exactly_once_support import (
    KEY,
    all_creditings,
    read_report,
    run_importer,
    write_cases,
    write_config,
)
from hostile_api import HostileApi, Lie, Misbehaviour, Relay, StoreLate, hostile_api

from importer.sandbox import Sandbox

LIES = [
    Lie(201, b"<html><body>Created</body></html>", "text/html"),
    Lie(201, b'{"_status": "OK"}'),
    Lie(200, b"{}"),
    Lie(202, b""),
    Lie(204),
]


@pytest.fixture
def sandbox_api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 5)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def credits_file(workdir: Path, count: int) -> Path:
    path = workdir / "credits.csv"
    lines = ["invoice_number,amount"] + [f"EO-{n + 1:04d},{n + 1}.00" for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_answers_without_a_crediting_id_are_looked_up_and_credited_with_the_id_found(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    file = credits_file(tmp_path, len(LIES))

    def lie(n: int, body: bytes) -> Misbehaviour:
        return LIES[n] if n < len(LIES) else Relay()

    with hostile_api(HostileApi(sandbox_api.url, on_post=lie)) as api:
        done = run_importer(tmp_path, file, api.url)
    assert done.returncode == 0, done.stderr
    assert len(api.posts()) == len(LIES)  # every row sent once, none again
    stored = {c["creditor_reference"]: c["_id"] for c in all_creditings(sandbox_api.url)}
    report = read_report(tmp_path)
    for row, lie_told in zip(report["rows"], LIES, strict=True):
        assert row["outcome"] == "credited", (lie_told, row)
        assert row["status"] == "completed"
        assert row["_id"] == stored[row["request"]["creditor_reference"]]
        # The answer that proved nothing is kept among the row's attempts.
        assert lie_told.status in [a["http_status"] for a in row["attempts"]]


def test_an_answer_without_a_crediting_and_nothing_found_stays_unknown_and_is_never_resent(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    file = credits_file(tmp_path, 2)

    def accepted_but_not_stored(n: int, body: bytes) -> Misbehaviour:
        return Lie(202, b'{"_status": "OK"}', store=False) if n == 0 else Relay()

    with hostile_api(HostileApi(sandbox_api.url, on_post=accepted_but_not_stored)) as api:
        first = run_importer(tmp_path, file, api.url)
        again = run_importer(tmp_path, file, api.url)  # the same command resumes
    assert first.returncode == 3, first.stderr
    assert again.returncode == 3, again.stderr
    assert len(api.posts()) == 2  # row 2 was never posted again, in either run
    report = read_report(tmp_path)
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["outcome"] == "unknown"
    assert rows[2]["_id"] is None
    assert [e["code"] for e in rows[2]["errors"]] == ["crediting_unproven"]
    assert "HTTP 202" in rows[2]["errors"][0]["message"]
    assert rows[3]["outcome"] == "credited"
    assert len(all_creditings(sandbox_api.url)) == 1


def test_a_crediting_whose_status_is_never_read_back_does_not_exit_0(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    file = credits_file(tmp_path, 2)

    lost = [True]

    def statuses_lost(path: str) -> tuple[int, bytes] | None:
        if lost[0] and "_id" in path:  # the status read-back: the API finds nothing
            empty = {"_items": [], "_meta": {"page": 1, "max_results": 100, "total": 0}}
            return 200, json.dumps(empty).encode()
        return None

    with hostile_api(HostileApi(sandbox_api.url, on_get=statuses_lost)) as api:
        done = run_importer(tmp_path, file, api.url)
        assert done.returncode == 3, done.stderr
        report = read_report(tmp_path)
        assert [(r["outcome"], r["status"]) for r in report["rows"]] == [("credited", None)] * 2
        assert len(api.posts()) == 2
        lost[0] = False
        resumed = run_importer(tmp_path, file, api.url)  # statuses read now; nothing resent
    assert resumed.returncode == 0, resumed.stderr
    assert len(api.posts()) == 2
    report = read_report(tmp_path)
    assert [(r["outcome"], r["status"]) for r in report["rows"]] == [("credited", "completed")] * 2


@pytest.mark.parametrize("lookup_answer", [b'{"_status": "OK"}', b'{"_items": "none"}'])
def test_a_lookup_answer_without_an_items_list_is_no_proof_of_absence(
    tmp_path: Path, sandbox_api: Sandbox, lookup_answer: bytes
) -> None:
    """A reference lookup answered 200 with a JSON object that has no `_items` list is an
    unusable answer, not "nothing found": the row whose POST got no answer stays `unknown`
    and the run stops (exit 3) — it is never posted again on such an answer. Before, the row
    was posted again and credited twice, with `credited`, exit 0 and no flag."""
    write_config(tmp_path, api={"read_timeout": 1.0, "settle_seconds": 2.5})
    file = credits_file(tmp_path, 1)

    def first_answer_lost(n: int, body: bytes) -> Misbehaviour:
        # stored at 1.2 s, after the importer gave up at 1 s; looked up at 2.5 s
        return StoreLate(1.2) if n == 0 else Relay()

    def blank_reference_lookup(path: str) -> tuple[int, bytes] | None:
        # The look-up after the lost answer (the one before sending is answered honestly).
        asked_after = "creditor_reference" in path and api.posts()
        return (200, lookup_answer) if asked_after else None

    api = HostileApi(sandbox_api.url, on_post=first_answer_lost, on_get=blank_reference_lookup)
    with hostile_api(api):
        done = run_importer(tmp_path, file, api.url)
    assert len(all_creditings(sandbox_api.url)) == 1
    assert done.returncode == 3, done.stdout + done.stderr
    (row,) = read_report(tmp_path)["rows"]
    assert row["outcome"] == "unknown"
