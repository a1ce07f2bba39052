"""The figures `importer imports` and the overview page keep per import (in the journal,
`journal.figure_cache`) follow every way an import changes after they were kept: a rerun
after an outage, a rerun with corrections, a row resolved and reopened, a drop's import
beside it. Each time, the list equals the figures computed from the journal's rows. Through the
real command line against the sandbox, the journal on disk."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli_support import (
    SAMPLE,
    SECRET,
    closed_port,
    corrected_report_csv,
    give_up_at_once,
    importer,
    report_of,
)
from drop.drop_support import run_drop, setup_work
from pipeline.exactly_once_support import (
    KEY,
    assert_exactly_once,
    importer_env,
    kill,
    run_until_done,
    sandbox_process,
    start_importer,
    stored_total,
    write_cases,
    write_config,
    write_credits,
)

from importer.journal import Journal
from importer.pipeline.history import ImportEntry, import_figures
from importer.sandbox import Sandbox


def from_scratch(journal_path: Path) -> list[dict[str, Any]]:
    """Every import's entry computed from its rows, as `importer imports --json` gives it."""
    with Journal(journal_path) as journal:
        return [
            ImportEntry(
                r, journal.imports.outcome_counts(r.id), import_figures(journal, r)
            ).as_json()
            for r in journal.imports.all()
        ]


def kept_and_listed(workdir: Path, journal_path: Path) -> list[dict[str, Any]]:
    """`importer imports --json`, after which every import's figures are kept."""
    done = importer(workdir, "imports", "--json")
    assert done.returncode == 0, done.stderr
    with Journal(journal_path) as journal:
        assert all(e.figures is not None for e in journal.figure_cache.current().values())
    listed: list[dict[str, Any]] = json.loads(done.stdout)
    return listed


def test_a_resolved_then_reopened_row_is_seen_by_the_list(workdir: Path, api: Sandbox) -> None:
    journal = workdir / "j.sqlite"
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    (first,) = kept_and_listed(workdir, journal)
    assert first["attention"]["rejected"] == 1
    done = importer(workdir, "resolve", import_id, "7", "--note", "case closed by phone")
    assert done.returncode == 0, done.stderr
    (resolved,) = kept_and_listed(workdir, journal)
    assert resolved == from_scratch(journal)[0]
    assert (resolved["attention"]["rejected"], resolved["resolved"]) == (0, 1)
    done = importer(workdir, "resolve", import_id, "7", "--note", "not closed", "--reopen")
    assert done.returncode == 0, done.stderr
    (reopened,) = kept_and_listed(workdir, journal)
    assert reopened == from_scratch(journal)[0] == first


def test_a_rerun_with_a_corrected_row_is_seen_by_the_list(workdir: Path, api: Sandbox) -> None:
    journal = workdir / "j.sqlite"
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    (first,) = kept_and_listed(workdir, journal)
    report_csv = workdir / "reports" / import_id / "report.csv"
    fix = corrected_report_csv(report_csv, 6, {"Belopp": "12,35"}, workdir / "fixed.csv")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # warning/error rows remain
    (fixed,) = json.loads(importer(workdir, "imports", "--json").stdout)
    assert fixed == from_scratch(journal)[0]
    assert (first["attention"]["invalid"], fixed["attention"]["invalid"]) == (1, 0)
    assert fixed["outcomes"]["credited"] == first["outcomes"]["credited"] + 1


def test_a_rerun_after_an_outage_is_seen_by_the_list(workdir: Path, tmp_path: Path) -> None:
    journal = workdir / "j.sqlite"
    give_up_at_once(workdir)
    port = closed_port()  # the API down: nothing sent
    stopped = importer(workdir, "run", str(SAMPLE), "--api-url", f"http://127.0.0.1:{port}")
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    import_id = report_of(workdir)["file_import_report"]
    (first,) = kept_and_listed(workdir, journal)
    assert first["outcomes"]["credited"] == 0
    with Sandbox(db_path=tmp_path / "api.sqlite", api_key=SECRET, port=port) as api:
        rerun = importer(workdir, "rerun", import_id, api=api)
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr
    (done,) = json.loads(importer(workdir, "imports", "--json").stdout)
    assert done == from_scratch(journal)[0]
    assert done["outcomes"]["credited"] == 5


def test_a_drop_after_the_list_was_kept_lists_both_imports_as_their_rows_say(
    tmp_path: Path,
) -> None:
    work, inbox = setup_work(tmp_path)
    journal = work / "journal.sqlite"
    (inbox / "credits.csv").write_bytes(SAMPLE.read_bytes())
    with Sandbox(db_path=tmp_path / "api.sqlite", api_key=KEY) as api:
        run_drop(work, inbox, api.url)
        (first,) = kept_and_listed(work, journal)
        (inbox / "clean.csv").write_text("invoice_number;amount\nF-1006;10,00\n", encoding="utf-8")
        run_drop(work, inbox, api.url)
    both = json.loads(importer(work, "imports", "--json").stdout)
    assert both == from_scratch(journal)
    assert both[0] == first
    assert both[1]["outcomes"]["credited"] == 1


def test_lists_taken_while_a_run_of_lanes_is_killed_and_resumed_keep_no_wrong_figure(
    tmp_path: Path,
) -> None:
    # Lists taken by another process while three lanes post, then after a SIGKILL, then
    # after the same command finished the import: each list kept figures at the revision
    # it read; the lists after the kill and at the end equal the figures from the rows.
    invoices = write_cases(tmp_path / "cases.json", 20)
    file = write_credits(tmp_path / "credits.csv", invoices, 600, seed=7)
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, posting={"lanes": 3})
    journal = work / "journal.sqlite"

    def listed() -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "importer", "imports", "--json"],
            cwd=work,
            env=importer_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        entries: list[dict[str, Any]] = json.loads(done.stdout)
        return entries

    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=3) as url:
        process = start_importer(work, file.path, url, to_be_killed=True)
        lists = 0
        while process.poll() is None and stored_total(url) < 200:
            if journal.exists() and stored_total(url) < 150:  # then kill soon after 200
                lists += 1
                listed()  # figures kept while the lanes write
        code, _, _ = kill(process)
        assert code == -signal.SIGKILL  # killed mid-run, not ended by itself
        after_kill = listed()
        assert after_kill == from_scratch(journal)
        assert after_kill[0]["state"] == "open"
        assert 200 <= stored_total(url) < 600
        assert lists > 0
        run_until_done(work, file.path, url)
        final = listed()
        assert final == from_scratch(journal)
        assert final[0]["outcomes"]["credited"] == len(assert_exactly_once(url, file))
