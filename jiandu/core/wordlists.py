"""The bundled 2,048-word lists (BIP-39 English, Simplified and Traditional Chinese; MIT,
from python-mnemonic): the tip line draws codenames from them, the vault draws the
newsroom's pseudonymous designations of sources."""

from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent / "wordlists"
NAMES = ("english", "chinese_simplified", "chinese_traditional")


@cache
def load(name: str) -> tuple[str, ...]:
    """The list, checked: 2,048 distinct entries, or RuntimeError (a damaged install)."""
    if name not in NAMES:
        raise ValueError(f"No word list named {name!r}.")
    words = tuple((_DIR / f"{name}.txt").read_text(encoding="utf-8").split())
    if len(words) != 2048 or len(set(words)) != 2048:
        raise RuntimeError(f"Word list {name} is damaged.")
    return words
