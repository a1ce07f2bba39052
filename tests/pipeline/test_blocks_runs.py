"""What a run and a dry run of a file read a block at a time ask and hold across its blocks:
the API's look-ups of a dry run (one failing mid-way), the question whether a repeat
(`--allow-repeats`) was imported before, the memory the prediction's verdicts take, and the
block sizes' settings — each as for the file read whole.

Real files on disk, the command line in this process (a real process for the settings read
at start-up), the sandbox over a real socket behind a hostile proxy where a look-up fails."""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import pytest
from blocks_support import (
    HEAD,
    after_lost_journal,
    blocks_of,
    credits_file,
    fresh,
    journaled,
    written,
)
from cli_support import Main, importer_process
from exactly_once_support import KEY, all_creditings

from importer.sandbox import Sandbox


@pytest.mark.parametrize("answered", [1, 2])
def test_a_dry_run_whose_lookups_fail_mid_way_rests_on_the_journal_alone_for_every_row(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, answered: int
) -> None:
    """The file was credited through a journal since lost. Read whole, it is asked in one
    look-up: when that fails, every row rests on the journal alone. Read in blocks of 3 or 4
    (a look-up each), the API answers the first `answered` blocks' look-ups and fails the
    next: every row rests on the journal alone all the same — not the first blocks' rows
    shown held by Amili and the later ones shown to send."""
    file = credits_file(workdir)

    def predicted(rows: int | None, answered: int) -> tuple[int, dict | None]:  # type: ignore[type-arg]
        asked: list[str] = []

        def down_after(path: str) -> tuple[int, bytes] | None:
            asked.append(path)
            return None if len(asked) <= answered else (503, b'{"_status": "ERR"}')

        code, report, _, posted = after_lost_journal(
            main, workdir, monkeypatch, file, rows, ("validate",), down_after
        )
        assert len(posted) == 11
        return code, report

    down = predicted(None, 0)
    assert down[1] is not None
    assert {row["outcome"] for row in down[1]["rows"]} == {"not_sent"}
    assert [w["code"] for w in down[1]["warnings"]] == ["journal_alone"]
    for size in (3, 4):
        assert predicted(size, 0) == down, size
        assert predicted(size, answered) == down, size
    # every look-up answered: every row held by Amili (each under its own crediting's _id)
    for rows, answered_all in ((None, 1), (4, 3)):
        code, report = predicted(rows, answered_all)
        assert code == 0
        assert report is not None
        assert {row["outcome"] for row in report["rows"]} == {"duplicate"}
        assert not report["warnings"]


def test_allow_repeats_after_a_lost_journal_credits_nothing_again_in_blocks_as_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file credited through a lost journal: `--allow-repeats` finds every row at the
    API under its plain reference (imported before) and sends none again — asked of all the
    file's blocks."""
    file = credits_file(workdir)
    command = ("run", "--allow-repeats")
    whole = after_lost_journal(main, workdir, monkeypatch, file, None, command)
    assert len(whole[3]) == 11
    assert "imported_before" in [w["code"] for w in whole[1]["warnings"]]  # type: ignore[index]
    for size in (3, 4, 7):
        code, report, rows, posted = after_lost_journal(
            main, workdir, monkeypatch, file, size, command
        )
        assert (code, rows, posted) == whole[:1] + whole[2:], size
        assert report["rows"] == whole[1]["rows"], size  # type: ignore[index]
        assert report["warnings"] == whole[1]["warnings"], size  # type: ignore[index]


@pytest.mark.slow
def test_a_dry_run_in_blocks_of_rows_mostly_duplicates_holds_no_verdict_per_row(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row after the first repeats the first's credit note and amount: each is
    predicted a duplicate, with an error of its own. Those verdicts wait for the report pass
    on disk, not in memory: four times the rows costs about as much more as rows that change
    nothing (a kilobyte a row held, before)."""
    config = workdir / "config.yaml"
    config.write_text(config.read_text().replace("dir: reports", "dir: reports\n  formats: [json]"))

    def peak(count: int, note: str) -> int:
        rows = "".join(f"F-1001;10,00;{note.format(i)};;\r\n" for i in range(count))
        file = written(workdir, HEAD + rows)
        fresh(workdir)
        blocks_of(monkeypatch, 250)
        tracemalloc.start()
        try:
            code = main("validate", str(file))[0]
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert code == 0

    peak(500, "KF-{}")  # what is loaded once (numpy, the report's writers) loaded first
    duplicates = peak(8_000, "KF-X") - peak(2_000, "KF-X")
    unique = peak(8_000, "KF-{}") - peak(2_000, "KF-{}")
    assert duplicates < unique + 6_000 * 150, (duplicates, unique)


@pytest.mark.parametrize("setting", ["100k", "0", "-5"])
def test_a_block_size_that_is_no_count_of_records_is_one_line_not_a_traceback(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """Read when the command starts (a real process: the size is read at import), the
    setting is said in one line when a file is read, exit 2, no import made."""
    file = credits_file(workdir)
    monkeypatch.setenv("IMPORTER_INTAKE_BLOCK_ROWS", setting)
    done = importer_process(workdir, "validate", str(file))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "importer: IMPORTER_INTAKE_BLOCK_ROWS must be a whole number of records, 1 or more, "
        f"not '{setting}'"
    )
    monkeypatch.setenv("IMPORTER_INTAKE_BLOCK_ROWS", "1_000")
    assert importer_process(workdir, "validate", str(file)).returncode == 0


@pytest.mark.parametrize("journal", ["kept", "lost"])
def test_allow_repeats_of_rows_credited_before_credits_them_again_in_blocks_as_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, journal: str
) -> None:
    """A deliberate repeat: the rows of a file credited before, in another file — with one
    row more (the API does not hold it: a repeat), or, the journal kept, the same rows
    (the journal sent them: a repeat). Each row is credited again, under the same salted
    references whether the file is read in blocks or whole."""
    first = credits_file(workdir)
    text = first.read_text(encoding="utf-8")
    if journal == "lost":
        text += "F-1001;99,00;;;2026-02-01\r\n"
    else:
        text = text.replace("2026-02-01", "2026-02-01 ", 1)  # other bytes, the same rows
    second = written(workdir, text, name="again.csv")
    outcomes = []
    for rows in (None, 3, 4, 7):
        fresh(workdir)
        (workdir / "api.sqlite").unlink(missing_ok=True)
        monkeypatch.setenv("AMILI_API_KEY", KEY)
        with Sandbox(db_path=workdir / "api.sqlite", api_key=KEY) as api:
            blocks_of(monkeypatch, None)
            assert main("run", "--api-url", api.url, str(first))[0] in (0, 1)
            if journal == "lost":
                fresh(workdir)
            blocks_of(monkeypatch, rows)
            code = main("run", "--api-url", api.url, "--allow-repeats", str(second))[0]
            posted = sorted(c["creditor_reference"] for c in all_creditings(api.url))
        outcomes.append((code, posted, sorted(map(repr, journaled(workdir)))))
    assert len(outcomes[0][1]) == (23 if journal == "lost" else 22)
    assert outcomes[1:] == [outcomes[0]] * 3


def test_a_dry_run_in_blocks_without_room_for_its_predictions_stops_in_one_line(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The predictions of a file read in blocks wait in the temporary folder: one that
    cannot take them (full, or no folder at all) stops the dry run with a sentence naming
    it and what to do, exit 3, nothing journaled and no report written."""
    file = credits_file(workdir)
    not_a_folder = workdir / "tmp-is-a-file"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder))
    blocks_of(monkeypatch, 3)
    code, out, err = main("validate", str(file))
    assert code == 3, out + err
    assert "Traceback" not in out + err
    assert f"temporary folder {not_a_folder}" in err
    assert "set TMPDIR to a folder with room" in err
    assert journaled(workdir) == []
    assert not list((workdir / "reports").glob("*/report.json"))
