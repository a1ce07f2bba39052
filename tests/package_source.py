"""The package's own source as the tests that read the code read it (its words, refusals,
layers, imports): every module parsed, and every node of a module in `ast.walk`'s order, once
per test process instead of once per test. Under coverage a walk of the whole package takes
a second or two of CPU (each of the walk's calls goes through the tracer), and a dozen tests
walked it each. The trees are shared: a test reads them and never changes them."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "importer"


@functools.cache
def modules(package: Path = PACKAGE) -> tuple[tuple[Path, ast.Module], ...]:
    """Every module of `package` (its .py files, in sorted order) with its parsed tree."""
    return tuple(
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(package.rglob("*.py"))
    )


_NODES: dict[int, tuple[ast.Module, tuple[ast.AST, ...]]] = {}


def nodes(tree: ast.Module) -> tuple[ast.AST, ...]:
    """Every node of a module's `tree`, in `ast.walk`'s order (the tree itself first)."""
    kept = _NODES.get(id(tree))
    if kept is None or kept[0] is not tree:
        kept = (tree, tuple(ast.walk(tree)))
        _NODES[id(tree)] = kept
    return kept[1]
