"""The package's layers point one way (docs/code.md): no import cycle between modules, and no
stage imports a stage after it — the journal never imports validation, the request contract
imports nothing of the package. Read from the source (module-level imports, TYPE_CHECKING
blocks included), so a lazy import inside a function is the only way around it, and then it
is visible at the call. No module uses another module's underscore-private names, and no
class is over 200 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from package_source import PACKAGE, nodes
from package_source import modules as parsed_modules


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        body = ast.parse(path.read_text(encoding="utf-8")).body
        statements = list(body)
        for node in body:  # TYPE_CHECKING blocks count: a type is a dependency too
            if isinstance(node, ast.If):
                statements.extend(node.body)
        for node in statements:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("importer"):
                    continue
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("importer"))
        found.discard(name)
        graph[name] = {m for m in found if m != "importer"}
    return graph


GRAPH = _imports()


def _stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def test_there_is_no_import_cycle_between_modules() -> None:
    # A package imports its own modules (its facade), and they import each other, never the
    # package: so edges into a package's __init__ from inside the package are the only ones
    # left out.
    def inside(module: str, target: str) -> bool:
        return module.startswith(target + ".")

    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if inside(module, target) or target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


FORBIDDEN = {
    "importer.api.request": ("importer.",),  # the contract at the bottom imports nothing
    "importer.journal": (
        "importer.validation",
        "importer.pipeline",
        "importer.report",
        "importer.mapping",
    ),
    "importer.validation": ("importer.journal", "importer.pipeline", "importer.report"),
    "importer.report": ("importer.pipeline", "importer.validation", "importer.mapping"),
    "importer.sources": ("importer.mapping", "importer.validation", "importer.journal"),
    "importer.outcomes": ("importer.report", "importer.pipeline", "importer.journal"),
    "importer.pipeline": ("importer.drop", "importer.cli", "importer.notify"),  # drops on top
    # notifications are told by drops and the CLI, and know nothing of either
    "importer.notify": ("importer.drop", "importer.cli"),
}


@pytest.mark.parametrize("lower", sorted(FORBIDDEN))
def test_a_stage_never_imports_a_later_stage(lower: str) -> None:
    for module, targets in GRAPH.items():
        if module != lower and not module.startswith(lower + "."):
            continue
        for target in targets:
            for banned in FORBIDDEN[lower]:
                assert not (target.startswith(banned) and not target.startswith(lower)), (
                    f"{module} imports {target}"
                )


def _private_uses(package: Path = PACKAGE) -> list[str]:
    """Every `from importer.x import _name` and `x._name` (x an imported importer module) in
    the package, anywhere in a module (lazy imports included)."""
    found: list[str] = []
    for path, tree in parsed_modules(package):
        here = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        here = here.removesuffix(".__init__")
        aliases: set[str] = set()
        for node in nodes(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("importer") or node.module == here:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{here} imports {node.module}.{alias.name}")
                    elif f"{node.module}.{alias.name}" in GRAPH:
                        aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                aliases.update(
                    (a.asname or a.name) for a in node.names if a.name.startswith("importer.")
                )
        found.extend(
            f"{here} uses {node.value.id}.{node.attr}"
            for node in nodes(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        )
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    # A name shared between modules is part of a contract: it is public, with a docstring
    # saying what it promises. An underscore means "only this module relies on it".
    assert _private_uses() == []


def test_the_private_name_check_sees_an_offence(tmp_path: Path) -> None:
    # The rule above must be able to fail: the same walk over a package that breaks it.
    package = tmp_path / "importer"
    package.mkdir()
    (package / "offender.py").write_text(
        "from importer.report.cells import _secret\n"
        "from importer.report import cells\n"
        "x = cells._hidden\n",
        encoding="utf-8",
    )
    assert _private_uses(package) == [
        "importer.offender imports importer.report.cells._secret",
        "importer.offender uses cells._hidden",
    ]


def test_no_class_is_over_200_lines() -> None:
    # docs/code.md: a class past ~200 lines holds more than one concept; split it by concept.
    long = [
        f"{path.relative_to(PACKAGE.parent)}: {node.name} {node.end_lineno - node.lineno + 1}"
        for path, tree in parsed_modules()
        for node in nodes(tree)
        if isinstance(node, ast.ClassDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 200
    ]
    assert long == []
