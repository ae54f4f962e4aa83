"""No room keeps a module-level list of callbacks that another room fills at start-up (issue 20,
item 4): such a list is an upward import in disguise, and a reader following a publication
loses the trail at the call. The higher room calls the lower room's functions in order."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "jiandu"
CALLBACK_LIST = re.compile(r"^_[a-z_]+: *(list|dict)\[.*Callable", re.MULTILINE)
REGISTRATION = re.compile(r"^def register_[a-z_]+\(", re.MULTILINE)


def offenders(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    return found


def test_no_module_level_callback_list_remains():
    assert offenders(CALLBACK_LIST) == []


def test_no_room_offers_a_registration_function():
    assert offenders(REGISTRATION) == []


def test_the_patterns_find_what_they_look_for():
    sample = "_checks: list[Callable[[int], bool]] = []\ndef register_check(check):\n"
    assert CALLBACK_LIST.search(sample) and REGISTRATION.search(sample)
