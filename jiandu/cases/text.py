"""Content written once, read in three languages.

Every piece of case content has a Chinese and an English field; an editor fills one or both.
Chinese is written in either script and shown in the reader's script (jiandu/core/chinese.py).
Where the reader's language is missing, the other one is shown, marked with its own `lang`.
"""

import re

from jiandu.core.chinese import to_simplified, to_traditional


def localize(pair: dict[str, str] | None, language: str) -> tuple[str, str]:
    """(text, BCP-47 tag of the text) for a {"zh": ..., "en": ...} pair in `language`."""
    pair = pair or {}
    zh, en = pair.get("zh", "") or "", pair.get("en", "") or ""
    if language == "en":
        if en:
            return en, "en"
        return (to_simplified(zh), "zh-Hans") if zh else ("", "en")
    if zh:
        if language == "zh-hant":
            return to_traditional(zh), "zh-Hant"
        return to_simplified(zh), "zh-Hans"
    return en, "en"


def fold(text: str) -> str:
    """Search folding: one script (simplified), lower case, single spaces."""
    return " ".join(to_simplified(text).casefold().split())


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def pair_by_script(text: str) -> dict[str, str]:
    """One text as a {"zh", "en"} pair, by the script it is written in: with Chinese
    characters, the Chinese side; without, the English side; Chinese with three or more
    Latin words (a note written in both languages), both sides. A Chinese note that names
    an acronym or two stays Chinese. Used where a text arrives as one string (a retraction's
    reason, a note given to `do_submit_for_review` as one text) and by migration 0007, which
    moved the single revision notes into pairs with the same rule."""
    text = text.strip()
    if not CJK.search(text):
        return {"zh": "", "en": text}
    if len(LATIN_WORD.findall(text)) >= 3:
        return {"zh": text, "en": text}
    return {"zh": text, "en": ""}


def has_chinese(text: str) -> bool:
    """Whether a text has Chinese characters: a quoted source's name, headline or quote is
    one text in its own language, never translated, and without Chinese it is declared
    English on the desk's pages (jiandu/cases/templatetags/case_text.py)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)
