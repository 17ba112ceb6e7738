"""app/scan is a pure library: no web framework, no database, no other app package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCAN = Path(__file__).resolve().parents[2] / "app" / "scan"
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "psycopg", "werkzeug")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(SCAN.glob("*.py")), ids=lambda p: p.name)
def test_module_imports_no_framework_or_database(module: Path) -> None:
    for name in imported(module):
        root = name.split(".")[0]
        assert root not in FORBIDDEN, f"{module.name} imports {name}"
        if root == "app":
            assert name.startswith("app.scan"), f"{module.name} imports {name}"
