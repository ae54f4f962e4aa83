"""scripts/coverage_floor.py, on small reports in coverage's JSON shape: a file under the floor
fails, one at or above passes, exceptions use their lower floor, files outside jiandu/ are not
judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "coverage_floor.py"


def report(**percents: float) -> dict:
    """A coverage JSON report with these files (path=percent; '__' stands for '/')."""
    return {
        "meta": {"format": 3},
        "files": {
            name.replace("__", "/") + ".py": {"summary": {"percent_covered": percent}}
            for name, percent in percents.items()
        },
        "totals": {"percent_covered": 90.0},
    }


def run(tmp_path: Path, data: dict) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(data))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
    )


def test_a_file_below_the_floor_fails(tmp_path: Path) -> None:
    result = run(tmp_path, report(jiandu__vault__crypto=95.0, jiandu__cases__diff=49.9))
    assert result.returncode == 1
    assert "jiandu/cases/diff.py: 49.9% covered, floor 50%" in result.stdout
    assert "crypto" not in result.stdout


def test_files_at_the_floor_pass(tmp_path: Path) -> None:
    result = run(tmp_path, report(jiandu__cases__diff=50.0, jiandu__vault__crypto=100.0))
    assert (result.returncode, result.stdout) == (0, "")


def test_an_exception_has_its_own_floor(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        report(
            jiandu__forensics__image_worker=0.0,
            jiandu__sandbox__inside__answer=10.0,
            jiandu__core__gunicorn_conf=0.0,
        ),
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_files_outside_jiandu_are_not_judged(tmp_path: Path) -> None:
    result = run(tmp_path, report(tests__conftest=0.0, bench__drill=0.0))
    assert (result.returncode, result.stdout) == (0, "")
