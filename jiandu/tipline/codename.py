"""Codenames: the source's only way back, and the seed of the source's reply key.

A codename is drawn uniformly (`secrets`) from a bundled list (jiandu.core.wordlists):
- English: 8 words of the 2,048-word BIP-39 list, 8 × 11 = 88 bits;
- Chinese: 7 common two-character words of a 4,096-word list (from jieba's frequency
  dictionary, characters in GB2312 level 1, so any input method types them), 7 × 12 = 84 bits,
  shown as words with spaces. The Simplified and Traditional lists match index for index, so
  a codename typed in either script, or a mix, is the same codename; the words all have two
  characters, so one typed without spaces splits in one way only.
- Chinese codenames issued before issue 19 are 8 single characters (BIP-39 Chinese lists, 88
  bits) and still sign in: 8 characters are read as one of those, 14 as words. Their
  canonical form (`zh:`) is unchanged, so their lookup is the same as ever.

The server never stores a codename. It stores `lookup`: BLAKE2b of Argon2id(canonical codename,
salt = BLAKE2b(server pepper)), which finds the source at login; the same Argon2id output also
seeds the X25519 key pair replies are sealed to. Canonical form: the words' indices with the
list's prefix (`en:`, `zh:` old characters, `zhw:` words), so case, spaces, full-width
characters and script do not matter, and any mistake gets a clear error.

The Argon2id cost is pinned per source (`Source.kdf_opslimit`, `kdf_memlimit`): a new source
gets the current setting, and signing in derives with each cost still in use, the current one
first (`kdf_settings_to_try`), so raising JIANDU_KDF_* locks no source out. A source cannot be
moved to a new cost, because its reply key pair comes from the same derivation.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import nacl.encoding
import nacl.hash

from jiandu.core import wordlists
from jiandu.core.chinese import to_simplified
from jiandu.vault import crypto

WORDS = 8  # English words; also the characters of a Chinese codename from before issue 19
ZH_WORDS = 7  # Chinese words of two characters each
ZH_WORD_LENGTH = 2
_LISTS = {
    "en": "english",
    "zh": "chinese_words_simplified",
    "zh-hant": "chinese_words_traditional",
}
# Separators people type between words: spaces of any width, hyphens, dots, commas, 、 and ，.
_SEPARATORS = re.compile(r"[\s\-_.,;:/·、，。；：]+")
MAX_INPUT = 400
# Argon2id costs tried at sign-in, at most: each costs one derivation, also for a wrong codename.
MAX_KDF_SETTINGS = 4


class CodenameError(ValueError):
    """A codename that cannot be right, with the reason (for the source to see)."""

    def __init__(self, code: str, detail: str = "", script: str = "en") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.script = script  # "zh" when the source typed Chinese (counts are characters)


@cache
def _index(name: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(wordlists.load(name))}


def generate(style: str = "en") -> str:
    """A new codename: 'en' gives English words, 'zh' Simplified and 'zh-hant' Traditional
    Chinese words (which are the same codename as their Simplified twins), space-separated."""
    words = wordlists.load(_LISTS[style])
    count = WORDS if style == "en" else ZH_WORDS
    return " ".join(words[secrets.randbelow(len(words))] for _ in range(count))


def bits(style: str = "en") -> float:
    """The codename's entropy, from the shipped list's size: words × log2(list size)."""
    count = WORDS if style == "en" else ZH_WORDS
    return count * math.log2(len(wordlists.load(_LISTS[style])))


def canonical(text: str) -> str:
    """The canonical form ('en:12.5.2047...', 'zhw:...', or 'zh:...' for an old Chinese
    codename) or CodenameError explaining why not."""
    if len(text) > MAX_INPUT:
        raise CodenameError("too_long")
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if not text:
        raise CodenameError("empty")
    if any(_is_cjk(ch) for ch in text):
        return _canonical_chinese(_SEPARATORS.sub("", text))
    tokens = [t for t in _SEPARATORS.split(text) if t]
    english = _index("english")
    indices = []
    for token in tokens:
        if token not in english:
            raise CodenameError("unknown_word", token[:40])
        indices.append(english[token])
    if len(indices) != WORDS:
        raise CodenameError("wrong_count", str(len(indices)))
    return "en:" + ".".join(str(i) for i in indices)


def _canonical_chinese(text: str) -> str:
    """Chinese without separators: 14 characters are 7 words (each pair looked up in either
    script, then as converted to Simplified, for a Traditional variant such as 遺跡 for 遺蹟);
    8 are an old codename of single characters (either script)."""
    if len(text) == ZH_WORDS * ZH_WORD_LENGTH:
        simplified = _index("chinese_words_simplified")
        traditional = _index("chinese_words_traditional")
        indices = []
        for start in range(0, len(text), ZH_WORD_LENGTH):
            word = text[start : start + ZH_WORD_LENGTH]
            index = simplified.get(word, traditional.get(word))
            if index is None:
                index = simplified.get(to_simplified(word))
            if index is None:
                raise CodenameError("unknown_word", word, "zh")
            indices.append(index)
        return "zhw:" + ".".join(str(i) for i in indices)
    if len(text) == WORDS:
        simplified, traditional = _index("chinese_simplified"), _index("chinese_traditional")
        indices = []
        for ch in text:
            index = simplified.get(ch, traditional.get(ch))
            if index is None:
                raise CodenameError("unknown_word", ch, "zh")
            indices.append(index)
        return "zh:" + ".".join(str(i) for i in indices)
    raise CodenameError("wrong_count", str(len(text)), "zh")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@dataclass(frozen=True)
class SourceSecrets:
    lookup: str  # 64 hex characters, stored
    reply_private_key: bytes  # kept only in the source's encrypted session
    reply_public_key: bytes  # stored
    params: crypto.KdfParams  # the Argon2id cost used, stored with the source


def derive(
    canonical_codename: str,
    pepper: str,
    params: crypto.KdfParams,
    *,
    wait_seconds: float | None = None,
) -> SourceSecrets:
    """One Argon2id run (through the vault's bounded pool, waiting at most `wait_seconds` for a
    slot: crypto.KdfBusy) gives the lookup and the reply key."""
    salt = nacl.hash.blake2b(
        pepper.encode(),
        digest_size=16,
        person=b"jd:codename-salt",
        encoder=nacl.encoding.RawEncoder,
    )
    master = crypto.argon2id_kdf(
        canonical_codename.encode(), salt, params, wait_seconds=wait_seconds
    )
    lookup = crypto.subkey(master, b"jd:lookup").hex()
    private, public = crypto.keypair_from_seed(crypto.subkey(master, b"jd:reply-key"))
    return SourceSecrets(
        lookup=lookup, reply_private_key=private, reply_public_key=public, params=params
    )


def kdf_settings_to_try(
    current: crypto.KdfParams, in_use: Iterable[crypto.KdfParams]
) -> list[crypto.KdfParams]:
    """The costs to derive with at sign-in: the current one, then the others sources were made
    with (in the order given: newest first), each once, within the bounds any stored cost is
    held to, at most MAX_KDF_SETTINGS (a database row cannot make a sign-in run many)."""
    tried: list[crypto.KdfParams] = []
    for params in [current, *in_use]:
        if params in tried or not crypto.kdf_params_in_bounds(params):
            continue
        tried.append(params)
        if len(tried) == MAX_KDF_SETTINGS:
            break
    return tried
