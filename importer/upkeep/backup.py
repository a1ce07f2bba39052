"""`importer backup PATH`: a consistent copy of the journal, taken while importers run.

A `cp` of a journal in WAL mode is no backup: the last commits live in `journal.sqlite-wal`
until a checkpoint, and a copy taken mid-write can hold half a transaction. SQLite's online
backup API (`sqlite3.Connection.backup`) copies the database as one read transaction sees
it: every committed row, nothing half-written. Copied in one step (`pages=-1`), so the copy
is one snapshot; in WAL mode that read transaction blocks no writer, so importers keep
posting meanwhile.

The copy is written beside PATH under a temporary name, checked (`PRAGMA quick_check`),
switched out of WAL mode (one self-contained file, nothing beside it to forget) and only
then given its name — with a hard link, so an existing PATH is never replaced unless asked
for, even by a second backup started at the same moment."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from importer.errors import ConfigError, JournalUnavailable, Unsupported
from importer.journal.connection import schema_not_text
from importer.journal.server import JournalServer

_BESIDE = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database: part of the journal while it is in use."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    bytes: int
    imports: int
    rows: int


def backup_journal(
    journal: Path | JournalServer, target: Path, *, overwrite: bool = False
) -> BackupResult:
    """Copy the journal at `journal` to `target` as one consistent snapshot; refuses an
    existing `target` unless `overwrite`. Never changes the journal. A journal on a server
    is the server's to back up (`pg_dump`): refused in one line."""
    if isinstance(journal, JournalServer):
        raise Unsupported(
            f"journal {journal} is on a PostgreSQL server: back it up with pg_dump (importer "
            "backup copies a SQLite journal); nothing was copied"
        )
    journal, target = Path(journal), Path(target)
    if not journal.is_file():
        raise JournalUnavailable(f"journal {journal}: there is no such file to back up")
    if target.exists() and not overwrite:
        raise ConfigError(
            f"{target} already exists: choose another name, or give --overwrite to replace it"
        )
    if target.resolve() == journal.resolve():
        raise ConfigError(f"{target} is the journal itself: choose another name")
    live = journal.resolve()
    if target.resolve() in {live.with_name(live.name + end) for end in _BESIDE}:
        # SQLite keeps the journal's last commits there: a copy over it loses them.
        raise ConfigError(f"{target} is part of the journal {journal}: choose another name")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        counts = _copy(journal, partial)
        if overwrite:
            os.replace(partial, target)
        else:
            try:
                os.link(partial, target)
            except FileExistsError:
                raise ConfigError(
                    f"{target} appeared while the backup was written: choose another name, "
                    "or give --overwrite to replace it"
                ) from None
        return BackupResult(target, target.stat().st_size, *counts)
    except sqlite3.Error as exc:
        raise JournalUnavailable(
            f"journal {journal}: cannot be backed up to {target} ({exc})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise schema_not_text(journal) from exc
    except OSError as exc:
        raise ConfigError(f"{target}: the backup cannot be written ({exc})") from exc
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()


def _copy(journal: Path, partial: Path) -> tuple[int, int]:
    """The snapshot into `partial`, checked, in rollback-journal mode, synced to disk;
    returns (imports, rows) as the copy holds them."""
    source = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    with closing(source), closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)  # pages=-1: the whole database in one read transaction
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy fails SQLite's check: {verdict}")
        copy.execute("PRAGMA journal_mode=DELETE")
        (imports,) = copy.execute("SELECT count(*) FROM imports").fetchone()
        (rows,) = copy.execute("SELECT count(*) FROM rows").fetchone()
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    return int(imports), int(rows)
