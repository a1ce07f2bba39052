"""The drop's parts as a Python caller uses them: names in the archive never overwrite, a
creditor's config.yaml overlays the main settings (and only the paths it sets are its own), the
inbox lock admits one drop and says who holds it, and `Drop` run in-process logs progress while
a file is posted — the lines a non-TTY scheduler log relies on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import structlog
from pipeline.exactly_once_support import KEY, write_cases, write_credits

import importer
from importer.config import Config
from importer.config_load import load_config, with_settings
from importer.drop.folders import overlay_config
from importer.drop.inbox import InboxBusy, free_name, locked
from importer.errors import ConfigError
from importer.exit_codes import ExitCode
from importer.sandbox import Sandbox


def test_free_name_never_reuses_a_name_of_the_file_or_its_companions(tmp_path: Path) -> None:
    assert free_name(tmp_path, "credits.csv") == tmp_path / "credits.csv"
    (tmp_path / "credits.csv").touch()
    assert free_name(tmp_path, "credits.csv") == tmp_path / "credits-2.csv"
    (tmp_path / "credits-2.csv.reason.txt").touch()  # a companion takes the name too
    assert free_name(tmp_path, "credits.csv") == tmp_path / "credits-3.csv"
    (tmp_path / "README").touch()
    assert free_name(tmp_path, "README") == tmp_path / "README-2"


def test_overlay_replaces_what_it_sets_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "defaults:\n  creditor: main\n  currency: EUR\ncolumns:\n  amount: [Summa]\n"
        "report:\n  dir: reports\n",
        encoding="utf-8",
    )
    base = load_config(tmp_path / "config.yaml")
    sub = tmp_path / "acme"
    sub.mkdir()
    (sub / "config.yaml").write_text(
        "defaults:\n  creditor: acme\ninput:\n  delimiter: ';'\n", encoding="utf-8"
    )
    over = overlay_config(base, sub / "config.yaml")
    assert (over.defaults.creditor, over.defaults.currency) == ("acme", "EUR")
    assert over.input.delimiter == ";"
    assert over.columns == {"amount": ["Summa"]}
    assert over.report.dir == tmp_path.resolve() / "reports"  # the main one, not acme/reports
    (sub / "config.yaml").write_text("report:\n  dir: own\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="a folder may not set report"):
        overlay_config(base, sub / "config.yaml")  # a folder never redirects reports


def test_a_bad_overlay_is_one_line_naming_file_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("drop:\n  ready: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        overlay_config(Config(), path)
    assert str(path) in caught.value.message
    assert "drop.ready" in caught.value.message


def test_the_inbox_lock_admits_one_holder_and_names_it(tmp_path: Path) -> None:
    with locked(tmp_path, "first drop"):
        with pytest.raises(InboxBusy) as busy, locked(tmp_path, "second drop"):
            pass  # pragma: no cover - never entered
        assert "first drop" in busy.value.holder
    with locked(tmp_path, "third drop"):
        pass


def test_drop_in_process_logs_progress_while_a_file_is_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = tmp_path / "cases.json"
    write_cases(cases, 10)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_credits(inbox / "credits.csv", [f"EO-{n:04d}" for n in range(1, 11)], 150, seed=1)
    config = Config.model_validate(
        {
            "defaults": {"creditor": "5f1a2b3c4d5e6f7a8b9c0d1e"},
            "report": {"dir": str(tmp_path / "reports")},
            "journal": {"path": str(tmp_path / "journal.sqlite")},
            "drop": {"settle_seconds": 0},
        }
    )
    printed: list[str] = []
    with Sandbox(cases_path=cases, api_key=KEY, latency_ms=5) as api:
        config = with_settings(config, {"api.base_url": api.url})
        monkeypatch.setenv("AMILI_API_KEY", KEY)
        drop = importer.Drop(
            inbox, config, importer.DropOptions(heartbeat=0.1), printer=printed.append
        )
        with structlog.testing.capture_logs() as logs:
            code = drop.run()
    assert code == ExitCode.OK
    beats = [e for e in logs if e["event"] == "drop.progress"]
    assert len(beats) >= 3, [e["event"] for e in logs]
    assert any(e.get("posted", 0) > 0 and e.get("of") == 150 for e in beats)
    assert "credits.csv" in printed[0]
    assert "credited 150" in printed[0]
    assert not [t for t in threading.enumerate() if t.name == "drop-heartbeat"]


def test_a_long_watch_keeps_what_is_registered_with_its_stop_constant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`drop --watch` runs for weeks: each pass connects clients (posting, reading statuses
    back) that register with the stop to have their answer in flight cut short. Closed, they
    must unregister — else after N files N closed clients stay reachable and the process
    grows without end. Twenty passes of one file each (a leak shows from the second): the
    count after every pass is the same."""
    cases = tmp_path / "cases.json"
    write_cases(cases, 5)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    stop = importer.DropStop()
    passes = 20
    counts: list[tuple[int, int]] = []

    def next_file(summary: str) -> None:
        assert "credited 2" in summary, summary
        counts.append((stop.files.registered, stop.rows.registered))
        if len(counts) == passes:
            stop.files.set()
            return
        write_credits(
            inbox / f"credits-{len(counts)}.csv", ["EO-0001", "EO-0002"], 2, seed=len(counts)
        )

    with Sandbox(cases_path=cases, api_key=KEY) as api:
        config = Config.model_validate(
            {
                "api": {"base_url": api.url},
                "defaults": {"creditor": "5f1a2b3c4d5e6f7a8b9c0d1e"},
                "report": {"dir": str(tmp_path / "reports"), "formats": ["json"]},
                "journal": {"path": str(tmp_path / "journal.sqlite")},
                "drop": {"settle_seconds": 0, "interval": 0.01},
            }
        )
        monkeypatch.setenv("AMILI_API_KEY", KEY)
        write_credits(inbox / "credits-0.csv", ["EO-0001", "EO-0002"], 2, seed=0)
        drop = importer.Drop(
            inbox,
            config,
            importer.DropOptions(watch=True),
            stop=stop,
            printer=next_file,
        )
        code = drop.run()
    assert code == ExitCode.OK
    assert len(counts) == passes
    assert set(counts) == {counts[0]}, counts
    assert len(list((inbox / "done").rglob("*.csv"))) == passes
