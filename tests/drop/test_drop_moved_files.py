""" "Already imported" is keyed by the file's bytes, the API and the creditor: a file credited
to the main creditor one night and moved into the right creditor's folder the next is
imported for that creditor, while the same bytes whose rows name their own creditor are
already imported wherever they are moved (nothing is credited twice).

The creditor of an import is the one its rows were credited for (the journal's rows): a
run for creditor C finds an earlier import of the same bytes only when that import credited
rows to C, or when nothing says whose rows they are (no default creditor, no --creditor:
then the rows name their own, and the bytes alone decide)."""

from __future__ import annotations

from pathlib import Path

from drop_support import (
    OTHER_CREDITOR,
    THEIRS,
    archived,
    creditings_of,
    run_drop,
    setup_work,
    summaries,
)
from pipeline.exactly_once_support import CREDITOR, write_credits

from importer.sandbox import Sandbox


def _beta(inbox: Path) -> Path:
    beta = inbox / "beta"
    beta.mkdir()
    (beta / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    return beta


def test_a_file_moved_to_the_right_creditors_folder_is_imported_for_that_creditor(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    file = write_credits(tmp_path / "credits.csv", THEIRS, 3, seed=31)
    (inbox / "credits.csv").write_bytes(file.path.read_bytes())
    first = run_drop(work, inbox, api.url)  # night 1: the main creditor's inbox
    assert first.returncode in (0, 1), first.stdout + first.stderr
    assert archived(inbox, "done") == ["credits.csv"]
    assert creditings_of(api.url, OTHER_CREDITOR) == []

    beta = _beta(inbox)  # operations move it to the right creditor's folder
    (inbox / "done").rename(tmp_path / "night-1")
    (beta / "credits.csv").write_bytes(file.path.read_bytes())
    second = run_drop(work, inbox, api.url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already imported" not in second.stdout
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3
    assert archived(beta, "done") == ["credits.csv"]
    # both passes fall in one night: its summary holds the file twice, night 2's entry last
    night_2 = [f for f in summaries(work)[-1]["files"] if f["file"] == "credits.csv"][-1]
    assert night_2["state"] == "imported"
    assert night_2["creditors"] == [OTHER_CREDITOR]


def test_rows_naming_their_own_creditor_are_already_imported_wherever_the_file_moves(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    rows = [f"{OTHER_CREDITOR},OT-000{n},1{n}.00,KF-OWN-{n}" for n in range(1, 4)]
    data = ("creditor,invoice_number,amount,credit_invoice\n" + "\n".join(rows) + "\n").encode()
    (inbox / "credits.csv").write_bytes(data)
    first = run_drop(work, inbox, api.url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3

    beta = _beta(inbox)
    (beta / "credits.csv").write_bytes(data)
    second = run_drop(work, inbox, api.url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already imported" in second.stdout
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3  # nothing credited twice
    assert creditings_of(api.url, CREDITOR) == []
