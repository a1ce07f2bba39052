"""The journal is a composition: `Journal` opens one connection and its parts
(`journal.imports`, `journal.rows`, …) are plain objects sharing it — no part is a subclass
of another or of `Journal`, and no part imports `sqlite3` (only the connection and the
migrations do), so a second database can supply its own connection. Read from the journal
itself and from its source."""

from __future__ import annotations

import ast
from pathlib import Path

from importer.journal import Journal
from importer.journal.connection import SharedConnection

JOURNAL_PACKAGE = Path(__file__).resolve().parents[2] / "importer" / "journal"
KNOWS_SQLITE = {"connection.py", "migrations.py"}


def _parts(journal: Journal) -> dict[str, object]:
    return {name: part for name, part in vars(journal).items() if not name.startswith("_")}


def test_every_part_shares_the_journals_one_connection(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        parts = _parts(journal)
        del parts["path"]
        connections = {id(vars(part)["_db"]) for part in parts.values()}
        assert set(parts) == {
            "imports",
            "notes",
            "rows",
            "statuses",
            "history",
            "locks",
            "dedupe",
            "claims",
            "uncertain",
            "figures",
            "audit",
        }
        assert len(connections) == 1
        assert all(isinstance(vars(p)["_db"], SharedConnection) for p in parts.values())


def test_a_part_is_a_plain_class_not_a_subclass_of_the_journal_or_another_part(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        kinds = [type(part) for name, part in _parts(journal).items() if name != "path"]
    assert Journal.__mro__ == (Journal, object)
    assert all(kind.__mro__ == (kind, object) for kind in kinds)


def test_no_module_of_the_journal_but_the_connection_and_migrations_imports_sqlite3() -> None:
    importing = set()
    for path in sorted(JOURNAL_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
                importing.add(path.name)
            if isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
                importing.add(path.name)
    assert importing == KNOWS_SQLITE
