"""The package's public API does what the CLI does: a Python caller imports a file, reruns an
import, renders its report and lists imports with `importer.run/rerun/render/imports`, against
the sandbox over a real socket and a journal on disk; `run`, `validate` and `rerun` take one
options type and refuse an option they do not take; errors arrive as the documented middle
layer of `importer.errors`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, creditings

import importer
from importer.config import DefaultsConfig, JournalConfig, ReportConfig
from importer.config_load import with_settings
from importer.errors import ConfigError, ImportNotFound, RerunRefused, UsageError
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


def test_a_status_no_import_can_have_is_refused_not_an_empty_list(
    tmp_path: Path, api: Sandbox
) -> None:
    """`imports(status=…)` filters by "open" or "finished": a caller's "Open" or "closed" would
    list nothing and read as "no open imports" while some are open."""
    config = make_config(tmp_path, api)
    for status in ("Open", "closed"):
        with pytest.raises(importer.ConfigError) as caught:
            importer.imports(config, status=status)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"status {status!r}: an import's status is 'open' or 'finished'"
        )


def test_a_plain_event_as_the_stop_is_refused_before_anything_is_written(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `threading.Event` tells nobody when it is set: the answer in flight would not be cut
    short. Refused in one line before the file is read — it ended in a raw AttributeError
    with the import created, open, and no report."""
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    for call in (
        lambda: importer.run(config, [SAMPLE], stop=threading.Event()),  # type: ignore[arg-type]
        lambda: importer.rerun(config, "20990101-000000-deadbeef", stop=threading.Event()),  # type: ignore[arg-type]
    ):
        with pytest.raises(importer.ConfigError) as caught:
            call()
        assert str(caught.value) == (
            "stop: a threading.Event tells no one it was set; pass an importer.StopFlag "
            "(an Event that also ends the answer in flight)"
        )
    assert not (tmp_path / "journal.sqlite").exists()


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


def test_validate_is_a_run_with_dry_run_whatever_the_options_say(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    (checked,) = importer.validate(config, [SAMPLE], importer.RunOptions(dry_run=False))
    assert checked.report is not None
    assert checked.report.dry_run
    assert (tmp_path / "reports" / checked.import_id / "report.json").is_file()
    assert creditings(api) == []


def test_rerun_takes_the_options_a_run_takes(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    (result,) = importer.run(config, [SAMPLE])
    assert result.import_id is not None
    credited = len(creditings(api))

    plan = importer.rerun(config, result.import_id, importer.RunOptions(dry_run=True))
    assert plan.import_id == result.import_id
    assert plan.report is None  # a plan: no report written again
    assert plan.message is not None
    assert "row 6" in plan.message  # what would be sent, and what not: the invalid row
    with pytest.raises(RerunRefused) as refused:
        importer.rerun(config, result.import_id, importer.RunOptions(creditor="f" * 24))
    assert "f" * 24 in str(refused.value)
    assert len(creditings(api)) == credited  # neither sent anything


def test_an_option_the_command_does_not_take_is_refused_naming_it(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMILI_API_KEY", api.api_key)
    config = make_config(tmp_path, api)
    with pytest.raises(ConfigError) as caught:
        importer.run(config, [SAMPLE], importer.RunOptions(fix=tmp_path / "fixed.csv", by="Bo"))
    assert str(caught.value) == "run does not take fix, by"
    with pytest.raises(ConfigError) as caught:
        importer.validate(config, [SAMPLE], importer.RunOptions(by="Bo"))
    assert str(caught.value) == "run does not take by"
    with pytest.raises(ConfigError) as caught:
        importer.rerun(
            config, "20990101-000000-deadbeef", importer.RunOptions(all_or_nothing=True, force=True)
        )
    assert str(caught.value) == "rerun does not take all_or_nothing, force"
    assert caught.value.exit_code is importer.ExitCode.USAGE
    assert not (tmp_path / "reports").exists()  # refused before anything was opened
    assert not (tmp_path / "journal.sqlite").exists()
    assert creditings(api) == []
