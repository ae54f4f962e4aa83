"""The rooms table in docs/architecture.md is enforced by import-linter: the contracts are
generated from the table (scripts/import_contracts.py), the code keeps them, and a forbidden
import, a cycle or an unknown room in the table is caught."""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
_spec = importlib.util.spec_from_file_location(
    "import_contracts", ROOT / "scripts/import_contracts.py"
)
contracts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contracts)

TOY_TABLE = """
| room | holds | may import |
|---|---|---|
| `base` | shared things | nothing of the rooms (its hooks call `vault.x` through AppConfig) |
| `vault` | keys | `base` |
| `desk` | the desk | `base`, `vault` (only `vault.access.access_item_by_id()`; see (a) note) |
"""


def lint_imports(cwd: Path, config: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(config)],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_file_is_what_the_rooms_table_generates():
    assert contracts.main([]) == 0, "run .venv/bin/python scripts/import_contracts.py --write"


def test_every_room_of_the_code_keeps_its_contract():
    result = lint_imports(ROOT, ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_notes_in_parentheses_are_for_readers_not_rules():
    assert contracts.parse_table(TOY_TABLE) == {
        "base": [],
        "vault": ["base"],
        "desk": ["base", "vault"],
    }


def test_an_import_the_table_does_not_allow_breaks_the_contracts(tmp_path):
    allowed = contracts.parse_table(TOY_TABLE)
    for room in allowed:
        (tmp_path / "toy" / room).mkdir(parents=True)
        (tmp_path / "toy" / room / "__init__.py").write_text("")
        (tmp_path / "toy" / room / "apps.py").write_text("")
    (tmp_path / "toy" / "__init__.py").write_text("")
    (tmp_path / "toy" / "desk" / "views.py").write_text("from toy.vault import apps\n")
    (tmp_path / "toy" / "vault" / "models.py").write_text("import toy.base.apps\n")
    config = tmp_path / ".importlinter"
    config.write_text(contracts.render(allowed, contracts.room_packages(tmp_path / "toy"), "toy"))
    assert lint_imports(tmp_path, config, PYTHONPATH=str(tmp_path)).returncode == 0

    # An import inside a function counts as much as one at the top.
    (tmp_path / "toy" / "vault" / "late.py").write_text(
        textwrap.dedent("""
            def later():
                from toy.desk import views
                return views
        """)
    )
    result = lint_imports(tmp_path, config, PYTHONPATH=str(tmp_path))
    assert result.returncode != 0
    assert "toy.vault.late -> toy.desk.views" in result.stdout


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        (TOY_TABLE.replace("| keys | `base` |", "| keys | `base`, `desk` |"), "cycle"),
        (TOY_TABLE.replace("| keys | `base` |", "| keys | `base`, `vualt` |"), "not rooms"),
        (TOY_TABLE.replace("| keys | `base` |", "| keys | `base`, `vault` |"), "itself"),
        (TOY_TABLE.replace("| keys | `base` |", "| keys | `base` (only |"), "parenthesis"),
        (TOY_TABLE + "| `vault` | again | `base` |\n", "twice"),
        ("no table here", "no rooms table"),
    ],
)
def test_a_table_that_cannot_be_a_set_of_contracts_is_refused(table, complaint):
    with pytest.raises(contracts.TableError, match=complaint):
        contracts.parse_table(table)


def test_a_room_with_code_but_no_row_is_refused():
    with pytest.raises(contracts.TableError, match="no row"):
        contracts.render(contracts.parse_table(TOY_TABLE), ["base", "vault", "desk", "extra"])


def test_a_room_of_the_table_without_code_yet_gets_no_contract():
    text = contracts.render(contracts.parse_table(TOY_TABLE), ["base", "vault"])
    assert "contract:desk" not in text and "jiandu.desk" not in text
