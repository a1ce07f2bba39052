"""Storage: persistence across restarts with the same database, no re-seeding, temporary
databases cleaned up, the packaged seed, and seed-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from importer.errors import SandboxError
from importer.sandbox import Sandbox
from importer.sandbox.seed import load_cases, read_default_cases_text

REPO = Path(__file__).resolve().parents[2]
CASE_1 = "64b0c0ffee00000000000001"


def test_balances_and_creditings_survive_a_restart(tmp_path, start_sandbox, api_for, new_crediting):
    db = tmp_path / "sandbox.sqlite"
    first = start_sandbox(db_path=db)
    api = api_for(first)
    created = api.post(new_crediting(amount=2500.25, creditor_reference="kept")).json()
    stored = api.crediting(created["_id"])
    first.stop()

    again = api_for(start_sandbox(db_path=db))
    assert again.crediting(created["_id"]) == stored
    assert again.case(CASE_1)["local_remaining_capital_amount"] == 9999.75
    assert again.crediting_count() == 1


def test_existing_database_is_not_reseeded(tmp_path, start_sandbox, api_for, cases_file, case_doc):
    db = tmp_path / "sandbox.sqlite"
    first = start_sandbox(db_path=db)
    assert first.seeded == 10
    first.stop()
    second = start_sandbox(db_path=db, cases_path=cases_file([case_doc(1, 5)]))
    assert second.seeded is None
    assert api_for(second).get("/cases").headers["X-Total-Count"] == "10"


def test_temporary_database_is_deleted_on_stop():
    sb = Sandbox(api_key="k")
    sb.start()
    path = sb.db_path
    assert path is not None
    assert path.exists()
    sb.stop()
    assert not path.exists()
    assert not Path(f"{path}-wal").exists()


def test_stop_is_idempotent_and_url_needs_a_running_sandbox():
    sb = Sandbox(api_key="k")
    sb.stop()
    with pytest.raises(SandboxError):
        _ = sb.url
    with sb:
        assert sb.url.startswith("http://127.0.0.1:")
    sb.stop()


def test_packaged_seed_is_the_sample_cases():
    packaged = json.loads(read_default_cases_text())
    sample = json.loads((REPO / "samples" / "cases.json").read_text(encoding="utf-8"))
    assert packaged == sample


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"_id": "x"}', "expected a JSON list"),
        ('[{"_id": "ABC"}]', "_id must be 24 lowercase hex digits"),
        (
            '[{"_id": "64b0c0ffee00000000000001", "creditor": "5f1a2b3c4d5e6f7a8b9c0d1e",'
            ' "account": "70a1b2c3d4e5f60718293a4b", "local_remaining_capital_amount": 1.005}]',
            "local_remaining_capital_amount must be a number >= 0 with at most two decimals",
        ),
        (
            json.dumps(
                [
                    {
                        "_id": "64b0c0ffee00000000000001",
                        "creditor": "5f1a2b3c4d5e6f7a8b9c0d1e",
                        "account": "70a1b2c3d4e5f60718293a4b",
                        "local_remaining_capital_amount": 1,
                    }
                ]
                * 2
            ),
            "appears twice",
        ),
    ],
    ids=["not-json", "not-list", "bad-id", "bad-amount", "duplicate"],
)
def test_bad_seed_file_is_one_clear_error(tmp_path, content, problem):
    path = tmp_path / "cases.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SandboxError) as err:
        load_cases(path)
    assert str(path) in str(err.value)
    assert problem in str(err.value)
    with pytest.raises(SandboxError):
        Sandbox(cases_path=path).start()


def test_missing_seed_file_and_unusable_database(tmp_path):
    with pytest.raises(SandboxError, match="cannot be read"):
        Sandbox(cases_path=tmp_path / "absent.json").start()
    not_a_db = tmp_path / "text.sqlite"
    not_a_db.write_text("this is not a database " * 100)
    with pytest.raises(SandboxError, match="cannot be used"):
        Sandbox(db_path=not_a_db).start()


def test_port_in_use_is_a_sandbox_error(sandbox):
    port = int(sandbox.url.rsplit(":", 1)[1])
    with pytest.raises(SandboxError, match="cannot listen"):
        Sandbox(port=port).start()
