"""Codenames: the source's only way back, and the seed of the source's reply key.

A codename is 8 words drawn uniformly (`secrets`) from a 2,048-entry list: English words
(BIP-39 list) or, for Chinese readers, single common characters (BIP-39 Chinese lists; the
simplified and traditional lists match index for index, so a codename typed in either script
is the same codename). 8 × 11 bits = 88 bits either way.

The server never stores a codename. It stores `lookup`: BLAKE2b of Argon2id(canonical codename,
salt = BLAKE2b(server pepper)), which finds the source at login; the same Argon2id output also
seeds the X25519 key pair replies are sealed to. Canonical form: the words' indices, so case,
spaces, full-width characters and script do not matter, and any mistake gets a clear error.

The Argon2id cost is pinned per source (`Source.kdf_opslimit`, `kdf_memlimit`): a new source
gets the current setting, and signing in derives with each cost still in use, the current one
first (`kdf_settings_to_try`), so raising JIANDU_KDF_* locks no source out. A source cannot be
moved to a new cost, because its reply key pair comes from the same derivation.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import nacl.hash

from jiandu.core import wordlists
from jiandu.vault import crypto

WORDS = 8
# Separators people type between words: spaces of any width, hyphens, dots, commas, 、 and ，.
_SEPARATORS = re.compile(r"[\s\-_.,;:/·、，。；：]+")
MAX_INPUT = 400
# Argon2id costs tried at sign-in, at most: each costs one derivation, also for a wrong codename.
MAX_KDF_SETTINGS = 4


class CodenameError(ValueError):
    """A codename that cannot be right, with the reason (for the source to see)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@cache
def _index(name: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(wordlists.load(name))}


def generate(style: str = "en") -> str:
    """A new codename: 'en' gives English words, 'zh' Simplified and 'zh-hant' Traditional
    characters (which are the same codename as their Simplified twins)."""
    names = {"en": "english", "zh": "chinese_simplified", "zh-hant": "chinese_traditional"}
    words = wordlists.load(names[style])
    picked = [words[secrets.randbelow(len(words))] for _ in range(WORDS)]
    if style == "en":
        return " ".join(picked)
    # Characters in two groups of four: easy to copy, and separators do not matter anyway.
    return "".join(picked[:4]) + " " + "".join(picked[4:])


def canonical(text: str) -> str:
    """The canonical form ('en:12.5.2047...' or 'zh:...') or CodenameError explaining why not."""
    if len(text) > MAX_INPUT:
        raise CodenameError("too_long")
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if not text:
        raise CodenameError("empty")
    if any(_is_cjk(ch) for ch in text):
        tokens = [ch for ch in _SEPARATORS.sub("", text)]
        kind = "zh"
        simplified, traditional = _index("chinese_simplified"), _index("chinese_traditional")
        indices = []
        for token in tokens:
            index = simplified.get(token, traditional.get(token))
            if index is None:
                raise CodenameError("unknown_word", token)
            indices.append(index)
    else:
        tokens = [t for t in _SEPARATORS.split(text) if t]
        kind = "en"
        english = _index("english")
        indices = []
        for token in tokens:
            if token not in english:
                raise CodenameError("unknown_word", token[:40])
            indices.append(english[token])
    if len(indices) != WORDS:
        raise CodenameError("wrong_count", str(len(indices)))
    return kind + ":" + ".".join(str(i) for i in indices)


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
        pepper.encode(), digest_size=16, person=b"jd:codename-salt", encoder=crypto._Raw
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
