"""`importer imports` and `importer show` say what is still open: per import its creditor,
the amounts read, credited and settled, and the rows needing a person counted by kind;
`--attention` keeps only imports with something open, `--status` keeps its meaning, and
`--json` carries the same. Through the real command line against the sandbox, the journal
on disk."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import CREDITOR, SAMPLE, importer, report_of

from importer.sandbox import Sandbox


def _clean_file(workdir: Path) -> Path:
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    return clean


def test_imports_shows_the_creditor_amounts_and_rows_needing_attention(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    summary = report_of(workdir)["summary"]
    listed = json.loads(importer(workdir, "imports", "--json").stdout)
    (entry,) = listed
    assert entry["creditor"] == [CREDITOR]
    assert entry["amount_read"] == summary["amount_read"] == "4389.50"
    assert entry["amount_credited"] == summary["amount_requested"] == "2939.50"
    assert entry["amount_settled"] == summary["amount_settled"]
    assert entry["attention"] == {
        "invalid": 1,
        "rejected": 1,
        "unknown": 0,
        "not_sent": 0,
        "warning": 1,
        "error": 1,
        "credited_twice": 0,
        "answer_unusable": 0,
    }
    assert entry["open_items"] == 4
    assert entry["status"] == "finished"  # --status keeps its meaning

    text = importer(workdir, "imports").stdout
    line = next(line for line in text.splitlines() if entry["file_import_report"] in line)
    assert CREDITOR in line
    assert "read 4 389.50 SEK   credited 2 939.50 SEK" in line
    assert "open 4: invalid 1, rejected 1, warning 1, error 1" in line


def test_attention_lists_only_imports_with_something_open(workdir: Path, api: Sandbox) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    open_one = report_of(workdir)["file_import_report"]
    done = importer(workdir, "run", str(_clean_file(workdir)), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    everything = json.loads(importer(workdir, "imports", "--json").stdout)
    assert len(everything) == 2
    attention = json.loads(importer(workdir, "imports", "--json", "--attention").stdout)
    assert [e["file_import_report"] for e in attention] == [open_one]
    both = importer(workdir, "imports", "--json", "--attention", "--status", "open")
    assert json.loads(both.stdout) == []  # finished, though something is open
    text = importer(workdir, "imports", "--attention").stdout
    assert open_one in text
    assert "clean.csv" not in text


def test_show_prints_the_amounts_and_the_open_items_by_kind(workdir: Path, api: Sandbox) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "show", import_id)
    assert done.returncode == 0, done.stderr
    assert "  amounts    read 4 389.50 SEK   credited 2 939.50 SEK   settled " in done.stdout
    assert "  open       4: invalid 1, rejected 1, warning 1, error 1" in done.stdout


def test_imports_lists_a_dry_run_with_the_figures_its_report_gives(
    workdir: Path, api: Sandbox
) -> None:
    """A dry run's line in `importer imports` is read beside its report: it must not say
    "read 0.00 SEK, nothing open" of a file whose report read 4,389.50 and found an invalid
    row — a figure it does not have is left out, never shown as zero."""
    assert importer(workdir, "validate", str(SAMPLE), api=api).returncode == 1
    summary = report_of(workdir)["summary"]
    (entry,) = json.loads(importer(workdir, "imports", "--json").stdout)
    assert entry["dry_run"] is True
    assert entry["outcomes"] == summary["outcomes"]
    assert entry["amount_read"] == summary["amount_read"]
    assert entry["creditor"] == [CREDITOR]


def test_a_dry_run_whose_report_is_gone_is_listed_from_the_journal_without_failing(
    workdir: Path, api: Sandbox
) -> None:
    """The report folder deleted (or its report.json cut short): the journal's record of
    the dry run is all there is, and the list still shows it."""
    assert importer(workdir, "validate", str(SAMPLE), api=api).returncode == 1
    (report,) = workdir.glob("reports/*/report.json")
    report.write_bytes(report.read_bytes()[:100])
    (entry,) = json.loads(importer(workdir, "imports", "--json").stdout)
    assert entry["dry_run"] is True
    assert entry["outcomes"]["invalid"] == 0  # the journal keeps no rows of a dry run
    report.unlink()
    assert importer(workdir, "imports").returncode == 0


def test_the_head_of_a_report_is_read_from_its_first_line_with_rows_or_without(
    workdir: Path, api: Sandbox
) -> None:
    from importer.report.json_writer import read_head

    assert importer(workdir, "validate", str(SAMPLE), api=api).returncode == 1
    (with_rows,) = workdir.glob("reports/*/report.json")
    whole = json.loads(with_rows.read_text(encoding="utf-8"))
    del whole["rows"]
    assert read_head(with_rows) == whole
    rejected = workdir / "rejected.csv"
    rejected.write_text("just one column\n", encoding="utf-8")
    importer(workdir, "validate", str(rejected), api=api)
    (without,) = (p for p in workdir.glob("reports/*/report.json") if p != with_rows)
    whole = json.loads(without.read_text(encoding="utf-8"))
    assert whole["rows"] == []
    del whole["rows"]
    assert read_head(without) == whole
    assert read_head(workdir / "missing.json") is None
