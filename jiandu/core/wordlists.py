"""The bundled word lists: the tip line draws codenames from them, the vault draws the
newsroom's pseudonymous designations of sources.

- `english`, `chinese_simplified`, `chinese_traditional`: the 2,048-entry BIP-39 lists (MIT,
  from python-mnemonic). The Chinese ones are single characters: codenames issued before
  issue 19 are made of them and must keep signing in.
- `chinese_words_simplified`, `chinese_words_traditional`: 4,096 common two-character words,
  index for index, derived from jieba's frequency dictionary (MIT) by
  scripts/make_chinese_wordlist.py, which documents the source and the filter.

A codename's canonical form is its words' indices, so a list that changed (even its order)
would lock sources out: each list is held to its SHA-256, and a damaged install says so.
"""

import hashlib
from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent / "wordlists"
# name: (entries, SHA-256 of the file)
_LISTS = {
    "english": (2048, "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"),
    "chinese_simplified": (
        2048,
        "5c5942792bd8340cb8b27cd592f1015edf56a8c5b26276ee18a482428e7c5726",
    ),
    "chinese_traditional": (
        2048,
        "417b26b3d8500a4ae3d59717d7011952db6fc2fb84b807f3f94ac734e89c1b5f",
    ),
    "chinese_words_simplified": (
        4096,
        "5403605a9999952f92ebd50dc336d5affd70e2f110c293600bbd31b51d522d72",
    ),
    "chinese_words_traditional": (
        4096,
        "cd38c7bb7e4446b6cf3803e79f88629884595b7d654515fdf0cf463e504ce981",
    ),
}
NAMES = tuple(_LISTS)


@cache
def load(name: str) -> tuple[str, ...]:
    """The list, checked: its pinned size in distinct entries and its pinned SHA-256, or
    RuntimeError (a damaged install: signing in with it would find no source)."""
    if name not in _LISTS:
        raise ValueError(f"No word list named {name!r}.")
    size, digest = _LISTS[name]
    raw = (_DIR / f"{name}.txt").read_bytes()
    words = tuple(raw.decode("utf-8").split())
    if hashlib.sha256(raw).hexdigest() != digest or len(set(words)) != size:
        raise RuntimeError(f"Word list {name} is damaged.")
    return words
