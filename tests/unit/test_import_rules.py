"""The layers import downwards only, checked on the source with `ast`:

    bot.gateway (web)   ->  bot.handoff (desk)  ->  bot.conversation (core)  ->  bot.shop
                                                    ^ the desk's HandoffRequest contract
                                                      (bot.handoff.payload) is shared with it

- nothing in bot/handoff, bot/conversation or bot/shop imports bot.gateway;
- bot/conversation imports nothing from bot.handoff but the payload contract;
- bot/shop imports nothing from bot.handoff, bot.gateway or actions;
- bot/stack.py and bot/bench.py do not import the CLI.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> Set[str]:
    """Every module a file imports, absolute (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from bot import gateway`
    return names


def modules_under(folder: str) -> Dict[str, Set[str]]:
    return {str(p.relative_to(ROOT)): imported_modules(p) for p in sorted((ROOT / folder).rglob("*.py"))}


def offenders(folder: str, forbidden: List[str], allowed: List[str] = ()) -> Dict[str, List[str]]:
    def bad(name: str) -> bool:
        hit = any(name == f or name.startswith(f + ".") for f in forbidden)
        return hit and not any(name == a or name.startswith(a + ".") for a in allowed)

    found = {path: sorted(n for n in names if bad(n)) for path, names in modules_under(folder).items()}
    return {path: names for path, names in found.items() if names}


def test_the_scanner_sees_the_imports():
    sample = ROOT / "bot" / "handoff" / "desk.py"
    names = imported_modules(sample)
    assert "bot.conversation.service" in names and "sqlalchemy" in names
    assert modules_under("bot/conversation"), "the folders exist and hold modules"


@pytest.mark.parametrize("folder", ["bot/handoff", "bot/conversation", "bot/shop"])
def test_nothing_below_the_gateway_imports_it(folder):
    assert offenders(folder, ["bot.gateway"]) == {}


def test_the_conversation_core_stands_below_the_desk():
    assert offenders("bot/conversation", ["bot.handoff"], allowed=["bot.handoff.payload"]) == {}


def test_the_shop_is_pure():
    assert offenders("bot/shop", ["bot.handoff", "bot.gateway", "actions"]) == {}


@pytest.mark.parametrize("module", ["bot/stack.py", "bot/bench.py"])
def test_starting_processes_does_not_reach_back_into_the_cli(module):
    names = imported_modules(ROOT / module)
    assert sorted(n for n in names if n == "bot.cli" or n.startswith("bot.cli.")) == []
    if module == "bot/stack.py":
        assert "bot.bench" not in names
