"""The pipeline used as a library (the CLI is only a shell over it), against the sandbox over
a real socket and a journal on disk."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, creditings

from importer.api.target import Target
from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.config_load import with_settings
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.outcomes import Outcome
from importer.pipeline import Importer, RunOptions
from importer.pipeline.intake import JOURNAL_BLOCK_ROWS
from importer.pipeline.reference import is_generated
from importer.report import ReportRow
from importer.sandbox import Sandbox
from importer.stopping import StopFlag


def make_config(tmp_path: Path) -> Config:
    return Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )


def test_a_python_caller_imports_a_file(tmp_path: Path, api: Sandbox) -> None:
    config = make_config(tmp_path)
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target(api.url, api.url, api.api_key, False))
        result = importer.run_file(SAMPLE)
        importer.close()
    assert result.exit_code is ExitCode.ATTENTION
    assert result.report is not None
    assert result.report.summary.outcomes["credited"] == 5
    assert result.report_paths["json"].is_file()


SETTLE = 3.0
"""The settle time of the resumed-run test: long enough that posting the next row cannot
outlast it even on a loaded machine."""


def test_a_resumed_run_lets_a_request_in_flight_settle_before_looking_it_up(
    tmp_path: Path, api: Sandbox
) -> None:
    """A row left `unknown` by a killed run is not looked up before the settle time (here
    `api.read_timeout`) has passed since its request left; meanwhile the rows of other cases
    are posted, and the later rows of its own case wait for it (importer.lanes: a held row).
    Posted again, it is settled once more before the last lookup (stored late twice?)."""
    config = make_config(tmp_path)
    # settle_seconds 0: never below read_timeout, so the settle time is SETTLE
    config = with_settings(config, {"api.read_timeout": SETTLE, "api.settle_seconds": 0.0})
    target = Target(api.url, api.url, api.api_key, False)
    stop = StopFlag()
    stop.set()  # the first run stops before posting anything
    with Journal(config.journal.path) as journal:
        first = Importer(config, journal, target, stop=stop)
        assert first.run_file(SAMPLE).exit_code is ExitCode.INCOMPLETE
        import_id = journal.imports.all()[0].id
        journal.rows.mark_intent(import_id, 2)  # as if killed while row 2's request was in flight
        sent = journal.rows.get(import_id, 2).intent_at  # type: ignore[union-attr]
        assert sent is not None

        second = Importer(config, journal, target)
        result = second.run_file(SAMPLE)  # the same command again resumes the import
        second.close()
        finished = datetime.now(UTC)
        assert result.import_id == import_id
        final = journal.rows.get(import_id, 2)
        assert final is not None
        assert final.outcome is Outcome.CREDITED
        resent = final.intent_at  # when the second request left: the settle counts from it
        assert resent is not None
        at = {
            row: datetime.fromisoformat(attempts[-1][0])
            for row, attempts in journal.history.attempts(import_id).items()
        }
    # Lower bounds: they hold however loaded the machine is. The second is counted from when
    # the request left, not from its attempt (noted once the answer came, which may be
    # milliseconds later); the waits run on the monotonic clock, these on the wall clock, so
    # a few milliseconds of slew are allowed.
    assert (at[2] - sent).total_seconds() >= SETTLE  # looked up (and posted) only once settled
    assert (finished - resent).total_seconds() >= SETTLE - 0.005  # the credited-twice lookup
    # Another case went ahead while row 2 was held: row 3 is the next row to post and has
    # all of SETTLE to do it. (Whether the file's last case also did depends on the speed
    # of the machine, not on the importer: not asserted.)
    assert at[3] < at[2]
    assert len(creditings(api)) == 5


def test_a_large_dry_run_streams_its_rows_into_the_report_files(tmp_path: Path) -> None:
    # More rows than one RowBlock holds: the rows go from validation into report.json and
    # report.csv block by block; the result carries the summary, not the rows.
    config = with_settings(make_config(tmp_path), {"report.formats": ["json", "csv"]})
    data = tmp_path / "credits.csv"
    lines = ["invoice_number;amount;credit_invoice"]
    lines += [f"F{i};{i % 900 + 1},50;K{i}" for i in range(12_001)]
    lines[7] = "F6;0;K6"  # invalid
    lines[9000] = "F17;18,50;K17"  # duplicate of row 19 (same credit note, amount, case)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target("sandbox", None, None, True))
        result = importer.run_file(data, RunOptions(dry_run=True))
    assert result.report is not None
    assert result.report.rows == []
    assert result.report.summary.rows == 12_001
    assert result.report.summary.outcomes["invalid"] == 1
    assert result.report.summary.outcomes["duplicate"] == 1
    text = result.report_paths["json"].read_text(encoding="utf-8")
    rows = json.loads(text)["rows"]
    assert [r["row"] for r in rows] == list(range(2, 12_003))
    assert rows[6]["outcome"] == "invalid"
    assert rows[8999]["outcome"] == "duplicate"
    assert rows[9]["request"]["amount"] == 10.5
    assert rows[9]["source"]["amount"] == "10,50"
    for line in text.splitlines()[1:-1]:
        row = json.loads(line.removesuffix(","))
        assert ReportRow.model_validate(row).model_dump_json(by_alias=True) == line.removesuffix(
            ","
        )
    with result.report_paths["csv"].open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))  # the source's dialect
    assert len(table) == 12_002
    assert table[9000][:3] == ["F17", "18,50", "K17"]
    assert table[9000][4] == "duplicate"


def test_a_dry_run_names_credit_notes_already_credited_and_repeated(
    tmp_path: Path, api: Sandbox
) -> None:
    # A dry run credits nothing, so its duplicates come from the journal (an earlier import
    # to the same API) and from earlier rows of the file itself, per creditor.
    config = make_config(tmp_path)
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target(api.url, api.url, api.api_key, False))
        first = importer.run_file(SAMPLE)
        assert first.report is not None
        assert first.report.summary.outcomes["credited"] == 5
        credited = {
            r.request["credit_invoice"]: r.row
            for r in journal.rows.all(first.import_id, [Outcome.CREDITED])
            if r.request and r.request.get("credit_invoice")
        }
        note, row = next(iter(credited.items()))
        original = journal.rows.get(first.import_id, row).request  # type: ignore[union-attr]
        assert original is not None
        invoice, amount = original["invoice_number"], str(original["amount"]).replace(".", ",")
        other = "0123456789abcdef01234567"
        data = tmp_path / "next.csv"
        data.write_text(
            "invoice_number;amount;credit_invoice;creditor\n"
            f"F-9001;10,00;NEW-1;{CREDITOR}\n"
            f"{invoice};{amount};{note};{CREDITOR}\n"  # credited by the first import
            f"F-9001;10,00;NEW-1;{CREDITOR}\n"  # repeats row 2
            f"F-9004;13,00;NEW-1;{other}\n"  # another creditor's credit note
            "F-9005;14,00;;\n"
            f"F-9003;12,00;NEW-1;{CREDITOR}\n",  # row 2's credit note, another amount
            encoding="utf-8",
        )
        result = importer.run_file(data, RunOptions(dry_run=True))
        plain = tmp_path / "plain.csv"  # one creditor, no repeats: only the journal knows
        plain.write_text(
            f"invoice_number;amount;credit_invoice\n{invoice};{amount};{note}\n", "utf-8"
        )
        again = importer.run_file(plain, RunOptions(dry_run=True))
        assert again.report is not None
        assert again.report.summary.outcomes["duplicate"] == 1
    assert creditings(api)
    assert len(creditings(api)) == 5
    rows = json.loads(result.report_paths["json"].read_text(encoding="utf-8"))["rows"]
    assert [r["outcome"] for r in rows] == [
        "not_sent", "duplicate", "duplicate", "not_sent", "not_sent", "invalid"
    ]  # fmt: skip
    assert rows[5]["errors"][0]["code"] == "credit_invoice_conflict"
    assert "for 10.00 (row 2); this row says 12.00" in rows[5]["errors"][0]["message"]
    assert rows[1]["errors"][0]["message"].endswith(
        f"already credited (import {first.import_id} row {row}); not sent again."
    )
    assert "(row 2)" in rows[2]["errors"][0]["message"]
    generated = [r["request"]["creditor_reference"] for r in rows]
    # Derived from each row's content and its occurrence (rows 2 and 4 are identical: two
    # credits, two references), never from the import id.
    assert all(is_generated(ref) and result.import_id not in ref for ref in generated)
    assert len(set(generated)) == len(generated)


def test_reports_render_from_the_journal_block_by_block_as_from_models(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large import's report is streamed from the journal in blocks; whatever the block
    # size, the files equal those rendered from the whole report as models.
    from importer.report import render as report_builder
    from importer.report import write_reports
    from importer.report.settings import ReportSettings, SourceDialect

    config = with_settings(make_config(tmp_path), {"report.formats": ["json", "csv"]})
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target(api.url, api.url, api.api_key, False))
        import_id = importer.run_file(SAMPLE).import_id
        importer.close()
        assert import_id is not None
        monkeypatch.setattr(report_builder, "BLOCK_ROWS", 3)  # 8 rows: three blocks
        dialect = SourceDialect(*journal.notes.source_dialect(import_id))
        assert dialect == SourceDialect(";", ",")  # samples/credits.csv: `;`, decimal commas
        settings = ReportSettings(source=dialect)
        head, streamed = report_builder.render_from_journal(
            journal, import_id, tmp_path / "streamed", ["json", "csv"], settings
        )
        whole = report_builder.build_report(journal, import_id)
        modelled = write_reports(whole, tmp_path / "modelled", ["json", "csv"], None, settings)
    assert head.rows == []
    assert head.summary == whole.summary
    for fmt in ("json", "csv"):
        assert streamed[fmt].read_bytes() == modelled[fmt].read_bytes()


@pytest.mark.slow
def test_every_row_of_a_file_larger_than_a_block_is_journaled_with_its_own_request(
    tmp_path: Path, api: Sandbox
) -> None:
    # An import's requests are made a block of rows at a time as they are stored: across the
    # blocks' edges each row keeps its own cells, request and verdict, and none is lost.
    count = 2 * JOURNAL_BLOCK_ROWS + 3
    bad = {JOURNAL_BLOCK_ROWS - 1, JOURNAL_BLOCK_ROWS, 2 * JOURNAL_BLOCK_ROWS + 1}
    data = tmp_path / "credits.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["invoice_number", "amount", "credit_invoice", "creditor_reference"])
        for i in range(count):
            amount = "oops" if i in bad else f"{i % 997 + 1}.{i % 100:02d}"
            writer.writerow([f"INV-{i}", amount, f"KF-{i}", f"REF-{i}"])
    config = make_config(tmp_path)
    stop = StopFlag()
    stop.set()  # stopped before posting: the rows stay as intake journaled them
    with Journal(config.journal.path) as journal:
        importer = Importer(
            config, journal, Target(api.url, api.url, api.api_key, False), stop=stop
        )
        assert importer.run_file(data).exit_code is ExitCode.INCOMPLETE
        importer.close()
        (record,) = journal.imports.all()
        rows = journal.rows.all(record.id)
    assert [r.row for r in rows] == list(range(2, count + 2))
    for index, stored in enumerate(rows):
        invoice, amount, credit_note, reference = stored.source
        assert invoice == f"INV-{index}"
        if index in bad:
            assert stored.outcome is Outcome.INVALID
            assert stored.request is None
            assert [e.code for e in stored.errors] == ["amount_not_a_number"]
            continue
        assert stored.outcome is Outcome.NOT_SENT
        assert stored.request is not None
        assert stored.request["invoice_number"] == invoice
        assert stored.request["amount"] == Decimal(amount)
        assert stored.request["credit_invoice"] == credit_note
        assert stored.request["creditor_reference"] == reference
        assert stored.request["creditor"] == CREDITOR
