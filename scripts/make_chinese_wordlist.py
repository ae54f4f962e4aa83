"""Make the Chinese codename word lists from jieba's dictionary, or check the shipped ones.

    .venv/bin/python scripts/make_chinese_wordlist.py --dict PATH/jieba/dict.txt           # check
    .venv/bin/python scripts/make_chinese_wordlist.py --dict PATH/jieba/dict.txt --write   # write

Source: `jieba/dict.txt` from jieba 0.42.1 (https://github.com/fxsjy/jieba, MIT licence, © Sun
Junyi), the word-frequency dictionary of the most used Chinese segmentation library: one line a
word, `word frequency part-of-speech`, 349,046 lines (SHA-256 pinned below). Get it with
`pip download --no-deps --no-binary :all: jieba==0.42.1` and unpack the tarball. Only the
derived list is shipped, not jieba (jiandu/core/wordlists/LICENSE carries its notice).

Filter, in this order (each word a source must copy and type is a common one):
1. exactly two characters, both in GB2312 level 1 (the 3,755 most common characters, rows
   0xB0-0xD7): every Simplified input method (pinyin, wubi, handwriting) types them;
2. a common part of speech (nouns, verbs, adjectives, adverbs, time and place words, ...), not
   names of people, places or organisations, numerals, measure words, abbreviations or idioms;
3. none of the characters in AVOID (death, sex, bodily waste, and what a codename on a piece of
   paper should not look like at a search: party, army, police, weapons, prison, crime);
4. its Traditional form (jiandu.core.chinese.to_traditional: OpenCC s2tw, what the site uses)
   has two characters in Big5 level 1 (so Cangjie, Zhuyin and every Traditional input method
   types them) and converts back to the same word (to_simplified);
5. no clash: its Traditional form is neither another kept word (in either script) nor the
   Traditional form of one, so either script, or a mix, names one index;
then the 4,096 most frequent (ties: code point order), sorted by code point. 7 words from 4,096
are 7 × 12 = 84 bits.

The order is frozen once shipped: a codename's canonical form is its words' indices, so the
lists must never change (jiandu.core.wordlists checks their SHA-256). Running this again with
the same dictionary and OpenCC reproduces them byte for byte; the check mode says so.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jiandu.core.chinese import to_simplified, to_traditional  # noqa: E402

DICT_SHA256 = "7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8"
SIZE = 4096
OUT = ROOT / "jiandu" / "core" / "wordlists"
SIMPLIFIED = OUT / "chinese_words_simplified.txt"
TRADITIONAL = OUT / "chinese_words_traditional.txt"

# jieba's tags (ICTCLAS): n noun, v verb, a adjective, d adverb, vn/an/ad/vd nominal or
# adverbial uses, t time, s place, f direction, z state, b distinguishing, c conjunction,
# r pronoun. Left out: nr/nrt/nrfg/ns/nt/nz proper names, m/mq/q numbers and measures, j
# abbreviations, l/i idioms, p/u/y/o/e/x particles, prepositions and symbols, g/ng/vg morphemes.
TAGS = frozenset({"n", "v", "a", "d", "vn", "an", "ad", "vd", "t", "s", "f", "z", "b", "c", "r"})
AVOID = frozenset("死杀尸葬坟墓丧奸淫妓娼嫖骚裸屎尿屁粪党军警枪弹炸爆暴乱革囚狱刑罪毒贼匪赌")


def gb2312_level1(ch: str) -> bool:
    """One of GB2312's 3,755 level-1 characters (first byte 0xB0-0xD7)."""
    try:
        raw = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and 0xB0 <= raw[0] <= 0xD7


def big5_level1(ch: str) -> bool:
    """One of Big5's 5,401 common characters (0xA440-0xC67E)."""
    try:
        raw = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and 0xA440 <= int.from_bytes(raw) <= 0xC67E


def candidates(dictionary: Path) -> list[tuple[int, str]]:
    """(frequency, word) for each entry passing filters 1-4, most frequent first."""
    found = []
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, frequency, tag = line.split()
        if len(word) != 2 or tag not in TAGS or set(word) & AVOID:
            continue
        if not all(gb2312_level1(ch) for ch in word):
            continue
        traditional = to_traditional(word)
        if len(traditional) != 2 or not all(big5_level1(ch) for ch in traditional):
            continue
        if to_simplified(traditional) != word:
            continue
        found.append((-int(frequency), word))
    found.sort()
    return [(-minus, word) for minus, word in found]


def build(dictionary: Path) -> tuple[list[str], list[str]]:
    """The two lists, index for index (filter 5 applied in frequency order)."""
    digest = hashlib.sha256(dictionary.read_bytes()).hexdigest()
    if digest != DICT_SHA256:
        raise SystemExit(f"{dictionary} is not jieba 0.42.1's dict.txt (SHA-256 {digest}).")
    kept: dict[str, str] = {}
    taken: set[str] = set()
    for _frequency, word in candidates(dictionary):
        traditional = to_traditional(word)
        if word in taken or traditional in taken:
            continue
        kept[word] = traditional
        taken.update({word, traditional})
        if len(kept) == SIZE:
            break
    if len(kept) != SIZE:
        raise SystemExit(f"Only {len(kept)} words pass the filter.")
    simplified = sorted(kept)
    return simplified, [kept[word] for word in simplified]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dict", type=Path, required=True, help="jieba 0.42.1's dict.txt")
    parser.add_argument("--write", action="store_true", help="write the lists")
    args = parser.parse_args()
    simplified, traditional = build(args.dict)
    texts = {SIMPLIFIED: simplified, TRADITIONAL: traditional}
    if args.write:
        for path, words in texts.items():
            path.write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"Wrote {SIZE} words to {SIMPLIFIED.name} and {TRADITIONAL.name}.")
        return 0
    stale = [
        path.name
        for path, words in texts.items()
        if not path.exists() or path.read_text(encoding="utf-8") != "\n".join(words) + "\n"
    ]
    if stale:
        print("Differ from the dictionary: " + ", ".join(stale), file=sys.stderr)
        return 1
    print("The shipped lists are what the dictionary gives.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
