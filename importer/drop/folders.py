"""A creditor's folder's settings, and whose word they are.

A creditor's inbox (`INBOX/acme/`) is the folder the creditor's upload account writes to.
Settings read from a `config.yaml` there could be the uploader's: naming another creditor (its
files then credited to that creditor's cases wherever invoice numbers match), pointing reports
elsewhere, switching dedupe off. So a folder's settings must come from the operator:

* from the main configuration, `drop.folders: {acme: {…}}` — no file in the folder at all;
* or from the folder's `config.yaml`, honoured only when the importer's user (or root) owns
  it, neither its group nor other users may write it, and it has no other name (a hard link
  to another creditor's settings keeps their owner and mode). It is opened once, without
  following a link, and checked and read through that one open file, so it cannot be swapped
  between the check and the read.

Anything else refuses the folder with one line; its files wait. Both at once are refused too:
two statements of one folder's settings. Either way a folder may change only
`config_drop.FOLDER_SETTINGS` (whose files these are and how they read), never where reports go,
nor the API, the journal, the dedupe rules, reconciliation or references.

`inbox_config` is what a drop reads an inbox by: the main configuration with the folder's
settings laid over it; on a server journal, files ready by marker only (`ready_by_marker`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from importer.config import Config
from importer.config_drop import folder_problem
from importer.config_load import read_mapping, validated
from importer.drop.inbox import Inbox
from importer.errors import ConfigError

MAX_SETTINGS_BYTES = 1024 * 1024
"""A folder's settings are a few lines; a larger config.yaml is no settings file."""


def read_folder_settings(path: Path) -> str:
    """The text of a folder's `config.yaml`, when its owner and mode make it the operator's
    (see the module docstring); ConfigError, one line naming the file, otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); its files wait") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_trusted(path, info)
        data = handle.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        raise ConfigError(f"{path}: larger than a settings file can be; its files wait")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (save it as UTF-8): {exc.reason}") from None


def _check_trusted(path: Path, info: os.stat_result) -> None:
    own = os.geteuid()
    fix = (
        "whoever uploads into the folder must not choose its settings; put them in "
        "drop.folders of the main configuration, or"
    )
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: not a regular file; its files wait")
    if info.st_uid not in (own, 0):
        raise ConfigError(
            f"{path}: owned by user {info.st_uid}, not by the importer's ({own}) or root — "
            f"{fix} give the file to the importer's user (chown); its files wait"
        )
    for bit, who in ((stat.S_IWOTH, "every user"), (stat.S_IWGRP, "its group")):
        if info.st_mode & bit:
            raise ConfigError(
                f"{path}: writable by {who} — {fix} let only its owner write it "
                f"(chmod go-w {path}); its files wait"
            )
    if info.st_nlink > 1:
        raise ConfigError(
            f"{path}: has other names (hard links), so its settings may be another folder's; "
            "make it a file of its own; its files wait"
        )


def overlay_config(
    base: Config,
    path: Path,
    *,
    creditor_said: bool = False,
    creditor: str | None = None,
    text: str | None = None,
) -> Config:
    """`base` with the settings of the YAML file at `path` (or its `text`, read by
    `read_folder_settings`) laid over it: see `folder_config`."""
    data = read_mapping(path, text)
    return folder_config(base, path, data, creditor_said=creditor_said, creditor=creditor)


def folder_config(
    base: Config,
    source: Path,
    data: dict[str, Any],
    *,
    creditor_said: bool = False,
    creditor: str | None = None,
) -> Config:
    """`base` with a creditor's folder settings `data` (from `source`: its config.yaml, or
    `drop.folders.NAME`) laid over it, section by section. Only `FOLDER_SETTINGS` may be
    set: anything else is refused, never ignored.

    `creditor_said` (a creditor's inbox): when `base` has a default creditor, the overlay must
    say its own (`defaults.creditor`, null for rows that name theirs) — inherited, it would
    credit this inbox's files to `base`'s creditor, wherever its invoice numbers match.
    `creditor` (the drop's `--creditor`) says it instead; an overlay naming another creditor
    is refused: two statements of whose files these are that disagree."""
    problem = folder_problem(data)
    if problem is not None:
        raise ConfigError(f"{source}: {problem}; its files wait")
    defaults = data.get("defaults")
    says = isinstance(defaults, dict) and "creditor" in defaults
    inherited = base.defaults.creditor
    if creditor is None and creditor_said and inherited and not says:
        raise ConfigError(
            f"{source}: names no creditor (defaults.creditor), so its files would be credited "
            f"to the main configuration's creditor {inherited}; name this inbox's creditor "
            "(its files wait)"
        )
    config = validated(source, data, base.model_dump(mode="python"))
    own = config.defaults.creditor
    if creditor is not None and says and own is not None and own != creditor:
        raise ConfigError(
            f"{source}: names creditor {own}, but --creditor is {creditor}; make them agree "
            "(its files wait)"
        )
    return config


def inbox_config(main: Config, inbox: Inbox, named: str | None) -> Config:
    """The configuration of one inbox: the main one, with a creditor's folder settings laid
    over it — from `drop.folders`, or from a config.yaml the operator's (`drop.folders`
    module) — which must name its creditor, or agree with `named` (the drop's --creditor),
    and may change only what a folder may — on a server journal, not away from `marker`."""
    config = _folder_config(main, inbox, named)
    ready_by_marker(config, str(inbox.overlay or f"drop.folders.{inbox.path.name}"))
    return config


def _folder_config(main: Config, inbox: Inbox, named: str | None) -> Config:
    """The main configuration with the folder's own settings laid over it, if it has any."""
    settings = main.drop.folders.get(inbox.path.name) if inbox.named else None
    if settings is not None and inbox.overlay is not None:
        raise ConfigError(
            f"{inbox.overlay}: this folder's settings are in drop.folders.{inbox.path.name} "
            "of the main configuration; remove its config.yaml (two statements of one "
            "folder's settings; its files wait)"
        )
    if settings is not None:
        source = Path(f"drop.folders.{inbox.path.name}")
        return folder_config(main, source, settings, creditor_said=True, creditor=named)
    if inbox.overlay is None:
        return main
    text = read_folder_settings(inbox.overlay)
    return overlay_config(main, inbox.overlay, creditor_said=True, creditor=named, text=text)


def ready_by_marker(config: Config, where: str) -> None:
    """A journal on a server (`journal.url`) is what lets several hosts drain one inbox, and
    no host sees the processes of another writing a file there: `stable` would take a file
    an uploader on another host still writes, whose rows written after the claim are lost.
    Only the sender's marker says a file is finished, so only `marker` is allowed."""
    if config.journal.url is not None and config.drop.ready != "marker":
        raise ConfigError(
            f"drop.ready is {config.drop.ready} in {where}, but the journal is on a server "
            "(journal.url), so other hosts may drain this inbox and a file still being "
            "written from another machine would look finished here; set drop.ready: marker "
            "(the sender writes <name>.done or <name>.ok once the file is complete)"
        )
