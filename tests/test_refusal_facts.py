"""What a refusal names is safe to word and safe to read: every `Refusal` the importer raises
names exactly the facts its words take, in English and in Swedish, so wording one can never
raise in place of a reason; and a fact a hostile file supplies (a zip part's name, a
workbook's sheet names, a marker's value) is shown on one line — its control characters
written out, its length cut with how much was left out in the reader's language — wherever a
person reads it (the command's line, the night's summary and the reason.txt beside the file
in failed/), while report.html escapes it as markup. Real files, the real command line in
process, the sandbox over a real socket."""

from __future__ import annotations

import ast
import string
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from cli_support import CREDITOR, SECRET, Main, importer, report_of, searchable_bytes
from package_source import PACKAGE, modules, nodes
from test_swedish_refusals import configured

from importer.refusal import Refusal, worded
from importer.sandbox import Sandbox
from importer.words import CATALOGUE, LANGUAGES

_DERIVED = {"fix_match": {"problems"}, "fix_sheets": {"items"}}
"""Placeholders `refusal.worded` makes from a refusal's list facts rather than takes."""
_LISTS = {
    "fix_match": {"unmatched", "several", "twice"},
    "fix_sheets": {"clashes"},
    "fix_other_import": {"unknown"},
}
"""The list facts each of those is made from (worded item by item, never as they are)."""


def _constants(node: ast.AST) -> set[str]:
    """The texts an expression can be: a constant, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def _raised() -> list[tuple[str, str, frozenset[str]]]:
    """(where, code, fact names) of every `Refusal(…)` the package makes: a code held in a
    variable is read from its assignment in the same function, and `**seen` from the
    `quoted("seen", …)` that made it (the fact and its `_more`)."""
    found = []
    for path, tree in modules():
        for function in [tree, *nodes(tree)]:
            if not isinstance(function, ast.Module | ast.FunctionDef):
                continue
            inside = nodes(tree) if function is tree else list(ast.walk(function))
            assigned: dict[str, ast.expr] = {}
            for node in inside:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        assigned[target.id] = node.value
            for node in inside:
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Refusal"
                    and node.args
                ):
                    continue
                code = node.args[0]
                codes = _constants(
                    assigned.get(code.id, code) if isinstance(code, ast.Name) else code
                )
                assert codes, f"{path.name}:{node.lineno}: a code that cannot be read"
                names: set[str] = set()
                for keyword in node.keywords:
                    if keyword.arg is not None:
                        names.add(keyword.arg)
                        continue
                    made = (
                        assigned.get(keyword.value.id)
                        if isinstance(keyword.value, ast.Name)
                        else None
                    )
                    assert isinstance(made, ast.Call), f"{path.name}:{node.lineno}"
                    [quoted] = _constants(made.args[0])
                    names |= {quoted, f"{quoted}_more"}
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                found += [(where, c, frozenset(names)) for c in codes]
    return sorted(set(found))


def _placeholders(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name}


def test_every_refusal_raised_names_exactly_the_facts_its_words_take_in_both_languages() -> None:
    raised = _raised()
    codes = {code for _, code, _ in raised}
    assert {"cell_too_long", "cell_too_long_quote", "no_header", "fix_match", "zip_ratio"} <= codes
    for where, code, names in raised:
        english, swedish = CATALOGUE[f"refusal.{code}"]
        taken = _placeholders(english)
        assert _placeholders(swedish) == taken, f"{where}: {code} takes other facts in Swedish"
        given = names | _DERIVED.get(code, set())
        quotes_left_out = {name for name in names if name.endswith("_more")}
        assert taken <= given, f"{where}: {code} lacks {sorted(taken - given)}"
        unused = names - taken - quotes_left_out - _LISTS.get(code, set())
        assert not unused, f"{where}: {code} is given {sorted(unused)}, which its words never say"


def test_wording_every_raised_refusal_with_its_facts_never_raises() -> None:
    for where, code, names in _raised():
        lists = _LISTS.get(code, set())
        facts = {name: [] if name in lists else "1" for name in names}
        refusal = Refusal(code, **facts)
        for language in LANGUAGES:
            assert worded(refusal, language), where
        assert Refusal.from_json(refusal.as_json()) == refusal, where


HOSTILE = 'a\nb<script>alert(1)</script>\x07\x1b[31m=cmd|"/C calc"!A0\u202e' + "X" * 5_000
"""A name a hostile file gives a part of itself: a line break, markup, a bell, a terminal's
colour escape, a formula, a right-to-left override, and 5,000 characters more."""

LEFT_OUT = {"en": "more characters)", "sv": "tecken till)"}


def _bomb(path: Path) -> Path:
    """A workbook whose part named `HOSTILE` expands 3 MB of zeros past the ratio allowed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr(HOSTILE, b"\0" * (3 << 20))
    return path


def _one_line(said: str, where: str) -> None:
    """`said` holds no character that breaks or hides a line, and not the whole hostile name."""
    hidden = sorted({c for c in said if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"}})
    assert hidden == ["\n"] * bool(hidden), f"{where} holds {hidden!r}"
    assert all(len(line) < 2_000 for line in said.splitlines()), f"{where}: a line past 2,000"


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_hostile_part_name_is_said_on_one_line_cut_short_and_escaped_in_the_report(
    main: Main, workdir: Path, api: Sandbox, language: str
) -> None:
    configured(workdir, language)
    path = _bomb(workdir / "bomb.xlsx")
    code, _, stderr = main("run", str(path), "--api-url", api.url)
    assert code == 2, stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("importer: ")]
    _one_line(stderr, "the command's output")
    assert "'a\\nb<script>alert(1)</script>\\x07\\x1b[31m=cmd|" in line
    assert LEFT_OUT[language] in line
    [page] = (workdir / "reports").glob("*/report.html")
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_hostile_marker_value_is_said_on_one_line_in_the_summary_and_reason_txt(
    main: Main, workdir: Path, api: Sandbox, language: str
) -> None:
    configured(workdir, language)
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "kort.csv").write_text("Fakturanummer;Belopp\nF-1001;10,00\n", "utf-8")
    value = "\x1b[2J\x1b[31mfem\x07\u202e" + "9" * 3_000 + "x"
    (inbox / "kort.csv.done").write_text(f"rows: {value}\n", "utf-8")
    code, stdout, stderr = main("drop", str(inbox), "--api-url", api.url)
    assert code == 2, stderr
    [summary] = (workdir / "reports" / "drops").glob("*/summary.txt")
    [reason] = (inbox / "failed").glob("*/kort.csv.reason.txt")
    for where, said in [
        ("summary.txt", summary.read_text(encoding="utf-8")),
        ("kort.csv.reason.txt", reason.read_text(encoding="utf-8")),
        ("the drop's output", stdout + stderr),
    ]:
        _one_line(said, where)
    said = reason.read_text(encoding="utf-8")
    assert "\\x1b[2J\\x1b[31mfem\\x07\\u202e999" in said
    assert LEFT_OUT[language] in said


def test_a_workbooks_many_sheet_names_are_listed_cut_short(
    main: Main, workdir: Path, api: Sandbox
) -> None:
    """Sheet names are the file's: 400 of them are named up to a point, then counted."""
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  language: sv\n"
        "journal:\n  path: j.sqlite\ninput:\n  sheet: Krediteringar\n",
        encoding="utf-8",
    )
    path = workdir / "blad.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Blad\n000"
    for number in range(1, 400):
        book.create_sheet(f"Blad\n{number:03}")
    book.save(path)
    code, _, stderr = main("run", str(path), "--api-url", api.url)
    assert code == 2, stderr
    _one_line(stderr, "the command's output")
    [line] = [line for line in stderr.splitlines() if line.startswith("importer: ")]
    assert (
        "arbetsboken har inget blad som heter 'Krediteringar'; dess blad är: 'Blad\\n000'" in line
    )
    assert LEFT_OUT["sv"] in line


def test_a_header_cell_that_is_the_api_key_is_not_quoted_by_the_refusal(
    workdir: Path, api: Sandbox
) -> None:
    configured(workdir, "sv")
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "nyckel.csv").write_text(f"{SECRET};Belopp\nF-1001;10,00\n", "utf-8")
    (inbox / "nyckel.csv.done").touch()
    done = importer(workdir, "drop", str(inbox), api=api)
    assert done.returncode == 2, done.stderr
    [reason] = inbox.glob("failed/*/nyckel.csv.reason.txt")
    said = reason.read_text(encoding="utf-8")
    assert "obligatorisk kolumn saknas" in said
    assert "[API key removed]" in said  # the header is still quoted, without the key
    assert SECRET not in done.stdout + done.stderr
    assert _holding_the_key(workdir, "nyckel.csv") == []


def _holding_the_key(workdir: Path, *leave: str, key: str = SECRET) -> list[str]:
    """The files under `workdir` (but those named `leave`) holding `key`, a workbook's text
    searched inside its zip."""
    written = [p for p in workdir.rglob("*") if p.is_file() and p.name not in leave]
    return sorted(
        str(p.relative_to(workdir)) for p in written if key.encode() in searchable_bytes(p)
    )


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(
    "header",
    [
        f"{SECRET},amount",
        # The quote of the header row ("'xxx…', 's3cr3t-…") is cut after 200 characters: 20
        # of them would be the key's first 20.
        f"{'x' * 176},{SECRET},invoice_number",
    ],
    ids=["the key", "cut inside the key"],
)
def test_a_file_with_the_api_key_in_its_header_is_refused_without_quoting_any_of_it(
    workdir: Path, api: Sandbox, command: str, header: str
) -> None:
    configured(workdir, "en")
    path = workdir / "credits.csv"
    path.write_text(f"{header}\nF-1001,10.00\n", "utf-8")
    done = importer(workdir, command, str(path), api=api)
    assert done.returncode == 2, done.stderr
    assert "required column" in done.stderr
    assert "[API key removed]" in done.stderr
    assert SECRET[:20] not in done.stdout + done.stderr
    assert _holding_the_key(workdir, path.name, key=SECRET[:20]) == []


def test_a_correction_file_with_the_api_key_as_a_header_is_refused_without_quoting_it(
    workdir: Path, api: Sandbox
) -> None:
    configured(workdir, "en")
    path = workdir / "credits.csv"
    path.write_text("invoice_number,amount\nF-1001,10.00\n", "utf-8")
    done = importer(workdir, "run", str(path), "--creditor", CREDITOR, api=api)
    assert done.returncode in (0, 1), done.stderr
    fix = workdir / "fix.csv"
    fix.write_text(f"{SECRET},amount\nF-1001,10.00\n", "utf-8")
    import_id = report_of(workdir)["file_import_report"]
    fixed = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert fixed.returncode == 2, fixed.stderr
    assert "[API key removed]" in fixed.stderr
    assert SECRET not in fixed.stdout + fixed.stderr
    assert _holding_the_key(workdir, fix.name) == []


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_refused_file_with_a_hostile_name_is_named_on_one_line_in_its_reason(
    main: Main, workdir: Path, api: Sandbox, language: str
) -> None:
    """A file's name is the sender's: a line break or a terminal's escape in it is written out
    where the refusal names the file (the command's line, reason.txt), as in its facts."""
    configured(workdir, language)
    inbox = workdir / "inbox"
    inbox.mkdir()
    name = "<b>ny\nrad\x1b[31m.csv"
    (inbox / name).write_bytes(b"")
    (inbox / f"{name}.done").touch()
    code, _, stderr = main("drop", str(inbox), "--api-url", api.url)
    assert code == 2, stderr
    [reason] = (inbox / "failed").glob("*/*.reason.txt")
    said = reason.read_text(encoding="utf-8")
    _one_line(said, "reason.txt")
    assert "<b>ny\\nrad\\x1b[31m.csv: " in said
    code, _, stderr = main("run", str(next((inbox / "failed").glob(f"*/{name}"))))
    assert code == 2, stderr
    _one_line(stderr, "the command's line")
    assert "<b>ny\\nrad\\x1b[31m.csv: " in stderr
