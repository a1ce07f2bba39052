"""A drop takes only finished files: a file another process is still writing is not claimed
under either rule (stable: unchanged for `drop.settle_seconds` and open for writing by nobody;
marker: `<name>.done`/`.ok` beside it) and is imported whole once it is finished. Real parts: the
writer is its own process holding the file open, the drop is `python -m importer drop`, the
sandbox answers over a real socket and is the judge of what was credited."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drop_support import archived, run_drop, setup_work, summaries, wait_until
from pipeline.exactly_once_support import (
    KEY,
    CreditFile,
    assert_exactly_once,
    write_cases,
    write_config,
    write_credits,
)

from importer.drop.readiness import judge, marker_index, markers_of, open_for_writing
from importer.sandbox import Sandbox

WRITER = """
import sys, time
from pathlib import Path
source, target, half, go = map(Path, sys.argv[1:5])
data = source.read_bytes()
cut = len(data) // 2
with open(target, "wb") as out:
    out.write(data[:cut]); out.flush()
    half.touch()
    while not go.exists():
        time.sleep(0.02)
    out.write(data[cut:]); out.flush()
"""


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 10)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


class SlowWriter:
    """Another process writing `target` from `source` in two halves: it holds the file open
    between them until told to go on."""

    def __init__(self, source: Path, target: Path) -> None:
        self.half = target.parent.parent / "half.flag"
        self.go = target.parent.parent / "go.flag"
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(source), str(target), str(self.half), str(self.go)]
        )
        assert wait_until(self.half.exists, 30), "the writer never wrote its first half"

    def finish(self) -> None:
        self.go.touch()
        assert self.process.wait(timeout=30) == 0


def _credits(tmp_path: Path, rows: int = 40) -> CreditFile:
    staging = tmp_path / "staging"
    staging.mkdir()
    return write_credits(
        staging / "credits.csv", [f"EO-{n:04d}" for n in range(1, 11)], rows, seed=5
    )


def _only_import_id(work: Path) -> str:
    files = [f for s in summaries(work) for f in s["files"]]
    assert len(files) == 1, files
    return str(files[0]["import_id"])


def test_stable_rule_waits_for_the_writer_to_close_and_the_settle_time(
    tmp_path: Path, api: Sandbox
) -> None:
    # The settle time is the operator's (`drop.settle_seconds`): each pass below reads the one
    # it needs, so no pass waits out a long one.
    work, inbox = setup_work(tmp_path, ready="stable", settle_seconds=0.2)
    file = _credits(tmp_path)
    writer = SlowWriter(file.path, inbox / "credits.csv")
    try:
        time.sleep(0.3)  # older than the settle time, but still held open for writing
        held = run_drop(work, inbox, api.url)
        assert held.returncode == 0, held.stderr
        assert "still open for writing by another process" in held.stderr
        assert (inbox / "credits.csv").exists()
        assert not archived(inbox, "done")
    finally:
        writer.finish()
    # Closed, but changed less than 5 s ago (a start-up under load takes about 2 s).
    write_config(work, drop={"ready": "stable", "settle_seconds": 5}, api={"read_timeout": 1.0})
    fresh = run_drop(work, inbox, api.url)
    assert fresh.returncode == 0, fresh.stderr
    assert "waiting until 5 s unchanged" in fresh.stderr
    assert (inbox / "credits.csv").exists()

    # Unchanged for longer than a settle time of 1 s, and nobody writes it: taken.
    write_config(work, drop={"ready": "stable", "settle_seconds": 1}, api={"read_timeout": 1.0})
    written = os.stat(inbox / "credits.csv")
    time.sleep(max(0.0, max(written.st_mtime, written.st_ctime) + 1.2 - time.time()))
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert archived(inbox, "done") == ["credits.csv"]
    assert _only_import_id(work)  # one file, one import
    assert_exactly_once(api.url, file)


def test_marker_rule_ignores_an_old_unmarked_file_and_takes_it_with_its_marker(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path, ready="marker", settle_seconds=0)
    file = _credits(tmp_path)
    writer = SlowWriter(file.path, inbox / "credits.csv")
    try:
        waiting = run_drop(work, inbox, api.url)
        assert waiting.returncode == 0
        assert "waiting for its .done or .ok marker" in waiting.stderr
    finally:
        writer.finish()
    time.sleep(0.2)
    unmarked = run_drop(work, inbox, api.url)  # finished and old enough: still no marker
    assert unmarked.returncode == 0
    assert (inbox / "credits.csv").exists()

    (inbox / "credits.csv.ok").touch()
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.ok"]
    assert not (inbox / "credits.csv.ok").exists()
    assert _only_import_id(work)  # one file, one import
    assert_exactly_once(api.url, file)


def test_either_rule_takes_a_marked_file_at_once_despite_a_long_settle_time(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path, settle_seconds=3600)  # ready: either (the default)
    file = _credits(tmp_path)
    writer = SlowWriter(file.path, inbox / "credits.csv")
    try:
        assert run_drop(work, inbox, api.url).returncode == 0
        assert (inbox / "credits.csv").exists()
    finally:
        writer.finish()
    (inbox / "credits.csv.done").touch()
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stderr
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.done"]
    assert _only_import_id(work)  # one file, one import
    assert_exactly_once(api.url, file)


def test_open_for_writing_sees_a_writer_and_not_a_reader(tmp_path: Path) -> None:
    written, read = tmp_path / "w.csv", tmp_path / "r.csv"
    read.write_text("x\n", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; a = open(sys.argv[1], 'a'); b = open(sys.argv[2]);"
            " print('ok', flush=True); time.sleep(60)",
            str(written),
            str(read),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ok"
        assert open_for_writing([written, read]) == {written}
        verdict = judge(written, "stable", 0, {written}, now=time.time() + 3600)
        assert not verdict.ready
        assert "open for writing" in verdict.why
    finally:
        holder.kill()
        holder.wait()
    assert open_for_writing([written, read]) == set()
    assert judge(written, "stable", 0, set(), now=time.time() + 1).ready


def test_a_copy_that_preserves_an_old_mtime_still_waits_for_the_settle_time(
    tmp_path: Path,
) -> None:
    """`cp -p` sets an old mtime on a file that just arrived; its ctime cannot be set back."""
    copied = tmp_path / "credits.csv"
    copied.write_text("invoice_number,amount\n", encoding="utf-8")
    old = time.time() - 86_400
    os.utime(copied, (old, old))
    assert not judge(copied, "stable", 60, set()).ready
    assert judge(copied, "stable", 60, set(), now=time.time() + 61).ready


@pytest.mark.parametrize("rule", ["marker", "either"])
def test_a_marker_in_capitals_is_a_marker(tmp_path: Path, api: Sandbox, rule: str) -> None:
    """A Windows sender writes `CREDITS.CSV.OK` or `credits.csv.Done`: the marker is the same
    flag in any case. Read as a file of its own, `.OK` was imported (and failed) under
    `either`, and under `marker` the file waited for a marker that was there."""
    work, inbox = setup_work(tmp_path, ready=rule, settle_seconds=3600)
    file = _credits(tmp_path)
    (inbox / "CREDITS.CSV").write_bytes(file.path.read_bytes())
    (inbox / "CREDITS.CSV.OK").touch()
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert archived(inbox, "done") == ["CREDITS.CSV", "CREDITS.CSV.OK"]
    assert not (inbox / "failed").exists()
    assert _only_import_id(work)  # one file, one import
    assert_exactly_once(api.url, file)


def test_judge_names_a_marker_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x", encoding="utf-8")
    (tmp_path / "a.csv.Done").touch()
    (tmp_path / "A.CSV.OK").touch()  # another file's marker (on a case-sensitive disk)
    verdict = judge(tmp_path / "a.csv", "marker", 3600, set())
    assert verdict.ready
    assert [m.name for m in verdict.markers] == ["a.csv.Done"]


def test_one_listing_finds_the_same_markers_as_a_listing_per_file(tmp_path: Path) -> None:
    """A pass lists the inbox once (`marker_index`) for all the files it judges, instead of
    once per file (3,000 waiting files made a pass take seconds)."""
    names = ["a.csv", "a.csv.ok", "a.csv.DONE", "a.csv.ok.csv", "a.csv.ok.csv.Ok", "b.csv",
             "a.csv2.ok", "c.xlsx", "C.XLSX.OK", "d.csv.done.bak"]  # fmt: skip
    for name in names:
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "b.csv.done").mkdir()  # a folder is no marker
    index = marker_index(os.listdir(tmp_path))
    for name in names:
        path = tmp_path / name
        assert markers_of(path, index) == markers_of(path), name
    assert [m.name for m in markers_of(tmp_path / "a.csv", index)] == ["a.csv.DONE", "a.csv.ok"]
    assert markers_of(tmp_path / "b.csv", index) == []
    assert [m.name for m in markers_of(tmp_path / "c.xlsx", index)] == []
    assert [m.name for m in markers_of(tmp_path / "C.XLSX", index)] == ["C.XLSX.OK"]
