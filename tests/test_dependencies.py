"""Every library the package imports is a runtime dependency declared in pyproject.toml — not
one that merely arrives with another (urllib3 comes with requests, but the transport imports
it itself, so a requests release that dropped or pinned it differently would break us)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from package_source import modules, nodes

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for _path, tree in modules():
        for node in nodes(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"importer", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = (re.split(r"[<>=!~ ;\[]", spec, maxsplit=1)[0] for spec in project["dependencies"])
    return {name.lower().replace("_", "-") for name in names}


def test_every_imported_library_is_a_declared_runtime_dependency() -> None:
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: distributions.get(module, [module])
        for module in _imported_modules()
        if not {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        & _declared()
    }
    assert undeclared == {}
