"""Two importers sharing a journal never credit one credit note twice.

`importer run d.csv & importer run e.csv` — different bytes, the same 10 credit notes, an API
answering in 300 ms: each importer checked "already credited?" before the other had credited,
and both credited all 10. Claiming a credit note is now one transaction with the row's
intent, so whichever importer claims a note first sends it and the other marks its row
`duplicate`.

Real parts: two importer processes at once, the sandbox as its own process with latency,
one journal file in SQLite on disk; the API's creditings are the judge."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from exactly_once_support import (
    all_creditings,
    kill,
    reports,
    run_until_done,
    sandbox_process,
    start_importer,
    write_cases,
    write_config,
)

NOTES = [f"KF-{n:03d}" for n in range(1, 11)]


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [1, 8])
def test_two_importers_sharing_a_journal_credit_each_credit_note_once(
    tmp_path: Path, lanes: int
) -> None:
    # With 8 lanes each importer has several notes in flight at once (they are spread over
    # two cases), so the claims race within a process as well as across the two.
    cases = tmp_path / "cases.json"
    invoices = write_cases(cases, 2)
    write_config(tmp_path, posting={"lanes": lanes})
    d = tmp_path / "d.csv"
    e = tmp_path / "e.csv"
    d.write_text(
        "invoice_number,amount,credit_invoice\n"
        + "".join(f"{invoices[n % 2]},10.00,{note}\n" for n, note in enumerate(NOTES)),
        encoding="utf-8",
    )
    e.write_text(  # other bytes (another column order), the same credits
        "credit_invoice,invoice_number,amount\n"
        + "".join(f"{note},{invoices[n % 2]},10.00\n" for n, note in enumerate(NOTES)),
        encoding="utf-8",
    )
    with sandbox_process(tmp_path, cases=cases, latency_ms=300) as url:
        first = start_importer(tmp_path, d, url)
        second = start_importer(tmp_path, e, url)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
        codes = [first.returncode, second.returncode]
        creditings = all_creditings(url)
    assert codes == [0, 0], outputs
    per_note = Counter(c["credit_invoice"] for c in creditings)
    assert per_note == Counter(NOTES), f"credited more than once: {per_note}"
    outcomes: Counter[str] = Counter()
    for path in reports(tmp_path):
        report = json.loads(path.read_text(encoding="utf-8"))
        outcomes.update(r["outcome"] for r in report["rows"])
        for row in report["rows"]:
            if row["outcome"] == "duplicate":
                assert row["errors"][0]["code"] == "credit_invoice_already_credited"
    assert outcomes == {"credited": 10, "duplicate": 10}


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.4, 0.9, 1.3])
def test_an_importer_killed_mid_run_beside_another_leaves_each_credit_note_credited_once(
    tmp_path: Path, after: float
) -> None:
    """Two importers sharing a journal, 8 lanes, the same credit notes: the first is killed
    (SIGKILL) mid-run, its claims left on rows in flight. The second finds the first's
    creditings before posting under its own content references while those claims stand;
    the claim decides — and the killed importer's command, run again, finishes. Each note
    credited once."""
    cases = tmp_path / "cases.json"
    invoices = write_cases(cases, 2)
    write_config(tmp_path, posting={"lanes": 8})
    d = tmp_path / "d.csv"
    e = tmp_path / "e.csv"
    d.write_text(
        "invoice_number,amount,credit_invoice\n"
        + "".join(f"{invoices[n % 2]},10.00,{note}\n" for n, note in enumerate(NOTES)),
        encoding="utf-8",
    )
    e.write_text(
        "credit_invoice,invoice_number,amount\n"
        + "".join(f"{note},{invoices[n % 2]},10.00\n" for n, note in enumerate(NOTES)),
        encoding="utf-8",
    )
    with sandbox_process(tmp_path, cases=cases, latency_ms=300) as url:
        first = start_importer(tmp_path, d, url, to_be_killed=True)
        time.sleep(after)
        second = start_importer(tmp_path, e, url)
        time.sleep(0.3)
        kill(first)
        second.communicate(timeout=120)
        run_until_done(tmp_path, d, url)
        run_until_done(tmp_path, e, url)
        creditings = all_creditings(url)
    per_note = Counter(c["credit_invoice"] for c in creditings)
    assert per_note == Counter(NOTES), f"credited more than once: {per_note}"
