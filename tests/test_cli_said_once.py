"""The command line says a thing once, where a person looks for it: a rejected file's reason
is one line (stderr, the error line scripts read), not repeated in the summary; `importer show`
of a dry run, which keeps no rows in the journal, names the folder its report was written to."""

from __future__ import annotations

from pathlib import Path

from cli_support import SAMPLE, importer, one_line


def test_a_rejected_files_reason_is_printed_once(workdir: Path) -> None:
    bad = workdir / "bad.csv"
    bad.write_text("foo;bar\n1;2\n", encoding="utf-8")
    done = importer(workdir, "run", "--api-url", "sandbox", str(bad))
    assert done.returncode == 2
    reason = "no header row matches the column mapping"
    assert (done.stdout + done.stderr).count(reason) == 1
    assert reason in one_line(done.stderr)
    assert (
        "  file rejected: nothing was sent; the reason is the last line (importer: …)"
        in done.stdout.splitlines()
    )


def test_show_of_a_dry_run_names_its_report_folder(workdir: Path) -> None:
    done = importer(workdir, "validate", "--report-dir", "elsewhere", str(SAMPLE))
    assert done.returncode == 1
    [folder] = [p for p in (workdir / "elsewhere").iterdir() if p.is_dir()]  # and index.html
    shown = importer(workdir, "show", folder.name)
    assert shown.returncode == 2
    assert one_line(shown.stderr) == (
        f"importer: import {folder.name} was a dry run: its report is in {folder}/; the "
        "journal keeps no rows of a dry run (validate the file again for a new report)"
    )
