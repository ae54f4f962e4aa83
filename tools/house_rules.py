"""make lint: the house rules in tools/rules/ (ast-grep), less the findings allowed below.

Why a wrapper and not `ast-grep scan` alone: the code base had findings before the rules came
(issue 20, item 7), and ast-grep can only ignore whole files or add a comment in the code. This
allow list names each one by rule, file and count, with the issue it waits for, so a new finding
in an allowed file still fails, and an entry that outlived its fix fails too (lower or remove it).

Usage: `python tools/house_rules.py` (exit 1 and one line per finding when a rule fails).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (rule id, file) -> (findings allowed, why and what it waits for). Never add an entry for new
# code: fix it. Each entry is removed by the change it names.
ALLOWED: dict[tuple[str, str], tuple[int, str]] = {}


def scan(paths: list[str] | None = None, config: Path | None = None) -> list[dict]:
    """ast-grep's findings as JSON (one dict per finding, with ruleId and file)."""
    binary = shutil.which("ast-grep", path=str(Path(sys.executable).parent)) or shutil.which(
        "ast-grep"
    )
    if binary is None:
        raise SystemExit("ast-grep is not installed: make venv (ast-grep-cli, the test extras)")
    command = [binary, "scan", "--json=compact"]
    if config is not None:
        command += ["--config", str(config)]
    result = subprocess.run(
        [*command, *(paths or [])],
        cwd=config.parent if config else ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise SystemExit(f"ast-grep failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def problems(findings: list[dict], allowed: dict[tuple[str, str], tuple[int, str]]) -> list[str]:
    """Lines to print: findings beyond their allowance, and allowances beyond their findings."""
    counts = Counter((f["ruleId"], f["file"]) for f in findings)
    lines = []
    for finding in findings:
        key = (finding["ruleId"], finding["file"])
        if counts[key] > allowed.get(key, (0, ""))[0]:
            line = finding["range"]["start"]["line"] + 1
            lines.append(f"{finding['file']}:{line}: [{finding['ruleId']}] {finding['message']}")
    for key, (count, _why) in allowed.items():
        if counts[key] < count:
            lines.append(
                f"{key[1]}: [{key[0]}] allowed {count} but found {counts[key]}: lower the entry "
                "in tools/house_rules.py (or remove it)"
            )
    return lines


def main() -> int:
    lines = problems(scan(), ALLOWED)
    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
