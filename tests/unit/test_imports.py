"""Layering rules, checked on the source: which packages a module may not import."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.db import ROOT

# module or package (path under the repository) -> module prefixes it must not import
FORBIDDEN = {
    "bot/shop": ("bot.gateway", "bot.handoff", "actions", "bot.demo"),
    "bot/stack.py": ("bot.cli", "bot.bench"),
    "bot/bench.py": ("bot.cli",),
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def sources(where: str) -> list[Path]:
    path = ROOT / where
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


@pytest.mark.parametrize("where", sorted(FORBIDDEN))
def test_forbidden_imports(where):
    broken = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources(where)
        for name in imported_modules(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[where])
    }
    assert sorted(broken) == []


def test_imported_modules_sees_both_import_forms(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import bot.gateway.app\nfrom bot import handoff\nfrom .sibling import x\n")
    assert imported_modules(source) == {"bot.gateway.app", "bot", "bot.handoff"}
