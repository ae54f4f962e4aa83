"""The ledger is imported by the rooms whose actions it records (vault, newsroom, forensics):
it must never import any of them back, or the rooms table in docs/architecture.md would have a
cycle (and an import of one would load the other half-initialised)."""

import ast
from pathlib import Path

import jiandu

ROOT = Path(jiandu.__file__).parent


def _rooms_imported_by(room: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / room).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if len(parts) > 1 and parts[0] == "jiandu" and parts[1] != room:
                    found.add(parts[1])
    return found


def test_the_ledger_imports_no_room_that_imports_it():
    rooms = [p.parent.name for p in ROOT.glob("*/apps.py")]
    users = {room for room in rooms if room != "ledger" and "ledger" in _rooms_imported_by(room)}
    assert {"vault", "newsroom"} <= users  # the edges this test is about exist
    assert not (_rooms_imported_by("ledger") & users)


def test_the_vault_imports_only_what_the_table_allows():
    assert _rooms_imported_by("vault") <= {"core", "accounts", "ledger", "conf"}
