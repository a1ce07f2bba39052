"""Unusable values from the API are validated where they enter: a settled amount
of `1e999999999` or `"abc"`, a status nobody documented, a body nested 100,000 deep. The
crediting was made, so the row stays `credited`, with what fits; what does not is an error
on the row quoting it, kept raw in the journal; the import exits 1 (a person looks), and its
reports always render — now and with `importer report ID` later.

A hostile server over a real socket answers the POSTs and the status read-back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from cli_support import importer
from hostile import Answer, HostileServer

ROWS = 3


def _crediting(n: int, **fields: object) -> dict[str, object]:
    return {"_id": f"{n:024x}", "_status": "OK", "status": "completed", **fields}


def _created(n: int) -> bytes:
    """A 201 without the processing status: the importer reads it back (a GET)."""
    return json.dumps({"_id": f"{n:024x}", "_status": "OK"}).encode()


def _server(post_body: Callable[[int], bytes], items: Callable[[int], str]) -> HostileServer:
    posted = [0]

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "POST":
            posted[0] += 1
            return Answer(201, post_body(posted[0]))
        listed = ",".join(items(n) for n in range(1, posted[0] + 1))
        return Answer(200, f'{{"_items": [{listed}], "_meta": {{"total": {posted[0]}}}}}'.encode())

    return HostileServer(behaviour)


def _valid_file(workdir: Path) -> Path:
    lines = ["Fakturanummer;Belopp"] + [f"F-100{n};10,00" for n in range(1, ROWS + 1)]
    path = workdir / "credits.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HUGE = '"settled_amount": 1e999999999'
CASES = {
    # name: (POST answer for crediting n, read-back item for crediting n, field, quoted)
    "huge amount": (
        _created,
        lambda n: json.dumps(_crediting(n))[:-1] + ", " + HUGE + "}",
        "settled_amount",
        "1E+999999999",
    ),
    "amount abc": (
        lambda n: json.dumps(_crediting(n, settled_amount="abc")).encode(),
        lambda n: json.dumps(_crediting(n, settled_amount="abc")),
        "settled_amount",
        '"abc"',
    ),
    "undocumented status": (
        _created,
        lambda n: json.dumps(_crediting(n, status="paid-ish", settled_amount=10)),
        "status",
        '"paid-ish"',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_unusable_value_is_flagged_kept_raw_and_the_reports_render(workdir: Path, case: str):
    post_body, item, field, quoted = CASES[case]
    file = _valid_file(workdir)
    with _server(post_body, item) as server:
        result = importer(workdir, "run", str(file), "--api-url", server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    directory = next(p for p in (workdir / "reports").iterdir() if p.is_dir())
    assert {"report.json", "report.csv", "report.xlsx"} <= {p.name for p in directory.iterdir()}
    report = json.loads((directory / "report.json").read_text("utf-8"))
    for row in report["rows"]:
        assert row["outcome"] == "credited"
        assert row[field] is None  # never stored in the column the report formats
        (error,) = row["errors"]
        assert error["field"] == field
        assert error["code"] == "api_answer_unusable"
        assert f"The API answered {field} = {quoted}" in error["message"]
    assert report["summary"]["outcomes"]["credited"] == ROWS
    with sqlite3.connect(workdir / "j.sqlite") as db:
        raws = [raw for (raw,) in db.execute("SELECT raw FROM answers")]
    db.close()
    assert len(raws) == ROWS
    assert all(field in raw for raw in raws)
    again = importer(workdir, "report", directory.name)
    assert again.returncode == 0, again.stderr
    book = openpyxl.load_workbook(directory / "report.xlsx", read_only=True)
    attention = list(book["Needs attention"].iter_rows(values_only=True))
    book.close()
    flagged = [r for r in attention if r and "cannot be used" in " ".join(map(str, r))]
    assert len(flagged) == ROWS  # each flagged row is on the sheet a person works from


def test_an_answer_nested_100000_deep_is_kept_raw(workdir: Path):
    # A 201 whose body is not a JSON object names no crediting: the row is not
    # `credited` on its word but looked up by reference once settled; the answer itself is
    # kept raw and flagged until then, and nothing breaks on its depth.
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text("utf-8") + "api:\n  read_timeout: 1\n  settle_seconds: 1\n", "utf-8"
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    file = _valid_file(workdir)
    with _server(lambda n: deep, lambda n: json.dumps(_crediting(n))) as server:
        result = importer(workdir, "run", str(file), "--api-url", server.url)
    assert "RecursionError" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 3), result.stderr  # never 0: a person must look
    directory = next(p for p in (workdir / "reports").iterdir() if p.is_dir())
    report = json.loads((directory / "report.json").read_text("utf-8"))
    first = report["rows"][0]
    assert first["outcome"] != "credited"  # the lookup found no crediting that matches it
    assert len(first["errors"][-1]["message"]) < 400  # quoted, not dumped
    with sqlite3.connect(workdir / "j.sqlite") as db:
        (raw,) = db.execute("SELECT raw FROM answers WHERE row=2").fetchone()
    db.close()
    assert raw == deep.decode()


def test_the_journal_keeps_a_201_answer_byte_for_byte(workdir: Path):
    """The raw answer is the API's own text, not a re-serialisation of what was parsed."""

    def created(n: int) -> bytes:
        return (
            f'{{"_id": "{n:024x}", "_status": "OK", "status": "completed",'
            f' "settled_amount": 1e999999999}}'
        ).encode()

    file = _valid_file(workdir)
    with _server(created, lambda n: json.dumps(_crediting(n))) as server:
        result = importer(workdir, "run", str(file), "--api-url", server.url)
    assert result.returncode == 1, result.stderr
    with sqlite3.connect(workdir / "j.sqlite") as db:
        raws = [raw for (raw,) in db.execute("SELECT raw FROM answers ORDER BY row")]
    db.close()
    assert raws == [created(n).decode() for n in range(1, ROWS + 1)]
