"""The pipeline used as a library (the CLI is only a shell over it), against the sandbox over
a real socket and a journal on disk."""

from __future__ import annotations

import threading
from pathlib import Path

from cli_support import CREDITOR, SAMPLE, creditings

from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.outcomes import Outcome
from importer.pipeline import Importer
from importer.sandbox import Sandbox
from importer.target import Target


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


def test_a_resumed_run_lets_a_request_in_flight_settle_before_looking_it_up(
    tmp_path: Path, api: Sandbox
) -> None:
    config = make_config(tmp_path)
    config.api.read_timeout = 5.0
    target = Target(api.url, api.url, api.api_key, False)
    stop = threading.Event()
    stop.set()  # the first run stops before posting anything
    with Journal(config.journal.path) as journal:
        first = Importer(config, journal, target, stop=stop)
        assert first.run_file(SAMPLE).exit_code is ExitCode.INCOMPLETE
        import_id = journal.imports()[0].id
        journal.mark_intent(import_id, 2)  # as if killed while row 2's request was in flight

        waits: list[float] = []
        second = Importer(config, journal, target, sleep=waits.append)
        result = second.run_file(SAMPLE)  # the same command again resumes the import
        second.close()
        assert len(waits) == 1 and 4.0 < waits[0] <= 5.0
        assert result.import_id == import_id
        assert journal.get_row(import_id, 2).outcome is Outcome.CREDITED  # type: ignore[union-attr]
    assert len(creditings(api)) == 5
