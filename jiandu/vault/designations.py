"""A source's designation in the reader's language.

A designation is two words of the BIP-39 English list ("amber falcon"), stored once. The BIP-39
Chinese lists are aligned with it word for word, so the same two positions give a Chinese name
of two characters (Simplified or Traditional) that names the same source and no other: a
Chinese page says 线人“赛浆” where an English one says Source "lyrics pulp", and the stored
designation (what exports, custody and colleagues in the other language use) stays visible
beside it. A designation of another shape (an older installation's) is shown as stored.
"""

from __future__ import annotations

from functools import cache

from jiandu.core import wordlists

CHINESE_LISTS = {"zh-hans": "chinese_simplified", "zh-hant": "chinese_traditional"}


@cache
def _positions() -> dict[str, int]:
    return {word: position for position, word in enumerate(wordlists.load("english"))}


def in_language(designation: str, language: str | None) -> str:
    """The designation as a reader of `language` reads it (unchanged outside Chinese)."""
    name = CHINESE_LISTS.get((language or "").lower())
    words = designation.split()
    positions = _positions()
    if name is None or len(words) != 2 or not all(word in positions for word in words):
        return designation
    chinese = wordlists.load(name)
    return "".join(chinese[positions[word]] for word in words)
