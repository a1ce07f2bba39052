"""`importer backup PATH` writes a consistent copy of the journal while an importer posts:
every copy passes SQLite's integrity check, is one file with nothing beside it, and holds
every row of every import it holds (never half a transaction); an existing PATH is refused
unless `--overwrite`; a restored copy is a journal `importer` works with. Real importer
processes against the sandbox as its own process, the journal on disk."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cli_support import importer as cli
from cli_support import in_process, one_line
from journal.test_journal_errors import damage_schema_text, written_journal
from pipeline.exactly_once_support import (
    importer_env,
    sandbox_process,
    start_importer,
    write_cases,
    write_config,
    write_credits,
)


def _backup(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return in_process(["backup", *args], cwd=workdir, env=importer_env())


def _check(copy: Path) -> tuple[int, int]:
    """(imports, rows) of a backup, after SQLite's integrity check and the journal's own
    promise: every import holds all its rows (they are written in one transaction; a dry
    run keeps none)."""
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        for import_id, rows in db.execute(
            "SELECT id, rows FROM imports WHERE dry_run=0"
        ).fetchall():
            (held,) = db.execute("SELECT count(*) FROM rows WHERE import_id=?", (import_id,))
            assert held == (rows,)
        (imports,) = db.execute("SELECT count(*) FROM imports").fetchone()
        (rows,) = db.execute("SELECT count(*) FROM rows").fetchone()
    return imports, rows


@pytest.mark.slow
def test_backups_taken_while_an_importer_posts_are_consistent(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_config(work)
    invoices = write_cases(tmp_path / "cases.json", 20)
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=5) as url:
        first = write_credits(work / "first.csv", invoices, 30, seed=1)
        second = write_credits(work / "second.csv", invoices, 150, seed=2)
        done = in_process(["run", str(first.path), "--api-url", url], cwd=work, env=importer_env())
        assert done.returncode == 0, done.stderr
        posting = start_importer(work, second.path, url)
        copies = []
        try:
            while posting.poll() is None and len(copies) < 10:
                copy = tmp_path / f"backup-{len(copies)}.sqlite"
                taken = _backup(work, str(copy))
                assert taken.returncode == 0, taken.stderr
                copies.append(copy)
        finally:
            _out, err = posting.communicate(timeout=120)
        assert posting.returncode == 0, err
    assert len(copies) >= 2, "the importer finished before a second backup"
    for copy in copies:
        imports, rows = _check(copy)
        assert imports in (1, 2)
        assert rows == 30 + (150 if imports == 2 else 0)
        assert sorted(p.name for p in copy.parent.glob(copy.name + "*")) == [copy.name]
    assert "backed up to" in taken.stdout


def test_an_existing_file_is_refused_unless_overwrite_is_given(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_config(work)
    (work / "clean.csv").write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    assert in_process(["validate", "clean.csv"], cwd=work, env=importer_env()).returncode == 0
    target = tmp_path / "keep.sqlite"
    target.write_bytes(b"last week's backup")
    refused = _backup(work, str(target))
    assert refused.returncode == 2
    assert one_line(refused.stderr) == (
        f"importer: {target} already exists: choose another name, or give --overwrite to replace it"
    )
    assert target.read_bytes() == b"last week's backup"
    assert _backup(work, "--overwrite", str(target)).returncode == 0
    _check(target)
    assert not list(tmp_path.glob(".keep.sqlite.partial-*"))


def test_a_missing_journal_is_one_line_and_no_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_config(work)
    missing = _backup(work, str(tmp_path / "copy.sqlite"))
    assert missing.returncode == 2
    assert "there is no such file to back up" in one_line(missing.stderr)
    assert not (tmp_path / "copy.sqlite").exists()


def test_a_restored_backup_is_the_journal_importer_works_with(workdir: Path, api) -> None:
    from cli_support import SAMPLE

    cli(workdir, "run", str(SAMPLE), api=api)
    copy = workdir.parent / "copy.sqlite"
    assert cli(workdir, "backup", str(copy)).returncode == 0
    listed = cli(workdir, "imports", "--json").stdout
    (workdir / "j.sqlite").unlink()
    for leftover in workdir.glob("j.sqlite-*"):
        leftover.unlink()
    shutil.copyfile(copy, workdir / "j.sqlite")
    assert cli(workdir, "imports", "--json").stdout == listed


def test_the_journals_own_wal_and_shm_files_are_refused_even_with_overwrite(
    tmp_path: Path,
) -> None:
    """`importer backup journal.sqlite-wal --overwrite` (a tab completion away) would put a
    database where SQLite keeps the journal's last commits: they would be lost. The files
    beside the journal are part of it, like the journal itself."""
    from importer.errors import ConfigError
    from importer.upkeep.backup import backup_journal

    journal = tmp_path / "journal.sqlite"
    writer = sqlite3.connect(journal)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE imports (id TEXT)")
    writer.execute("CREATE TABLE rows (id TEXT)")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.commit()
    writer.execute("INSERT INTO imports VALUES ('last-commit')")
    writer.commit()
    wal = tmp_path / "journal.sqlite-wal"
    try:
        for beside in (wal, tmp_path / "journal.sqlite-shm", tmp_path / "journal.sqlite-journal"):
            with pytest.raises(ConfigError, match="part of the journal"):
                backup_journal(journal, beside, overwrite=True)
        reader = sqlite3.connect(journal)
        assert reader.execute("SELECT id FROM imports").fetchall() == [("last-commit",)]
        reader.close()
    finally:
        writer.close()


def test_a_journal_whose_schema_is_damaged_is_one_line_and_no_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_config(work)
    written_journal(work / "journal.sqlite")
    damage_schema_text(work / "journal.sqlite")
    refused = _backup(work, str(tmp_path / "copy.sqlite"))
    assert refused.returncode == 2
    assert one_line(refused.stderr).startswith(
        f"importer: journal {work / 'journal.sqlite'}: SQLite reports the file damaged ("
    )
    assert "internal error" not in refused.stderr
    assert not (tmp_path / "copy.sqlite").exists()
    assert not list(tmp_path.glob(".copy.sqlite.partial-*"))
