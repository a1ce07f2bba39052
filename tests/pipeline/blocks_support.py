"""Helpers for the tests of files read a block at a time (tests/pipeline/test_blocks*.py): the
block sizes set, a dry run's report and a run's journal and API read back, and one file run
read whole and in blocks of several sizes, so a test compares what every row came out as."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import Main
from exactly_once_support import KEY, all_creditings
from hostile_api import HostileApi, hostile_api

from importer.pipeline import intake
from importer.sandbox import Sandbox

VOLATILE = (
    "file_import_report", "started", "finished", "_id", "journal", "report_dir", "at", "base_url",
)  # fmt: skip
HEAD = "Fakturanummer;Belopp;Kreditfaktura;Referens;Datum\r\n"
"""The header of the tests' files (row 1)."""

SIZES = (3, 4, 7)
"""Block sizes every comparison reads the file in: each rule lands on a different edge."""

_LOCAL_PORT = re.compile(r"127\.0\.0\.1:\d+")
_IMPORT_ID = re.compile(r"\d{8}-\d{6}-[0-9a-z]{8}(?:-\d+)?")


def written(workdir: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    """`text` written to `workdir`/`name` in `encoding`."""
    path = workdir / name
    path.write_bytes(text.encode(encoding))
    return path


def credits_file(workdir: Path) -> Path:
    """Eleven credits of the sandbox's cases, each its own (no note, no reference)."""
    body = "".join(f"F-100{i % 6 + 1};{i + 1},00;;;2026-02-0{i % 9 + 1}\r\n" for i in range(11))
    return written(workdir, HEAD + body)


def blocks_of(monkeypatch: pytest.MonkeyPatch, rows: int | None) -> None:
    """Files of more than `rows` records read `rows` at a time (None: read whole)."""
    monkeypatch.setattr(intake, "INTAKE_BLOCK_ROWS", rows or 100_000)
    monkeypatch.setattr(intake, "INTAKE_WHOLE_ROWS", rows or 250_000)


def latest_report(folder: Path) -> dict[str, Any]:
    found = max((folder / "reports").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    report: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
    return stable(report)


def stable(value: Any) -> Any:
    """The report without what differs between two runs of one file (ids, times, paths)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    if isinstance(value, str) and "reports/" in value:
        return "<path>"
    if isinstance(value, str):
        return _LOCAL_PORT.sub("127.0.0.1:<port>", value)  # a sandbox's, the proxy's
    return value


def journaled(workdir: Path) -> list[tuple[Any, ...]]:
    """Every row the journal holds, of every import: its number, outcome, errors, cells and
    request."""
    with sqlite3.connect(workdir / "j.sqlite") as db:
        return list(db.execute(f"SELECT {_JOURNALED} FROM rows ORDER BY row"))


_JOURNALED = (
    "row, outcome, errors, source, creditor, case_id, invoice_number, currency, amount, "
    "origin, credit_invoice, client_registration_date, creditor_reference"
)


def fresh(workdir: Path) -> None:
    """No journal, no reports: the next command meets the file for the first time."""
    (workdir / "j.sqlite").unlink(missing_ok=True)
    shutil.rmtree(workdir / "reports", ignore_errors=True)


def said(out: str) -> str:
    """What the command printed, its import ids, paths and times left out."""
    out = re.sub(r"\S*reports/\S*", "<path>", _IMPORT_ID.sub("<id>", out))
    return re.sub(r"elapsed .*", "elapsed", out)


Outcome = tuple[int, dict[str, Any] | None, str]
"""(exit code, the stable report.json or None, what was printed)."""


def validated(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, file: Path, rows: int | None,
    *argv: str,
) -> Outcome:  # fmt: skip
    """`importer validate FILE` read `rows` at a time (None: whole), on a fresh journal."""
    fresh(workdir)
    blocks_of(monkeypatch, rows)
    code, out, err = main("validate", *argv, str(file))
    report = latest_report(workdir) if (workdir / "reports").exists() else None
    return code, report, said(out + err)


def validate_alike(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, file: Path, *argv: str
) -> Outcome:
    """The dry run of `file` read in blocks of every size in `SIZES` is the dry run of the
    file read whole: exit code, report and words. Returns the whole file's."""
    whole = validated(main, workdir, monkeypatch, file, None, *argv)
    for size in SIZES:
        in_blocks = validated(main, workdir, monkeypatch, file, size, *argv)
        assert in_blocks[0] == whole[0], (size, in_blocks[2], whole[2])
        assert in_blocks[1] == whole[1], size
        assert in_blocks[2] == whole[2], size
    return whole


Ran = tuple[int, dict[str, Any] | None, list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""(exit code, the stable report.json or None, the journal's rows, the creditings posted)."""


def ran(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, file: Path, rows: int | None,
    *argv: str,
) -> Ran:  # fmt: skip
    """`importer run FILE` read `rows` at a time (None: whole), on a fresh journal, against a
    fresh sandbox over a real socket."""
    fresh(workdir)
    blocks_of(monkeypatch, rows)
    (workdir / "api.sqlite").unlink(missing_ok=True)
    with Sandbox(db_path=workdir / "api.sqlite", api_key=KEY) as api:
        monkeypatch.setenv("AMILI_API_KEY", KEY)
        code, _out, _err = main("run", "--api-url", api.url, *argv, str(file))
        creditings = all_creditings(api.url)
    rows = journaled(workdir)
    undated = {row[-1] for row in rows if row[-2] is None}  # dated when sent: now
    posted = sorted(
        tuple(
            "<when sent>" if key == "client_registration_date" and c[_POSTED[0]] in undated
            else str(c.get(key))
            for key in _POSTED
        )
        for c in creditings
    )  # fmt: skip
    report = latest_report(workdir) if (workdir / "reports").exists() else None
    return code, report, rows, posted


_POSTED = (
    "creditor_reference", "invoice_number", "case", "amount", "credit_invoice",
    "client_registration_date",
)  # fmt: skip


def run_alike(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, file: Path, *argv: str
) -> Ran:
    """`importer run` of `file` read in blocks of every size in `SIZES` journals, posts and
    reports every row as the file read whole. Returns the whole file's."""
    whole = ran(main, workdir, monkeypatch, file, None, *argv)
    for size in SIZES:
        code, report, rows, posted = ran(main, workdir, monkeypatch, file, size, *argv)
        assert code == whole[0], size
        assert rows == whole[2], (size, rows, whole[2])
        assert posted == whole[3], (size, posted, whole[3])
        if report is None or whole[1] is None:
            assert report == whole[1], size
            continue
        assert report["rows"] == whole[1]["rows"], size
        assert report["summary"] == whole[1]["summary"], size
        assert report["warnings"] == whole[1]["warnings"], size
    return whole


def after_lost_journal(
    main: Main,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: Path,
    rows: int | None,
    command: tuple[str, ...],
    on_get: Callable[[str], tuple[int, bytes] | None] | None = None,
) -> Ran:
    """`file` run (read whole) against a fresh sandbox, its journal then lost; then `command`
    (`validate`, or `run --allow-repeats`…) of `file` read `rows` at a time, against that
    sandbox behind a proxy answering GETs as `on_get` says (`hostile_api`)."""
    fresh(workdir)
    blocks_of(monkeypatch, None)
    (workdir / "api.sqlite").unlink(missing_ok=True)
    monkeypatch.setenv("AMILI_API_KEY", KEY)
    with Sandbox(db_path=workdir / "api.sqlite", api_key=KEY) as api:
        assert main("run", "--api-url", api.url, str(file))[0] in (0, 1)  # a case closed: 1
        fresh(workdir)
        blocks_of(monkeypatch, rows)
        proxy = HostileApi(api.url, on_get=on_get or (lambda path: None))
        with hostile_api(proxy):
            code = main(*command[:1], "--api-url", proxy.url, *command[1:], str(file))[0]
        creditings = all_creditings(api.url)
    posted = sorted(tuple(str(c.get(key)) for key in _POSTED) for c in creditings)
    report = latest_report(workdir) if (workdir / "reports").exists() else None
    return code, report, journaled(workdir), posted
