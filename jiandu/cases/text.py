"""Content written once, read in three languages.

Every piece of case content has a Chinese and an English field; an editor fills one or both.
Chinese is written in either script and shown in the reader's script by OpenCC (s2tw / t2s:
character conversion only, with Taiwan's standard character forms such as 為, and no regional
rephrasing, so names and terms stay as written). Where the
reader's language is missing, the other one is shown, marked with its own `lang`.
"""

from functools import lru_cache

import opencc

_S2T = opencc.OpenCC("s2tw")
_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    return _T2S.convert(text)


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    return _S2T.convert(text)


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
