"""A creditor's folder settings come from the operator, never from whoever uploads into the
folder: its `config.yaml` is honoured only when the importer's user (or root) owns it, nobody
else may write it and it has no other name (a hard link to another creditor's settings);
else the folder is refused with one line and its files wait. The settings may instead live in
the main configuration (`drop.folders: {acme: {…}}`). Either way a folder may change only
`defaults`, `columns`, `input` and `drop.ready`/`drop.settle_seconds`: never where reports
go, nor the API, the journal or the dedupe rules.

Tests run as root here: ownership by another user is made with `os.chown`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from drop_support import (
    OTHER_CREDITOR,
    THEIRS,
    archived,
    creditings_of,
    run_drop,
    setup_work,
)
from pipeline.exactly_once_support import CREDITOR, stored_total, write_credits

from importer.sandbox import Sandbox


def _acme(inbox: Path, settings: str | None = f"defaults:\n  creditor: {OTHER_CREDITOR}\n") -> Path:
    acme = inbox / "acme"
    acme.mkdir()
    if settings is not None:
        (acme / "config.yaml").write_text(settings, encoding="utf-8")
    write_credits(acme / "theirs.csv", THEIRS, 3, seed=21)
    return acme


def _refused(done, acme: Path, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 2, done.stdout + done.stderr
    # the night's summary so far: this pass's refusal is its last word on acme
    line = [line for line in done.stdout.splitlines() if "acme: not processed" in line][-1]
    for word in words:
        assert word in line, line
    assert (acme / "theirs.csv").exists()  # the files wait
    assert not (acme / "processing").exists()


def test_a_folder_config_anyone_else_may_write_is_refused_and_its_files_wait(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    acme = _acme(inbox)
    for bits, words in ((0o664, "writable by its group"), (0o646, "writable by every user")):
        (acme / "config.yaml").chmod(bits)
        _refused(run_drop(work, inbox, api.url), acme, "config.yaml", words)
    assert stored_total(api.url) == 0
    (acme / "config.yaml").chmod(0o644)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3


def test_a_folder_config_owned_by_another_user_is_refused(tmp_path: Path, api: Sandbox) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    work, inbox = setup_work(tmp_path)
    acme = _acme(inbox)
    os.chown(acme / "config.yaml", 4242, -1)
    _refused(run_drop(work, inbox, api.url), acme, "owned by user 4242", "not by the importer's")
    assert stored_total(api.url) == 0


def test_a_folder_config_that_is_a_hard_link_is_refused(tmp_path: Path, api: Sandbox) -> None:
    """An uploader who may write into acme/ links another creditor's settings in: owner and
    mode are the operator's, but whose they are is not acme's to say."""
    work, inbox = setup_work(tmp_path)
    beta = inbox / "beta"
    beta.mkdir()
    (beta / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    acme = _acme(inbox, settings=None)
    os.link(beta / "config.yaml", acme / "config.yaml")
    _refused(run_drop(work, inbox, api.url), acme, "other names (hard links)")
    assert stored_total(api.url) == 0


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ("report:\n  dir: /tmp/elsewhere\n", "report"),
        ("journal:\n  path: own.sqlite\n", "journal"),
        ("api:\n  base_url: http://127.0.0.1:9\n", "api"),
        ("dedupe:\n  repeats: allow\n", "dedupe"),
        ("drop:\n  folders: {}\n", "drop.folders"),
    ],
)
def test_a_folder_may_not_redirect_reports_or_name_the_api_journal_or_dedupe(
    tmp_path: Path, api: Sandbox, section: str, named: str
) -> None:
    work, inbox = setup_work(tmp_path)
    acme = _acme(inbox, f"defaults:\n  creditor: {OTHER_CREDITOR}\n" + section)
    _refused(
        run_drop(work, inbox, api.url),
        acme,
        f"a folder may not set {named}",
        "defaults, columns, input, drop.ready, drop.settle_seconds",
    )
    assert stored_total(api.url) == 0


def _main_config(work: Path, **folders: object) -> None:
    config = work / "config.yaml"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["drop"]["folders"] = folders
    config.write_text(json.dumps(data), encoding="utf-8")


def test_folder_settings_in_the_main_configuration_need_no_file_in_the_folder(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    _main_config(work, acme={"defaults": {"creditor": OTHER_CREDITOR}})
    acme = _acme(inbox, settings=None)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3
    assert creditings_of(api.url, CREDITOR) == []
    assert archived(acme, "done") == ["theirs.csv"]


def test_a_folder_config_beside_main_folder_settings_is_refused(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    _main_config(work, acme={"defaults": {"creditor": OTHER_CREDITOR}})
    acme = _acme(inbox, f"defaults:\n  creditor: {CREDITOR}\n")
    _refused(run_drop(work, inbox, api.url), acme, "drop.folders.acme", "config.yaml")
    assert stored_total(api.url) == 0


@pytest.mark.parametrize(
    ("folders", "words"),
    [
        ({"acme": {"report": {"dir": "/tmp/x"}}}, "a folder may not set report"),
        ({"acme": {"input": {"delimiter": "x"}}}, "drop.folders.acme.input.delimiter"),
        ({"../acme": {"input": {}}}, "'../acme' is not a folder name"),
    ],
)
def test_main_folder_settings_are_checked_when_the_configuration_is_loaded(
    tmp_path: Path, api: Sandbox, folders: dict[str, object], words: str
) -> None:
    work, inbox = setup_work(tmp_path)
    _main_config(work, **folders)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr
