"""The package's public API does what the CLI does: a Python caller imports a file, reruns an
import, renders its report and lists imports with `importer.run/rerun/render/imports`, against
the sandbox over a real socket and a journal on disk; errors arrive as the documented middle
layer of `importer.errors`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE

import importer
from importer.config import DefaultsConfig, JournalConfig, ReportConfig, with_settings
from importer.errors import ImportNotFound, UsageError
from importer.sandbox import Sandbox


def make_config(tmp_path: Path, api: Sandbox) -> importer.Config:
    config = importer.Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json", "csv"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )
    return with_settings(config, {"api.base_url": api.url})


def test_a_python_caller_does_what_the_cli_does(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    (checked,) = importer.run(config, [SAMPLE], importer.RunOptions(dry_run=True))
    assert checked.report is not None
    assert checked.report.dry_run
    (result,) = importer.run(config, [SAMPLE])
    assert result.import_id is not None
    assert result.report is not None
    assert result.report.summary.outcomes["credited"] == 5
    assert result.exit_code is importer.ExitCode.ATTENTION  # the sample has invalid rows

    again = importer.rerun(config, result.import_id)
    assert again.report is not None
    assert again.report.summary.outcomes["credited"] == 5  # nothing is credited twice

    report, paths = importer.render(config, result.import_id)
    assert report.file_import_report == result.import_id
    assert set(paths) == {"json", "csv"}
    assert all(path.is_file() for path in paths.values())

    listed = importer.imports(config)
    assert [record.id for record, _ in listed][-1] == result.import_id
    assert listed[-1][1][importer.Outcome.CREDITED] == 5


def test_an_unknown_import_is_a_usage_error(tmp_path: Path, api: Sandbox) -> None:
    config = make_config(tmp_path, api)
    with pytest.raises(UsageError) as caught:
        importer.render(config, "20990101-000000-deadbeef")
    assert isinstance(caught.value, ImportNotFound)
    assert caught.value.exit_code is importer.ExitCode.USAGE
    assert "no import 20990101-000000-deadbeef" in str(caught.value)


def test_run_does_its_work_when_called_and_iter_run_when_iterated(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    pending = importer.iter_run(config, [SAMPLE], importer.RunOptions(dry_run=True))
    assert not (tmp_path / "reports").exists()  # nothing done before it is iterated
    (result,) = pending
    assert (tmp_path / "reports" / result.import_id / "report.json").is_file()
    results = importer.run(config, [SAMPLE], importer.RunOptions(dry_run=True))
    assert isinstance(results, list)
    assert len(results) == 1


def test_the_exception_tree_is_exported_from_the_package() -> None:
    from importer import errors

    for name in ("ImporterError", "UsageError", "FileRejected", "RunStopped", "InternalError"):
        assert getattr(importer, name) is getattr(errors, name)
        assert name in importer.__all__
    assert issubclass(importer.ConfigError, importer.UsageError)
