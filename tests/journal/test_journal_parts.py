"""The journal is a composition: `Journal` opens one connection and its parts
(`journal.imports`, `journal.rows`, …) are plain objects sharing it — no part is a subclass
of another or of `Journal`, and no part imports a driver (`sqlite3` only the connection and
the migrations, `psycopg` only the server's connection), so each database supplies its own
connection and the parts are the same on both. Read from the journal itself, on each
backend, and from its source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from importer.journal import Journal
from importer.journal.connection import SharedConnection
from importer.journal.server import JournalServer

JOURNAL_PACKAGE = Path(__file__).resolve().parents[2] / "importer" / "journal"
KNOWS_DRIVER = {"sqlite3": {"connection.py", "migrations.py"}, "psycopg": {"postgres.py"}}


def _parts(journal: Journal) -> dict[str, object]:
    return {name: part for name, part in vars(journal).items() if not name.startswith("_")}


def test_every_part_shares_the_journals_one_connection(
    journal_place: Path | JournalServer,
) -> None:
    with Journal(journal_place) as journal:
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
            "figure_cache",
            "audit",
            "nights",
        }
        assert len(connections) == 1
        if isinstance(journal_place, JournalServer):
            from importer.journal.postgres import PgConnection

            kind: type = PgConnection
        else:
            kind = SharedConnection
        assert all(isinstance(vars(p)["_db"], kind) for p in parts.values())


def test_a_part_is_a_plain_class_not_a_subclass_of_the_journal_or_another_part(
    journal_place: Path | JournalServer,
) -> None:
    with Journal(journal_place) as journal:
        kinds = [type(part) for name, part in _parts(journal).items() if name != "path"]
    assert Journal.__mro__ == (Journal, object)
    assert all(kind.__mro__ == (kind, object) for kind in kinds)


def test_a_driver_is_imported_only_where_its_database_is_opened_and_migrated() -> None:
    importing: dict[str, set[str]] = {driver: set() for driver in KNOWS_DRIVER}
    for path in sorted(JOURNAL_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module is not None:
                modules = [node.module]
            else:
                continue
            for module in modules:
                driver = module.split(".")[0]
                if driver in importing:
                    importing[driver].add(path.name)
    assert importing == KNOWS_DRIVER


def test_a_sqlite_journal_never_imports_psycopg(tmp_path: Path) -> None:
    """psycopg costs every command about 0.3 s to import: the CLI and a journal on a file
    never load it, only a journal naming a server does. A process of its own, so no other
    test has loaded it already."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import importer.cli\n"
        "from importer.journal import Journal\n"
        "with Journal(Path(sys.argv[1])) as journal:\n"
        "    journal.check_writable()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "journal.sqlite")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
