"""A drop marker says "this file is finished" only for the file as it was when the marker was
written: a marker older than its file's last change (left from an earlier delivery) does not
make the file ready, so a file written again in two rounds is never claimed half-written. A
marker without its file is listed in the drop's summary and removed once it is
`drop.orphan_marker_days` old (7 by default)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drop_support import archived, run_drop, setup_work, summaries
from pipeline.exactly_once_support import KEY, stored_total, write_cases, write_credits

from importer.sandbox import Sandbox

INVOICES = [f"EO-{n:04d}" for n in range(1, 11)]
DAY = 86400.0


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 10)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


@pytest.mark.parametrize("rule", ["marker", "either"])
def test_a_marker_older_than_its_files_last_change_does_not_release_it(
    tmp_path: Path, api: Sandbox, rule: str
) -> None:
    work, inbox = setup_work(tmp_path, ready=rule, settle_seconds=3600)
    whole = write_credits(tmp_path / "credits.csv", INVOICES, 100, seed=41).path.read_bytes()
    (inbox / "credits.csv.done").touch()  # left from an earlier night
    time.sleep(0.05)
    half = whole.index(b"\n", len(whole) // 2) + 1
    (inbox / "credits.csv").write_bytes(whole[:half])  # the sender's first round
    early = run_drop(work, inbox, api.url)
    assert early.returncode == 0, early.stdout + early.stderr
    assert stored_total(api.url) == 0
    assert (inbox / "credits.csv").exists()
    assert "is older than the file's last change" in early.stderr

    with (inbox / "credits.csv").open("ab") as out:  # the second round, then a fresh marker
        out.write(whole[half:])
    time.sleep(0.05)
    (inbox / "credits.csv.done").touch()
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert stored_total(api.url) == 100
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.done"]


def test_an_orphan_marker_is_listed_then_removed_when_old(tmp_path: Path, api: Sandbox) -> None:
    work, inbox = setup_work(tmp_path)
    ghost = inbox / "ghost.csv.done"
    ghost.touch()
    (inbox / "kept.csv.ok").touch()
    old = time.time() - 8 * DAY
    os.utime(inbox / "kept.csv.ok", (old, old))  # a week and a day: removed
    first = run_drop(work, inbox, api.url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert ghost.exists()
    assert not (inbox / "kept.csv.ok").exists()
    orphans = {o["marker"]: o for o in summaries(work)[-1]["orphan_markers"]}
    assert orphans["ghost.csv.done"]["removed"] is False
    assert orphans["ghost.csv.done"]["inbox"] == "inbox"
    assert orphans["kept.csv.ok"]["removed"] is True
    assert orphans["kept.csv.ok"]["age_days"] == 8
    assert (
        "ghost.csv.done: a marker without its file (0 days old; removed at 7 days)" in first.stdout
    )
    assert "kept.csv.ok: a marker without its file (8 days old; removed)" in first.stdout


def test_orphan_marker_days_is_the_operators(tmp_path: Path, api: Sandbox) -> None:
    work, inbox = setup_work(tmp_path, orphan_marker_days=30)
    marker = inbox / "ghost.csv.done"
    marker.touch()
    old = time.time() - 8 * DAY
    os.utime(marker, (old, old))
    assert run_drop(work, inbox, api.url).returncode == 0
    assert marker.exists()
    config = json.loads((work / "config.yaml").read_text(encoding="utf-8"))
    config["drop"]["orphan_marker_days"] = -1
    (work / "config.yaml").write_text(json.dumps(config), encoding="utf-8")
    refused = run_drop(work, inbox, api.url)
    assert refused.returncode == 2
    assert "drop.orphan_marker_days" in refused.stderr
