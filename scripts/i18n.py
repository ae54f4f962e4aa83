"""Refresh every room's translation catalogues (a developer tool, not run by the server).

    .venv/bin/python scripts/i18n.py [ROOM ...]

For each `jiandu/<room>/locale`: runs makemessages for zh_Hans and zh_Hant, then fills each
empty or fuzzy zh_Hant entry from its zh_Hans translation converted by OpenCC (s2twp: Taiwan
phrasing), so translators write Simplified Chinese once. Review the result before committing.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import opencc
import polib

ROOT = Path(__file__).resolve().parent.parent
_S2TWP = opencc.OpenCC("s2twp").convert
# Where OpenCC's Taiwan phrasing picks the wrong word for our sense (audit for review,
# concurrency for "and publish", release for publish).
FIXES = {
    "稽核": "審核",
    "併發": "並發",
    "釋出": "發布",
    "發佈": "發布",
    "賬戶": "帳戶",
    "賬號": "帳號",
}


def to_traditional(text: str) -> str:
    text = _S2TWP(text)
    for wrong, right in FIXES.items():
        text = text.replace(wrong, right)
    return text


def refresh(room: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "zh_Hant",
            "--no-obsolete",
            "--no-location",
            "-v",
            "0",
        ],
        cwd=room,
        check=True,
        env={
            "DJANGO_SETTINGS_MODULE": "jiandu.settings",
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "JIANDU_DATA_DIR": tempfile.mkdtemp(prefix="jiandu-i18n-"),
        },
    )
    hans_path = room / "locale/zh_Hans/LC_MESSAGES/django.po"
    hans = polib.pofile(hans_path)
    # msgmerge's fuzzy guesses are translations of some other message: drop them, so the
    # catalogue test reports them as untranslated instead of shipping a wrong text.
    for entry in hans:
        if "fuzzy" in entry.flags:
            print(f"  needs translation: {entry.msgid!r}")
            entry.msgstr = ""
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
    hans.save(hans_path)
    hant_path = room / "locale/zh_Hant/LC_MESSAGES/django.po"
    hant = polib.pofile(hant_path)
    source = {(e.msgctxt, e.msgid): e for e in hans if e.msgstr or e.msgstr_plural}
    for entry in hant:
        key = (entry.msgctxt, entry.msgid)
        if key not in source:
            continue
        origin = source[key]
        entry.msgstr = to_traditional(origin.msgstr)
        if origin.msgstr_plural:
            entry.msgstr_plural = {k: to_traditional(v) for k, v in origin.msgstr_plural.items()}
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    hant.save(hant_path)


if __name__ == "__main__":
    # `scripts/i18n.py accounts tipline` refreshes only those rooms; no argument, all of them.
    rooms = sys.argv[1:] or [p.parent.name for p in sorted(ROOT.glob("jiandu/*/locale"))]
    for room in rooms:
        refresh(ROOT / "jiandu" / room)
        print("refreshed", room)
