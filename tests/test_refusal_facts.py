"""What a refusal names is safe to word: every `Refusal` the importer raises names exactly the
facts its words take, in English and in Swedish, so wording one can never raise (a KeyError
where a person should read a reason), and each is kept in the journal and read back whole."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from importer.refusal import Refusal, worded
from importer.words import CATALOGUE, LANGUAGES

PACKAGE = Path(__file__).resolve().parents[1] / "importer"

_DERIVED = {"fix_match": {"problems"}, "fix_sheets": {"items"}}
"""Placeholders `refusal.worded` makes from a refusal's list facts rather than takes."""
_LISTS = {"fix_match": {"unmatched", "several", "twice"}, "fix_sheets": {"clashes"}}
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
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [tree, *ast.walk(tree)]:
            if not isinstance(function, ast.Module | ast.FunctionDef):
                continue
            assigned: dict[str, ast.expr] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        assigned[target.id] = node.value
            for node in ast.walk(function):
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
