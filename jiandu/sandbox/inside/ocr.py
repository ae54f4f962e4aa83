"""Read the text of a scanned or photographed page, and find search terms in it, by its words.

Imported inside the sandbox (as `ocr`, by the evidence OCR worker and the render worker) and,
for its pure functions (`find_terms`, `page_text`), by the server's tests. Standard library at
import; Pillow only in `read_page`, which gets an already decoded, size-checked image from the
sandbox's re-encoder (reencode.py).

The engine is Debian's Tesseract 5 (`tesseract-ocr`, LSTM models from `tesseract-ocr-chi-sim`,
`-chi-tra` and `-eng`; nothing is downloaded). It runs as a child of the worker, inside the same
walls, on one thread (OMP_THREAD_LIMIT=1: two pages on two cores beat one page on two threads),
fed a grey PNG on a pipe and answering hOCR (lines, words with a box and a confidence, and
characters with a box) on a pipe.
Why Tesseract and not RapidOCR (PP-OCR on onnxruntime): on our generated pages it was four to
five times faster on one core, reads Traditional Chinese with its own model (RapidOCR's Chinese
model misread or dropped a tenth of it), gives a box and a confidence per word (the redaction's
boxes and its list of doubts), and comes with security updates from Debian; RapidOCR read
Simplified Chinese better, and is the tests' second engine (tests/redaction/).

A page's script is read first (Tesseract's orientation and script detection, `--psm 0`), which
also says whether the page lies on its side: Latin pages are read with `eng` only (faster, and
the Chinese models space English words badly), Han pages with the Simplified model, and again
with the Traditional one when the first reading is unsure (each model alone reads its script
better than both together, or either with English; the Chinese models read Latin letters too).

Term matching (`find_terms`) is done on the words in reading order, spaces and case ignored,
Traditional folded onto Simplified (a term typed in one script finds the other), so a term split
over two lines or two OCR words is still found; a Latin term must start and end on a word's
edge ("Li" does not black out "Lisbon"). Near misses (an edit or two, by the term's length) are
hidden too: a redaction errs on the side of hiding. Words the engine doubted that look like
part of the term are returned separately, for the journalist to box by hand.
"""

import contextlib
import html
import io
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass

TESSERACT = "/usr/bin/tesseract"
TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"
LATIN = "eng"
SIMPLIFIED = "chi_sim"
TRADITIONAL = "chi_tra"
# A Simplified reading at least this sure (mean word confidence) is not read again as Traditional.
SURE = 86.0
# ...and a Traditional reading replaces it when surer by this much. On full pages the right
# model was surer by 3 to 15 points; on a line or two it is noise, and either reading holds the
# same characters up to script, which search and term matching fold anyway.
MARGIN = 2.0
DPI = "200"
# Below this confidence (Tesseract's 0-100) a word is a doubt when it looks like part of a term.
DOUBT = 60.0
MAX_WORDS = 20000  # per page: more is the engine's (or an attacker's page's) invention
MAX_WORD = 200  # characters per word kept
ENV = {"OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}
ROTATE = re.compile(rb"Rotate: (\d+)")
# The three hOCR elements read, in document order: a line (any of Tesseract's line classes,
# numbered block_par_line or block_line), a word (box, confidence), a character (box).
HOCR = re.compile(
    r"class='ocr_(?:line|caption|header|textfloat)' id='line_\d+_(?P<line>\d+)'"
    r"|class='ocrx_word' id='word_\d+_\d+' title='bbox (?P<w0>\d+) (?P<w1>\d+) (?P<w2>\d+) "
    r"(?P<w3>\d+); x_wconf (?P<conf>-?\d+)'"
    r"|class='ocrx_cinfo' title='x_bboxes (?P<c0>-?\d+) (?P<c1>-?\d+) (?P<c2>-?\d+) "
    r"(?P<c3>-?\d+); x_conf [\d.]+'>(?P<char>[^<]{1,16})</span>"
)
SCRIPT = re.compile(rb"Script: (\w+)")


@dataclass(frozen=True)
class Word:
    """One word the engine read: its text, confidence (0-100), box in the page's pixels, the
    line it belongs to, and the box of each of its characters (spaces left out) when the
    engine gave them (the LSTM's are approximate: a match is padded)."""

    text: str
    conf: float
    x: int
    y: int
    w: int
    h: int
    line: tuple[int, int, int]
    chars: tuple[tuple[int, int, int, int], ...] = ()


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
    )


def _tesseract(png: bytes, args: list[str], timeout: float) -> bytes:
    return subprocess.run(
        [TESSERACT, "stdin", "stdout", "--dpi", DPI, *args],
        input=png, capture_output=True, check=True, timeout=timeout, env=ENV,
    ).stdout  # fmt: skip


def detect(png: bytes, timeout: float = 60) -> tuple[int, str]:
    """(clockwise quarter turns that set the page upright, the languages to read it with)."""
    try:
        out = _tesseract(png, ["--psm", "0"], timeout)
    except subprocess.CalledProcessError:  # too few characters to tell: read it every way
        return 0, SIMPLIFIED
    turn = ROTATE.search(out)
    script = SCRIPT.search(out)
    turns = (int(turn[1]) // 90) % 4 if turn else 0
    return turns, LATIN if script and script[1] == b"Latin" else SIMPLIFIED


def _unturn(box: tuple[int, int, int, int], turns: int, size: tuple[int, int]):
    """A box (x, y, w, h) on the page turned `turns` quarter turns clockwise, mapped back onto
    the original of `size` (width, height)."""
    x, y, w, h = box
    width, height = size
    if turns == 1:
        return y, height - x - w, h, w
    if turns == 2:
        return width - x - w, height - y - h, w, h
    if turns == 3:
        return width - y - h, x, h, w
    return x, y, w, h


def parse_hocr(hocr: bytes, turns: int = 0, size: tuple[int, int] = (0, 0)) -> list[Word]:
    """Tesseract's hOCR (with character boxes) as words in reading order, boxes mapped back
    from a page turned `turns` quarter turns clockwise onto the original of `size`."""
    words: list[Word] = []
    line = (0, 0, 0)
    current: list | None = None

    def close() -> None:
        if current is None or len(words) >= MAX_WORDS:
            return
        box, conf, chars = current
        text = "".join(c for c, _ in chars).strip()[:MAX_WORD]
        if not text:
            return
        boxes = tuple(_unturn(b, turns, size) for c, b in chars if not c.isspace())
        x, y, w, h = _unturn(box, turns, size)
        words.append(Word(text, conf, x, y, w, h, line, boxes[: len(text)]))

    for match in HOCR.finditer(hocr.decode("utf-8", "replace")):
        if match["line"] is not None:
            close()
            current = None
            line = (0, 0, int(match["line"]))
        elif match["w0"] is not None:
            close()
            x0, y0, x1, y1 = (int(match[f"w{i}"]) for i in range(4))
            current = [(x0, y0, x1 - x0, y1 - y0), float(match["conf"]), []]
        elif current is not None:
            x0, y0, x1, y1 = (int(match[f"c{i}"]) for i in range(4))
            char = html.unescape(match["char"])
            current[2].append((char, (x0, y0, max(1, x1 - x0), max(1, y1 - y0))))
    close()
    return words


def read_page(image, timeout: float = 120) -> tuple[list[Word], str]:
    """The words of one decoded page (a Pillow image) and the languages it was read with."""
    from PIL import Image

    grey = image.convert("L")
    buffer = io.BytesIO()
    grey.save(buffer, "PNG", compress_level=1)
    turns, languages = detect(buffer.getvalue(), timeout)
    if turns:
        # Tesseract's "Rotate: 90" means the page must turn 90 degrees clockwise to stand up;
        # Pillow turns counter-clockwise.
        upright = grey.transpose(
            {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180,
             3: Image.Transpose.ROTATE_90}[turns]
        )  # fmt: skip
        buffer = io.BytesIO()
        upright.save(buffer, "PNG", compress_level=1)
    page = buffer.getvalue()
    words = _read(page, languages, turns, grey.size, timeout)
    if languages == SIMPLIFIED and _confidence(words) < SURE:
        # Not sure it is Simplified: a Traditional page read with the Simplified model comes
        # out with a markedly lower confidence; read it again and keep the surer reading.
        again = _read(page, TRADITIONAL, turns, grey.size, timeout)
        if _confidence(again) > _confidence(words) + MARGIN:
            return again, TRADITIONAL
    return words, languages


def _read(png: bytes, languages: str, turns: int, size: tuple[int, int], timeout: float):
    hocr = _tesseract(
        png, ["-l", languages, "--psm", "3", "-c", "hocr_char_boxes=1", "hocr"], timeout
    )
    return parse_hocr(hocr, turns, size)


def _confidence(words: list[Word]) -> float:
    """The mean confidence of the words read, weighted by their length."""
    total = sum(len(w.text) for w in words)
    return sum(w.conf * len(w.text) for w in words) / total if total else 0.0


def page_text(words: list[Word]) -> str:
    """The page as lines of text: words joined by a space, except between two CJK characters."""
    lines: list[str] = []
    current: tuple[int, int, int] | None = None
    for word in words:
        if word.line != current:
            lines.append(word.text)
            current = word.line
            continue
        last = lines[-1]
        glue = "" if last and is_cjk(last[-1]) and is_cjk(word.text[0]) else " "
        lines[-1] = last + glue + word.text
    return "\n".join(lines)


_FOLD: dict[str, str] = {}


def fold(char: str) -> str:
    """One character as matched: compatibility forms and case folded, Traditional onto
    Simplified (character by character, so positions are kept)."""
    if char in _FOLD:
        return _FOLD[char]
    folded = unicodedata.normalize("NFKC", char).casefold()
    if len(folded) == 1 and is_cjk(folded):
        with contextlib.suppress(ImportError):  # no converter: Traditional matched as typed
            folded = _simplifier().convert(folded) or folded
    if len(folded) != 1:
        folded = char.casefold()[:1] or char
    if len(_FOLD) < 50000:
        _FOLD[char] = folded
    return folded


_converter = None


def _simplifier():
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return _converter


def _compact(term: str) -> str:
    return "".join(fold(c) for c in term if not c.isspace())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (the near misses a term matches; bench/ocr.py's error rate)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def allowed_edits(term: str) -> int:
    """How far an OCR reading may be from the term and still be hidden: none for short terms
    (a two-character name would match half the page), one from four characters (three for a
    Chinese name), two from ten."""
    cjk = any(is_cjk(c) for c in term)
    if len(term) >= 10:
        return 2
    if len(term) >= (3 if cjk else 5):
        return 1
    return 0


@dataclass(frozen=True)
class Hit:
    """Where a term was read: one box per line it spans, in the page's pixels; `exact` is False
    for a near miss (hidden all the same)."""

    term: str
    boxes: tuple[tuple[int, int, int, int], ...]
    exact: bool


def _boxes(
    words: list[Word], chars: list[tuple[int, int, int]], start: int, end: int
) -> tuple[tuple[int, int, int, int], ...]:
    """The boxes covering characters start..end-1 of the stream (one per line): Latin words
    whole, padded by a fifth of their height (a third across); Chinese by their characters'
    boxes, padded by more than half a character across."""
    spans: dict[int, list[int]] = {}
    for index in range(start, end):
        number, offset, length = chars[index]
        spans.setdefault(number, [offset, offset + 1, length])
        spans[number][1] = offset + 1
    by_line: dict[tuple[int, int, int], list[int]] = {}
    for word_index, (first, last, length) in spans.items():
        word = words[word_index]
        x0, y0, x1, y1 = word.x, word.y, word.x + word.w, word.y + word.h
        if all(is_cjk(c) for c in word.text):
            # Chinese: the characters' own boxes (part of a run read as one word), or else a
            # cut in proportion; then more than half a character on each side, because the
            # LSTM's boxes are approximate (on our pages, up to half a character to the right).
            if (first, last) != (0, length) and len(word.chars) == length:
                x0 = min(word.chars[i][0] for i in range(first, last))
                x1 = max(word.chars[i][0] + word.chars[i][2] for i in range(first, last))
            elif (first, last) != (0, length):
                step = word.w / length
                x0, x1 = int(word.x + first * step), int(word.x + last * step + 0.999)
            half = int(0.6 * min(word.h, 2 * word.w / length + 1))
            x0, x1 = x0 - half, x1 + half
        box = by_line.setdefault(word.line, [x0, y0, x1, y1])
        box[0], box[1] = min(box[0], x0), min(box[1], y0)
        box[2], box[3] = max(box[2], x1), max(box[3], y1)
    out = []
    for x0, y0, x1, y1 in by_line.values():
        pad, side = max(2, (y1 - y0) // 5), max(3, (y1 - y0) // 3)
        out.append((max(0, x0 - side), max(0, y0 - pad), x1 - x0 + 2 * side, y1 - y0 + 2 * pad))
    return tuple(out)


def _stream(words: list[Word]) -> tuple[str, list[tuple[int, int, int]], list[bool]]:
    """The page's characters in reading order without spaces, folded, each with (word index,
    offset in the word, word length), and whether a word starts at that character."""
    text: list[str] = []
    chars: list[tuple[int, int, int]] = []
    starts: list[bool] = []
    for index, word in enumerate(words):
        letters = [c for c in word.text if not c.isspace()]
        for offset, char in enumerate(letters):
            text.append(fold(char))
            chars.append((index, offset, len(letters)))
            starts.append(offset == 0)
    return "".join(text), chars, starts


def _edge(text: str, starts: list[bool], position: int, at_start: bool) -> bool:
    """Whether a Latin match may begin (or end) at `position`: on a word's edge or beside a
    character that is not a letter or digit."""
    if at_start:
        return position == 0 or starts[position] or not text[position - 1].isalnum()
    return position == len(text) or starts[position] or not text[position].isalnum()


def find_terms(words: list[Word], terms: list[str]) -> tuple[list[Hit], list[Word]]:
    """Every place each term was read (exact or near), and the doubtful words: read with low
    confidence, not already hidden, and sharing enough with a term to be one misread."""
    text, chars, starts = _stream(words)
    hits: list[Hit] = []
    hidden: set[int] = set()
    for term in terms:
        wanted = _compact(term)
        if not wanted:
            continue
        latin = not any(is_cjk(c) for c in wanted)
        edits = allowed_edits(wanted)
        taken: list[tuple[int, int]] = []
        position = text.find(wanted)
        while position >= 0:
            end = position + len(wanted)
            if not latin or (
                _edge(text, starts, position, True) and _edge(text, starts, end, False)
            ):
                taken.append((position, end))
            position = text.find(wanted, position + 1)
        exact = len(taken)
        if edits:
            for start in range(len(text)):
                if text[start] != wanted[0] and (
                    start + 1 >= len(text) or text[start + 1] != wanted[1]
                ):
                    continue  # a near miss keeps its first or second character
                if latin and not _edge(text, starts, start, True):
                    continue
                best = None
                for size in range(len(wanted) - edits, len(wanted) + edits + 1):
                    end = start + size
                    if size <= 0 or end > len(text):
                        continue
                    if latin and not _edge(text, starts, end, False):
                        continue
                    if any(a < end and start < b for a, b in taken):
                        continue
                    distance = edit_distance(text[start:end], wanted)
                    if distance <= edits and (best is None or distance < best[0]):
                        best = (distance, end)
                if best is not None:
                    taken.append((start, best[1]))
        if not latin and len(wanted) >= 3:
            taken += _broken(text, chars, words, wanted, taken)
        for number, (start, end) in enumerate(taken):
            hits.append(Hit(term, _boxes(words, chars, start, end), number < exact))
            hidden.update(chars[i][0] for i in range(start, end))
    doubts = [
        word
        for index, word in enumerate(words)
        if index not in hidden and 0 <= word.conf < DOUBT and _resembles(word.text, terms)
    ]
    return hits, doubts


def _broken(
    text: str,
    chars: list[tuple[int, int, int]],
    words: list[Word],
    wanted: str,
    taken: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """A Chinese term broken over a line end and misread on one side: its first two
    characters near the end of a line, or its last two near the start of one, with the rest
    taken from the other line (plus a character). The engine misreads most at the page's
    edges, and a redaction errs on the side of hiding."""
    found: list[tuple[int, int]] = []
    size = len(wanted)
    starts = [0] + [
        i for i in range(1, len(chars)) if words[chars[i][0]].line != words[chars[i - 1][0]].line
    ]
    bounds = [*starts, len(text)]
    for number in range(1, len(starts)):
        before, at, after = bounds[number - 1], bounds[number], bounds[number + 1]
        if any(x < at < y for x, y in taken):
            continue  # a match already runs over this line end
        near = max(before, at - size + 1)
        head = text[near:at].rfind(wanted[:2])
        if head >= 0:
            first = near + head
            found.append((first, min(after, at + size - (at - first) + 1)))
        near = min(after, at + size - 1)
        tail = text[at:near].find(wanted[-2:])
        if tail >= 0:
            last = at + tail + 2
            found.append((max(before, at - (size - (last - at)) - 1), last))
    return [(a, b) for a, b in found if b - a > 2]


def _resembles(text: str, terms: list[str]) -> bool:
    """A doubtful word looks like part of a term: it shares a Chinese character with it, or,
    in Latin letters, half of its letter pairs."""
    word = _compact(text)
    if not word:
        return False
    for term in terms:
        wanted = _compact(term)
        if any(is_cjk(c) for c in wanted):
            if any(c in wanted for c in word if is_cjk(c)):
                return True
            continue
        pairs = {word[i : i + 2] for i in range(len(word) - 1)}
        if not pairs:
            continue
        common = pairs & {wanted[i : i + 2] for i in range(len(wanted) - 1)}
        if len(common) * 2 >= len(pairs):
            return True
    return False


SCALE = 4  # unread ink is looked for on the page shrunk this many times (noise averages out)
MAX_UNREAD = 50


def unread(image, words: list[Word]) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of ink that no word read covers: a line the engine's layout analysis
    dropped, a stamp, handwriting, a picture. They may hold a term nobody can search for, so
    a redaction lists them for the journalist to look at."""
    import numpy as np
    from PIL import Image

    grey = image.convert("L")
    small = grey.resize(
        (max(1, grey.width // SCALE), max(1, grey.height // SCALE)), Image.Resampling.BOX
    )
    ink = np.asarray(small) < 200
    for word in words:
        pad_x, pad_y = 0.6 * word.h, 0.3 * word.h
        x0, x1 = int((word.x - pad_x) / SCALE), int((word.x + word.w + pad_x) / SCALE) + 1
        y0, y1 = int((word.y - pad_y) / SCALE), int((word.y + word.h + pad_y) / SCALE) + 1
        ink[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = False
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    boxes: list[tuple[int, int, int, int]] = []
    for band in np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1):
        if len(band) < 3 or band[-1] - band[0] < 2:
            continue
        columns = np.flatnonzero(ink[band[0] : band[-1] + 1].any(axis=0))
        for run in np.split(columns, np.flatnonzero(np.diff(columns) > 6) + 1):
            if len(run) < 4:
                continue
            x0, y0 = int(run[0]) * SCALE, int(band[0]) * SCALE
            boxes.append(
                (x0, y0, (int(run[-1]) + 1) * SCALE - x0, (int(band[-1]) + 1) * SCALE - y0)
            )
            if len(boxes) >= MAX_UNREAD:
                return boxes
    return boxes


def available() -> bool:
    """Whether the engine and its models are installed (checked before a run)."""
    return os.access(TESSERACT, os.X_OK) and all(
        os.path.exists(os.path.join(TESSDATA, f"{name}.traineddata"))
        for name in ("eng", "chi_sim", "chi_tra", "osd")
    )
