"""The house rules held by ast-grep (tools/rules/, run by tools/house_rules.py in make lint):
each rule fails on a small bad snippet and passes the good one beside it, in a scratch project
that uses the real rule files; the allow list fails on new findings and on stale entries."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import house_rules  # noqa: E402


def scan_snippets(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, int]]:
    """(rule id, file, line) for each finding of the real rules on these files."""
    shutil.copy(ROOT / "sgconfig.yml", tmp_path / "sgconfig.yml")
    shutil.copytree(ROOT / "tools" / "rules", tmp_path / "tools" / "rules")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    findings = house_rules.scan(config=tmp_path / "sgconfig.yml")
    return sorted((f["ruleId"], f["file"], f["range"]["start"]["line"] + 1) for f in findings)


def test_foreign_objects_in_a_view(tmp_path: Path) -> None:
    found = scan_snippets(
        tmp_path,
        {
            "jiandu/newsroom/views.py": (
                "from jiandu.vault.models import Source, Grant as G\n"
                "from jiandu.vault import models as vault_models\n"
                "from jiandu.newsroom.models import Note\n"
                "def page(request):\n"
                "    Source.objects.count()\n"  # 5: another room's model
                "    G.objects.all()\n"  # 6: aliased
                "    vault_models.Submission.objects.all()\n"  # 7: through the module
                "    Note.objects.all()\n"  # own room: fine
            ),
            # The same query outside a view (an access_* or a read) is the right place.
            "jiandu/newsroom/access.py": (
                "from jiandu.vault.models import Source\ndef f():\n    Source.objects.count()\n"
            ),
        },
    )
    assert found == [
        ("foreign-objects-in-view-newsroom", "jiandu/newsroom/views.py", 5),
        ("foreign-objects-in-view-newsroom", "jiandu/newsroom/views.py", 6),
        ("foreign-objects-in-view-newsroom", "jiandu/newsroom/views.py", 7),
    ]


def test_private_name_across_modules(tmp_path: Path) -> None:
    found = scan_snippets(
        tmp_path,
        {
            "jiandu/tipline/codename.py": (
                "from jiandu.vault import crypto\n"
                "from jiandu.forensics.previews import Problem, _problem\n"  # 2
                "from django.utils.translation import gettext as _\n"  # alias _: fine
                "from jiandu.core import __version__\n"  # dunder: fine
                "x = crypto._Raw\n"  # 5
                "y = crypto.Raw\n"
                "class A:\n"
                "    def f(self):\n"
                "        return self._own\n"  # its own attribute: fine
            ),
        },
    )
    assert found == [
        ("private-name-across-modules", "jiandu/tipline/codename.py", 2),
        ("private-name-across-modules", "jiandu/tipline/codename.py", 5),
    ]


def test_get_that_writes(tmp_path: Path) -> None:
    found = scan_snippets(
        tmp_path,
        {
            "jiandu/cases/actions.py": (
                "def get_policy():\n"  # 1
                "    return Policy.objects.get_or_create(pk=1)\n"
                "def get_name(case):\n"  # 3
                "    case.save()\n"
                "def get_thing(x):\n"  # 5
                "    return do_touch_source(x)\n"
                "def get_count():\n"  # 7
                "    Case.objects.filter(a=1).update(b=2)\n"
                "def get_case(pk):\n"
                "    options = {}\n"
                "    options.update(a=1)\n"  # a dict's update: not a write
                "    return Case.objects.get(pk=pk)\n"
                "def do_save(case):\n"
                "    case.save()\n"
            ),
        },
    )
    assert found == [("get-that-writes", "jiandu/cases/actions.py", n) for n in (1, 3, 5, 7)]


def test_receiver_for_another_rooms_model(tmp_path: Path) -> None:
    found = scan_snippets(
        tmp_path,
        {
            "jiandu/newsroom/receivers.py": (
                "from django.db.models.signals import post_save\n"
                "from django.dispatch import receiver\n"
                "from jiandu.vault.models import Submission\n"
                "from jiandu.newsroom.models import Note\n"
                "from jiandu.vault.signals import submission_received\n"
                "@receiver(post_save, sender=Submission)\n"  # 6
                "def a(sender, **kw): ...\n"
                "@receiver(post_save, sender=Note)\n"  # own model: fine
                "def b(sender, **kw): ...\n"
                "@receiver(submission_received)\n"  # a domain signal: fine
                "def c(sender, **kw): ...\n"
                "post_save.connect(a, sender='vault.Source')\n"  # 12
                "post_save.connect(b, sender='newsroom.Note')\n"
            ),
        },
    )
    assert found == [
        ("foreign-model-receiver-newsroom", "jiandu/newsroom/receivers.py", 6),
        ("foreign-model-receiver-newsroom", "jiandu/newsroom/receivers.py", 12),
    ]


def test_every_room_has_its_rules() -> None:
    """The cross-room rules are written once per room: a new room needs its two entries."""
    rooms = sorted(p.parent.name for p in (ROOT / "jiandu").glob("*/apps.py"))
    for rule in ("foreign-objects-in-view", "foreign-model-receiver"):
        text = (ROOT / "tools" / "rules" / f"{rule}.yml").read_text()
        missing = [room for room in rooms if f"id: {rule}-{room}\n" not in text]
        assert missing == [], f"{rule}: no rule for {missing}"


def finding(rule: str, file: str, line: int = 1) -> dict:
    return {"ruleId": rule, "file": file, "message": "m", "range": {"start": {"line": line - 1}}}


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([finding("r", "a.py")], []),
        ([finding("r", "a.py"), finding("r", "a.py", 9)], ["a.py:1: [r] m", "a.py:9: [r] m"]),
        ([finding("r", "b.py", 3)], ["b.py:3: [r] m", "a.py: [r] allowed 1 but found 0"]),
        ([], ["a.py: [r] allowed 1 but found 0"]),
    ],
)
def test_allow_list_counts(findings: list[dict], expected: list[str]) -> None:
    lines = house_rules.problems(findings, {("r", "a.py"): (1, "waits for issue 0")})
    assert [line.split(": lower")[0] for line in lines] == expected


def test_the_house_keeps_its_rules() -> None:
    """What make lint runs: no finding beyond the allow list, no stale allowance."""
    assert house_rules.problems(house_rules.scan(), house_rules.ALLOWED) == []
