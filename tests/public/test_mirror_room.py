"""The mirror lives beside the public site (issue 20, item 3): no lower room renders the public
site through its URL map, hard-codes its URLs, or keeps a list of callbacks for the export."""

import ast
import importlib.util
from pathlib import Path

ROOMS = Path(__file__).resolve().parents[2] / "jiandu"
LOWER = ("ledger", "cases", "core", "accounts", "sandbox")


def _modules(room: str) -> list[Path]:
    return [p for p in (ROOMS / room).rglob("*.py") if "migrations" not in p.parts]


def test_no_lower_room_resolves_urls_into_views():
    for room in LOWER:
        for path in _modules(room):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "django.urls":
                    assert "resolve" not in {a.name for a in node.names}, path


def test_no_lower_room_names_the_public_sites_paths_in_code():
    for room in ("ledger", "core", "accounts", "sandbox"):
        for path in _modules(room):
            tree = ast.parse(path.read_text())
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                ):
                    assert "/cases/" not in node.value, path


def test_the_mirror_is_the_public_rooms_and_keeps_no_callback_list():
    assert importlib.util.find_spec("jiandu.ledger.mirror") is None
    from jiandu.public import mirror

    assert not hasattr(mirror, "register_export_context")
    assert not hasattr(mirror, "_export_contexts")
