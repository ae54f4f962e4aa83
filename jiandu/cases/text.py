"""Content written once, read in three languages.

Every piece of case content has a Chinese and an English field; an editor fills one or both.
Chinese is written in either script and shown in the reader's script (jiandu/core/chinese.py).
Where the reader's language is missing, the other one is shown, marked with its own `lang`.
"""

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
