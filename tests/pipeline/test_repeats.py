"""Re-sent files without credit notes are not credited again.

A row identical in every mapped field (case or invoice number, amount, currency, date, the
file's own reference, …) to a row credited by an earlier import for the same creditor at the
same API is `duplicate` of it — pointing at that import, row and `_id` — and not sent. Two
identical rows inside one file are two credits: the file says so. `--allow-repeats` (or
`dedupe.repeats: allow`) sends them anyway.

Real parts: the importer CLI as a subprocess, the sandbox over a real socket, the journal on
disk; the API's creditings are the judge."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import corrected_report_csv, in_process, started_at
from exactly_once_support import (
    KEY,
    all_creditings,
    importer_env,
    reports,
    write_cases,
    write_config,
)
from hostile_api import HostileApi, hostile_api

from importer.journal import Journal
from importer.sandbox import Sandbox

ROWS = [(f"EO-{n % 3 + 1:04d}", f"{n + 1}.00", f"2026-11-{n % 20 + 1:02d}") for n in range(15)]


@pytest.fixture
def sandbox_api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 3)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def export(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["Fakturanummer;Belopp;Datum"] + [";".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(workdir: Path, file: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return in_process(["run", str(file), "--api-url", url, *extra], cwd=workdir, env=importer_env())


def report_of(workdir: Path, file: Path) -> dict[str, Any]:
    """The latest import's report of a file with this name."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in reports(workdir)]
    return max((r for r in found if r["file"]["name"] == file.name), key=started_at)


def test_a_half_uploaded_file_then_the_complete_one_credits_each_row_once(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    half = export(inbox / "credits.csv", ROWS[:4])
    assert run(tmp_path, half, sandbox_api.url).returncode == 0
    first = report_of(tmp_path, half)
    complete = export(inbox / "credits.csv", ROWS[:9])  # same name, the whole export
    done = run(tmp_path, complete, sandbox_api.url)
    assert done.returncode == 0, done.stderr
    reports_now = [json.loads(p.read_text(encoding="utf-8")) for p in reports(tmp_path)]
    (second,) = [r for r in reports_now if r["file_import_report"] != first["file_import_report"]]
    rows = second["rows"]
    assert [r["outcome"] for r in rows] == ["duplicate"] * 4 + ["credited"] * 5
    originals = {r["row"]: r for r in first["rows"]}
    for row in rows[:4]:
        assert row["duplicate_of"] == {
            "file_import_report": first["file_import_report"],
            "row": row["row"],
            "_id": originals[row["row"]]["_id"],
        }
        assert row["errors"][0]["code"] == "row_already_credited"
        assert "--allow-repeats" in row["errors"][0]["message"]
    assert len(all_creditings(sandbox_api.url)) == 9


def test_a_cumulative_nightly_export_credits_only_the_new_rows(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    monday = export(tmp_path / "credits-mon.csv", ROWS[:10])
    tuesday = export(tmp_path / "credits-tue.csv", ROWS)
    assert run(tmp_path, monday, sandbox_api.url).returncode == 0
    done = run(tmp_path, tuesday, sandbox_api.url)
    assert done.returncode == 0, done.stderr
    outcomes = [r["outcome"] for r in report_of(tmp_path, tuesday)["rows"]]
    assert outcomes == ["duplicate"] * 10 + ["credited"] * 5
    assert len(all_creditings(sandbox_api.url)) == 15


def test_identical_rows_inside_one_file_are_two_credits(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", [ROWS[0], ROWS[0], ROWS[1]])
    done = run(tmp_path, file, sandbox_api.url)
    assert done.returncode == 0, done.stderr
    assert [r["outcome"] for r in report_of(tmp_path, file)["rows"]] == ["credited"] * 3
    assert len(all_creditings(sandbox_api.url)) == 3


@pytest.mark.parametrize("how", ["--allow-repeats", "dedupe.repeats: allow"])
def test_repeats_allowed_are_credited_again(tmp_path: Path, sandbox_api: Sandbox, how: str) -> None:
    write_config(tmp_path, **({"dedupe": {"repeats": "allow"}} if how.startswith("dedupe") else {}))
    monday = export(tmp_path / "credits-mon.csv", ROWS[:3])
    tuesday = export(tmp_path / "credits-tue.csv", ROWS[:5])
    extra = [how] if how.startswith("--") else []
    assert run(tmp_path, monday, sandbox_api.url, *extra).returncode == 0
    done = run(tmp_path, tuesday, sandbox_api.url, *extra)
    assert done.returncode == 0, done.stderr
    assert [r["outcome"] for r in report_of(tmp_path, tuesday)["rows"]] == ["credited"] * 5
    assert len(all_creditings(sandbox_api.url)) == 8


def test_a_cumulative_export_with_a_row_repeated_once_more_credits_the_new_repeat(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """Each earlier crediting answers for one row only: Monday's file credits a row twice
    (the file says so), Tuesday's cumulative export carries it three times — two of them are
    Monday's (duplicate, each pointing at its own Monday row), the third is a new credit and is
    sent. Before, all three matched Monday's first row and the new credit was silently
    dropped (exit 0)."""
    write_config(tmp_path)
    monday = export(tmp_path / "credits-mon.csv", [ROWS[0], ROWS[0], ROWS[1]])
    tuesday = export(tmp_path / "credits-tue.csv", [ROWS[0], ROWS[0], ROWS[0], ROWS[1]])
    assert run(tmp_path, monday, sandbox_api.url).returncode == 0
    done = run(tmp_path, tuesday, sandbox_api.url)
    assert done.returncode == 0, done.stderr
    rows = report_of(tmp_path, tuesday)["rows"]
    assert [r["outcome"] for r in rows] == ["duplicate", "duplicate", "credited", "duplicate"]
    assert [r["duplicate_of"]["row"] for r in rows if r["outcome"] == "duplicate"] == [2, 3, 4]
    assert len(all_creditings(sandbox_api.url)) == 4


def _lose_journal(workdir: Path) -> None:
    for lost in workdir.glob("journal.sqlite*"):
        lost.unlink()


def test_the_same_file_with_repeats_allowed_after_the_journal_is_lost_credits_nothing_again(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """With the journal, `run FILE --allow-repeats` of bytes imported before is "already
    imported": nothing is sent. The API is the record, so the same command after the journal
    was lost must not credit the file a second time either."""
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    again = run(tmp_path, file, sandbox_api.url, "--allow-repeats")
    assert again.returncode == 0, again.stderr
    assert len(all_creditings(sandbox_api.url)) == 3  # with the journal: already imported
    _lose_journal(tmp_path)
    done = run(tmp_path, file, sandbox_api.url, "--allow-repeats")
    assert done.returncode == 0, done.stderr
    assert len(all_creditings(sandbox_api.url)) == 3
    report = report_of(tmp_path, file)
    assert [w["code"] for w in report["warnings"]] == ["imported_before"]
    assert [r["outcome"] for r in report["rows"]] == ["credited"] * 3  # found: each its own
    forced = run(tmp_path, file, sandbox_api.url, "--allow-repeats", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(all_creditings(sandbox_api.url)) == 6  # --force: again, as with the journal


def test_a_row_corrected_in_a_file_imported_before_is_not_credited_again(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """A file whose invalid row was corrected and credited, run again with repeats allowed
    after the journal was lost: the file is found imported before, and when its invalid row
    is corrected again, that row gets the plain reference the rest have (the import's
    `imported_before` warning says so), is found, and is not credited a second time."""
    url = sandbox_api.url
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", [*ROWS[:3], ("EO-0001", "0", "2026-11-20")])
    assert run(tmp_path, file, url).returncode == 1  # row 5: an amount of zero
    first = report_of(tmp_path, file)["file_import_report"]
    fix = corrected_report_csv(
        tmp_path / "reports" / first / "report.csv", 5, {"Belopp": "7.00"}, tmp_path / "fix.csv"
    )
    rerun = ["rerun", first, "--fix", str(fix), "--api-url", url]
    assert in_process(rerun, cwd=tmp_path, env=importer_env()).returncode == 0
    assert len(all_creditings(url)) == 4
    _lose_journal(tmp_path)
    assert run(tmp_path, file, url, "--allow-repeats").returncode == 1
    second = report_of(tmp_path, file)
    assert "imported_before" in [w["code"] for w in second["warnings"]]
    assert len(all_creditings(url)) == 4
    fix = corrected_report_csv(
        tmp_path / "reports" / second["file_import_report"] / "report.csv",
        5,
        {"Belopp": "7.00"},
        tmp_path / "fix-2.csv",
    )
    rerun = ["rerun", second["file_import_report"], "--fix", str(fix), "--api-url", url]
    done = in_process([*rerun, "--allow-repeats"], cwd=tmp_path, env=importer_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(all_creditings(url)) == 4


def test_a_file_with_new_rows_beside_credited_ones_is_a_deliberate_repeat_after_a_lost_journal(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """Not every row at the API: not the same file. With repeats allowed every row is sent,
    the repeated ones included, as with the journal."""
    url = sandbox_api.url
    write_config(tmp_path)
    assert run(tmp_path, export(tmp_path / "mon.csv", ROWS[:3]), url).returncode == 0
    _lose_journal(tmp_path)
    tuesday = export(tmp_path / "tue.csv", ROWS[:4])
    assert run(tmp_path, tuesday, url, "--allow-repeats").returncode == 0
    assert report_of(tmp_path, tuesday)["warnings"] == []
    assert len(all_creditings(url)) == 7


@pytest.mark.parametrize(
    ("earlier", "again"),
    [([ROWS[:2], ROWS[2:3]], ROWS[:3]), ([ROWS[:2]], ROWS[1:2])],
    ids=["rows-of-two-files", "one-row"],
)
def test_a_deliberate_repeat_of_rows_the_journal_credited_is_credited_again(
    tmp_path: Path,
    sandbox_api: Sandbox,
    earlier: list[list[tuple[str, str, str]]],
    again: list[tuple[str, str, str]],
) -> None:
    """With the journal kept, a new file whose every row repeats rows earlier imports of
    this journal credited — rows of several files, or one row alone — is a deliberate repeat
    under --allow-repeats: every row is credited again. The API holding every plain reference
    says nothing of a lost journal when the journal has them."""
    url = sandbox_api.url
    write_config(tmp_path)
    for day, rows in enumerate(earlier):
        assert run(tmp_path, export(tmp_path / f"day{day}.csv", rows), url).returncode == 0
    held = len(all_creditings(url))
    repeat = export(tmp_path / "repeat.csv", again)
    done = run(tmp_path, repeat, url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report_of(tmp_path, repeat)["warnings"] == []
    assert len(all_creditings(url)) == held + len(again)


def _refusing(down: list[bool], status: int) -> Callable[[str], tuple[int, bytes] | None]:
    """The API's look-ups by reference answered `status` while `down[0]` holds."""

    def answer(path: str) -> tuple[int, bytes] | None:
        if down[0] and "creditor_reference" in path:
            return status, b'{"_status": "ERR", "_error": {"code": %d, "message": "no"}}' % status
        return None

    return answer


def test_a_repeat_asked_while_the_look_ups_fail_sends_nothing_and_the_same_command_resumes(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The file imported before, the journal lost, run with repeats allowed while the API
    fails its look-ups (503): nothing is journaled or sent (exit 3); once it answers, the same
    command finds the file imported before and credits nothing again."""
    write_config(tmp_path, api={"max_attempts": 2, "backoff_base": 0.01})
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    _lose_journal(tmp_path)
    down = [True]
    with hostile_api(HostileApi(sandbox_api.url, on_get=_refusing(down, 503))) as api:
        stopped = run(tmp_path, file, api.url, "--allow-repeats")
        assert stopped.returncode == 3, stopped.stdout + stopped.stderr
        assert "Traceback" not in stopped.stderr
        assert api.posts() == []
        down[0] = False
        done = run(tmp_path, file, api.url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [w["code"] for w in report_of(tmp_path, file)["warnings"]] == ["imported_before"]
    assert len(all_creditings(sandbox_api.url)) == 3


def test_a_repeat_whose_look_up_filter_is_refused_is_sent_on_the_journal_alone_if_allowed(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """dedupe.require_api_lookup: false accepts the journal alone when the API refuses the
    look-up's filter (400): with repeats allowed the file is a deliberate repeat, credited
    again under the weakened guarantee the report names — the run is not stopped."""
    write_config(tmp_path, dedupe={"require_api_lookup": False})
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    _lose_journal(tmp_path)
    with hostile_api(HostileApi(sandbox_api.url, on_get=_refusing([True], 400))) as api:
        done = run(tmp_path, file, api.url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "weakened guarantee" in done.stdout + done.stderr
    assert len(all_creditings(sandbox_api.url)) == 6


def test_a_repeat_whose_look_up_filter_is_refused_stops_with_nothing_journaled_to_resume(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The API refusing the look-up's filter (400) with the look-up required: exit 2, nothing
    sent — and no import journaled with salted references for the same command to credit
    again once the API answers: then the file is found imported before."""
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    _lose_journal(tmp_path)
    down = [True]
    with hostile_api(HostileApi(sandbox_api.url, on_get=_refusing(down, 400))) as api:
        stopped = run(tmp_path, file, api.url, "--allow-repeats")
        assert stopped.returncode == 2, stopped.stdout + stopped.stderr
        assert "dedupe.require_api_lookup" in stopped.stdout + stopped.stderr
        assert "Traceback" not in stopped.stderr
        assert api.posts() == []
        down[0] = False
        done = run(tmp_path, file, api.url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(all_creditings(sandbox_api.url)) == 3


def _journal_holds_dry_runs_alone(workdir: Path) -> None:
    """The journal records that dry runs happened, not their rows (what a dry run records)."""
    with Journal(workdir / "journal.sqlite") as journal:
        records = journal.imports.all()
        assert records
        assert all(record.dry_run for record in records)
        assert sum(sum(journal.imports.outcome_counts(r.id).values()) for r in records) == 0


def _references(report: dict[str, Any]) -> list[str]:
    return [row["request"]["creditor_reference"] for row in report["rows"]]


def test_a_dry_run_of_a_file_imported_before_predicts_what_the_run_does(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The journal lost, the same file run dry with repeats allowed: the run finds every row
    at the API and sends none (imported_before), so the dry run asks the same question and
    predicts no row sent — each shown as held by Amili already, under its plain reference —
    with the same warning, recording no row in the journal."""
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    plain = _references(report_of(tmp_path, file))
    _lose_journal(tmp_path)
    dry = run(tmp_path, file, sandbox_api.url, "--allow-repeats", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    predicted = report_of(tmp_path, file)
    assert predicted["summary"]["outcomes"]["not_sent"] == 0
    assert [w["code"] for w in predicted["warnings"]] == ["imported_before"]
    assert [(r["outcome"], [e["code"] for e in r["errors"]]) for r in predicted["rows"]] == [
        ("duplicate", ["row_already_credited"])
    ] * 3
    assert _references(predicted) == plain
    _journal_holds_dry_runs_alone(tmp_path)
    done = run(tmp_path, file, sandbox_api.url, "--allow-repeats")  # what it predicted
    assert done.returncode == 0, done.stdout + done.stderr
    assert [w["code"] for w in report_of(tmp_path, file)["warnings"]] == ["imported_before"]
    assert len(all_creditings(sandbox_api.url)) == 3


def test_a_dry_run_of_bytes_this_journal_imported_answers_already_imported_as_the_run_does(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The journal kept: the run of the same bytes with repeats allowed is "already
    imported" and sends nothing, so its dry run says the same — it predicted every row sent
    under references salted anew. With --force both credit it again."""
    url = sandbox_api.url
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, url).returncode == 0
    first = report_of(tmp_path, file)["file_import_report"]
    dry = run(tmp_path, file, url, "--allow-repeats", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"was already imported as {first}" in dry.stdout
    assert len(reports(tmp_path)) == 1  # no dry run's report predicting rows sent
    done = run(tmp_path, file, url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"was already imported as {first}" in done.stdout
    forced = run(tmp_path, file, url, "--allow-repeats", "--force", "--dry-run")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert report_of(tmp_path, file)["summary"]["outcomes"]["not_sent"] == 3
    assert len(all_creditings(url)) == 3
    assert run(tmp_path, file, url, "--allow-repeats", "--force").returncode == 0
    assert len(all_creditings(url)) == 6


def test_a_dry_run_of_a_deliberate_repeat_after_a_lost_journal_predicts_every_row_sent(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """A new row beside credited ones: not the file imported before. The dry run predicts
    every row sent under references salted with the file's bytes — the ones the run sends."""
    url = sandbox_api.url
    write_config(tmp_path)
    monday = export(tmp_path / "mon.csv", ROWS[:3])
    assert run(tmp_path, monday, url).returncode == 0
    plain = set(_references(report_of(tmp_path, monday)))
    _lose_journal(tmp_path)
    tuesday = export(tmp_path / "tue.csv", ROWS[:4])
    dry = run(tmp_path, tuesday, url, "--allow-repeats", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    predicted = report_of(tmp_path, tuesday)
    assert predicted["warnings"] == []
    assert predicted["summary"]["outcomes"]["not_sent"] == 4
    salted = _references(predicted)
    assert not plain & set(salted)
    _journal_holds_dry_runs_alone(tmp_path)
    assert len(all_creditings(url)) == 3
    assert run(tmp_path, tuesday, url, "--allow-repeats").returncode == 0
    assert _references(report_of(tmp_path, tuesday)) == salted
    assert len(all_creditings(url)) == 7


def test_a_forced_dry_run_of_a_file_imported_before_predicts_every_row_sent(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """--force credits a file imported before again, with repeats allowed: its dry run says
    so (every row sent, no imported_before warning), and --force is not called ignored."""
    url = sandbox_api.url
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, url).returncode == 0
    _lose_journal(tmp_path)
    dry = run(tmp_path, file, url, "--allow-repeats", "--force", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "ignored" not in dry.stderr
    predicted = report_of(tmp_path, file)
    assert predicted["warnings"] == []
    assert predicted["summary"]["outcomes"]["not_sent"] == 3
    _journal_holds_dry_runs_alone(tmp_path)
    assert run(tmp_path, file, url, "--allow-repeats", "--force").returncode == 0
    assert len(all_creditings(url)) == 6


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (503, "HTTP 503), when asked whether this file was imported before"),
        (400, "refused a lookup's filter (HTTP 400), when asked whether this file was imported"),
        (None, "no API key in AMILI_API_KEY to ask the API with"),
    ],
    ids=["look-ups-failing", "filter-refused", "no-api-key"],
)
def test_a_dry_run_that_cannot_ask_whether_a_file_was_imported_before_says_so(
    tmp_path: Path, sandbox_api: Sandbox, answer: int | None, why: str
) -> None:
    """The journal lost and the API not to be asked (its look-ups failing, their filter
    refused, no key to ask with): as for its other predictions, the dry run rests on the
    journal alone and says so in its `journal_alone` warning — the rows shown as a deliberate
    repeat to send, which a run, asking first, would not send — with one look-up tried, none
    posted, and no row journaled."""
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, sandbox_api.url).returncode == 0
    _lose_journal(tmp_path)
    refusing = _refusing([answer is not None], answer or 503)
    dry_run = ["run", str(file), "--allow-repeats", "--dry-run"]
    with hostile_api(HostileApi(sandbox_api.url, on_get=refusing)) as api:
        env = importer_env()
        if answer is None:
            del env["AMILI_API_KEY"]
        dry = in_process([*dry_run, "--api-url", api.url], cwd=tmp_path, env=env)
        assert api.posts() == []
        assert len(api.gets()) == (0 if answer is None else 1)  # tried once, not again
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Traceback" not in dry.stderr
    predicted = report_of(tmp_path, file)
    (warning,) = predicted["warnings"]
    assert warning["code"] == "journal_alone"
    assert why in warning["message"]
    assert "a row credited through another journal is shown as one to send" in warning["message"]
    assert predicted["summary"]["outcomes"]["not_sent"] == 3
    _journal_holds_dry_runs_alone(tmp_path)
    assert len(all_creditings(sandbox_api.url)) == 3


def test_a_file_imported_before_a_lost_journal_is_not_credited_again_once_found_in_a_new_one(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    """The journal lost, another file of the same rows run normally: the new journal records
    them credited, as found at the API, never sent by it. The first file, run again with
    repeats allowed, is still the file imported before: a journal that only found the rows
    does not know whether these bytes were imported (only one that sent them would have
    refused them as "already imported")."""
    url = sandbox_api.url
    write_config(tmp_path)
    file = export(tmp_path / "credits.csv", ROWS[:3])
    assert run(tmp_path, file, url).returncode == 0
    _lose_journal(tmp_path)
    again = export(tmp_path / "again.csv", list(reversed(ROWS[:3])))
    assert run(tmp_path, again, url).returncode == 0
    assert [r["outcome"] for r in report_of(tmp_path, again)["rows"]] == ["credited"] * 3
    assert len(all_creditings(url)) == 3
    done = run(tmp_path, file, url, "--allow-repeats")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [w["code"] for w in report_of(tmp_path, file)["warnings"]] == ["imported_before"]
    assert len(all_creditings(url)) == 3
