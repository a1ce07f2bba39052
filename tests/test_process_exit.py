"""A command's process ends with what it opened closed by the code that opened it: the cyclic
collector is frozen when the command returns (`importer.__main__.command`), so nothing is left
to a finaliser at the interpreter's exit. A SQLite connection left to one would keep its -wal
and -shm beside the journal or the embedded sandbox's database; a report file its `.tmp`.
Real processes (`python -m importer`, as the `importer` command ends), the embedded sandbox,
the journal in SQLite on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli_support import SAMPLE, importer_process


def _left_open(workdir: Path) -> list[str]:
    return sorted(
        str(path.relative_to(workdir))
        for path in workdir.rglob("*")
        if path.name.endswith(("-wal", "-shm", "-journal", ".tmp"))
    )


def test_every_command_of_a_night_leaves_no_journal_sandbox_or_report_file_half_closed(
    workdir: Path,
) -> None:
    shutil.copy(SAMPLE, workdir / "credits.csv")
    inbox = workdir / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "second.csv")
    (inbox / "second.csv.done").touch()
    commands = [
        ("validate", "credits.csv"),
        ("run", "credits.csv"),
        ("drop", str(inbox)),
        ("imports",),
        ("run", "credits.csv"),  # already imported: the journal read, nothing written
    ]
    for command in commands:
        done = importer_process(workdir, *command)
        assert done.returncode in (0, 1), (command, done.stderr)
        assert _left_open(workdir) == [], command
    assert (workdir / "sandbox.sqlite").is_file()  # the embedded sandbox served the runs
