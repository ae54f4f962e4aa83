"""OCR benchmark: how well scans are read, and how surely a named term is redacted in them.

    flock /tmp/jiandu-bench.lock .venv/bin/python bench/ocr.py [--pages 24] [--workers 2]

The set is generated here: A4 pages at 150 dpi of news-style text in Simplified Chinese,
Traditional Chinese (the same text through OpenCC) and English, in Noto CJK or DejaVu fonts at
22 to 34 pixels, with a named person or company put into the text four to seven times (some
split over two lines), rotated by up to 2 degrees, with Gaussian noise and saved as JPEG
(quality 60 to 85): what a phone scan or a photocopier makes.

Reading: each page goes through the workbench's path (jiandu.forensics.ocr.read_text: the
sandbox, Tesseract), `--workers` pages at a time; the character error rate compares the text
read with the text drawn after NFKC and (Chinese) without spaces, or (English) with spaces
collapsed. Redaction: each page goes through the studio's path (studio.render_image with the
page's name as a search term) and an occurrence counts as hidden when at least 95% of the
pixels under its drawn letters' (rotated) box are black in the derivative; an occurrence not
hidden but under a box the studio listed as doubtful counts for `recall_with_doubts`. The
figures are measured on this machine's cores; the last line is one JSON object. With
`--compare`, RapidOCR (the engine not chosen) reads the same pages too, for its CER and CPU.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import re
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CJK_SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
# Face indices in the Noto CJK collections: 0 JP, 1 KR, 2 SC, 3 TC.
CJK_INDEX = {"zh-Hans": 2, "zh-Hant": 3}
ZH = (
    "据知情人士透露，该市交通局在去年的道路改造工程中存在严重的违规招标问题。",
    "多名承包商表示，他们在投标前就被告知中标结果已经内定。",
    "记者调阅的会议纪要显示，项目预算在三个月内两次追加，总额超过原计划的百分之四十。",
    "审计部门曾经提出质疑，但相关报告至今没有公开。",
    "一位不愿透露姓名的工程师说，现场使用的材料与合同规定的标准不符。",
    "部分路段在通车半年后就出现了裂缝，市民多次向有关部门投诉，却迟迟得不到答复。",
    "文件还显示，负责审批的官员与中标公司的股东之间存在亲属关系。",
    "对此，该局新闻发言人表示将配合调查，并承诺在下个月公布处理结果。",
    "银行流水记录表明，有一笔款项在合同签订后第二天转入了一个私人账户。",
    "当地居民说，工地附近的河道在施工期间受到了明显的污染，鱼类大量死亡。",
    "举报人提供的照片拍摄于二零二五年十月，画面中可以看到未经批准的排污管道。",
    "专家认为，如果这些材料属实，有关责任人可能涉嫌滥用职权和受贿。",
)
EN = (
    "According to people familiar with the matter, the city's transport bureau rigged the "
    "tender for last year's road works.",
    "Several contractors said they had been told the winner before the bids were opened.",
    "Minutes of meetings seen by reporters show that the budget was raised twice within three "
    "months, by more than forty percent in all.",
    "Auditors raised questions, but their report has never been published.",
    "An engineer who asked not to be named said the materials used on site did not meet the "
    "standard in the contract.",
    "Parts of the road cracked within six months of opening, and residents complained many "
    "times without an answer.",
    "The documents also show that the official who approved the contract is related to a "
    "shareholder of the winning company.",
    "Bank statements indicate that a payment reached a private account the day after the "
    "contract was signed.",
    "A spokesman for the bureau said it would cooperate with any inquiry and publish its "
    "findings next month.",
    "Photographs supplied by the whistleblower, taken in October 2025, show a drainage pipe "
    "that was never approved.",
)
TERMS = {
    "zh-Hans": ("王建国", "李秀英", "陈志明", "华信建设集团"),
    "zh-Hant": ("王建國", "李秀英", "陳志明", "華信建設集團"),
    "en": ("Margaret Holloway", "Zhang Wei", "Brightwater Holdings", "Okonkwo"),
}


@dataclass
class Page:
    """One generated scan: its JPEG, the text drawn (lines), the term, and one polygon (four
    rotated corners) per piece of each occurrence of the term (a list per occurrence)."""

    language: str
    jpeg: bytes
    lines: list[str]
    term: str
    occurrences: list[list[list[tuple[float, float]]]] = field(default_factory=list)


def _text(language: str, rng: random.Random, term: str, length: int) -> tuple[str, list[int]]:
    """Sentences in random order with the term put in now and then; where each one starts."""
    sentences = EN if language == "en" else ZH
    text, starts = "", []
    while len(text) < length:
        sentence = rng.choice(sentences)
        if rng.random() < 0.4:
            if language == "en":
                words = sentence.split(" ")
                cut = rng.randrange(1, len(words))
                before, after = " ".join(words[:cut]) + " ", " " + " ".join(words[cut:])
            else:
                cut = rng.randrange(2, len(sentence) - 2)
                before, after = sentence[:cut], sentence[cut:]
            starts.append(len(text) + len(before))
            sentence = before + term + after
        text += sentence + (" " if language == "en" else "")
    return text, starts


def make_page(language: str = "zh-Hans", seed: int = 0, term: str = "") -> Page:
    """One page as a phone scan: see the module docstring."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(f"{language}-{seed}")
    term = term or rng.choice(TERMS[language])
    width, height = 1240, 1754
    if language == "en":
        size = rng.randrange(22, 31)
        font = ImageFont.truetype(rng.choice(LATIN_FONTS), size)
    else:
        size = rng.randrange(24, 35)
        font = ImageFont.truetype(rng.choice((CJK_SANS, CJK_SERIF)), size, CJK_INDEX[language])
    text, starts = _text(language if language != "zh-Hant" else "zh-Hans", rng, term, 4000)
    if language == "zh-Hant":
        import opencc

        text = opencc.OpenCC("s2t").convert(text)  # the same length, character for character
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin, y, position = 110, 130, 0
    lines: list[str] = []
    pieces: dict[int, list] = {}
    step = int(size * rng.uniform(1.6, 2.0))
    while y < height - 140 - step and position < len(text):
        count = 1
        while position + count <= len(text) and (
            draw.textlength(text[position : position + count], font=font) < width - 2 * margin
        ):
            count += 1
        count -= 1
        if language == "en" and position + count < len(text):
            space = text.rfind(" ", position, position + count + 1)
            count = space - position + 1 if space > position else count
        line = text[position : position + count]
        draw.text((margin, y), line, fill=0, font=font)
        for number, start in enumerate(starts):
            a, b = max(start, position), min(start + len(term), position + count)
            piece = text[a:b].strip()
            if not piece:
                continue
            a += len(text[a:b]) - len(text[a:b].lstrip())
            left = margin + draw.textlength(text[position:a], font=font)
            box = draw.textbbox((left, y), piece, font=font)
            pieces.setdefault(number, []).append(box)
        lines.append(line.strip())
        position += count
        y += step
    angle = rng.uniform(-2.0, 2.0)
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    cx, cy = width / 2, height / 2
    a = math.radians(angle)

    def turn(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        return (cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a))

    occurrences = [
        [[turn(x0, y0), turn(x1, y0), turn(x1, y1), turn(x0, y1)] for x0, y0, x1, y1 in boxes]
        for _number, boxes in sorted(pieces.items())
    ]
    pixels = np.asarray(image, dtype=np.float32)
    pixels = pixels + np.random.default_rng(seed).normal(0, rng.uniform(6, 15), pixels.shape)
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    noisy.convert("RGB").save(buffer, "JPEG", quality=rng.randrange(60, 86))
    return Page(language, buffer.getvalue(), lines, term, occurrences)


def normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if language == "en":
        return re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+", "", text)


def cer(truth: str, read: str, language: str) -> tuple[int, int]:
    """(edits, characters of the truth) between the drawn and the read text."""
    from jiandu.sandbox.inside.ocr import edit_distance

    a, b = normalise(truth, language), normalise(read, language)
    return edit_distance(a, b), len(a)


def hidden_fraction(output_grey, polygon) -> float:
    """The share of the pixels under one polygon that are black in the derivative."""
    import numpy as np
    from PIL import Image, ImageDraw

    mask = Image.new("L", (output_grey.shape[1], output_grey.shape[0]), 0)
    ImageDraw.Draw(mask).polygon(polygon, fill=1)
    under = np.asarray(mask, dtype=bool)
    if not under.any():
        return 1.0
    return float((output_grey[under] < 80).mean())


def _overlaps(polygon, box: tuple[float, float, float, float]) -> bool:
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0, x1, y1 = box
    return min(xs) < x1 and x0 < max(xs) and min(ys) < y1 and y0 < max(ys)


def read_one(page: Page) -> tuple[str, float]:
    from jiandu.forensics.ocr import read_text
    from jiandu.sandbox.runner import MemoryFile

    started = time.monotonic()
    with MemoryFile.from_chunks([page.jpeg], 1 << 28) as memory:
        result = read_text(memory, "image")
    if result.problem:
        raise SystemExit(f"OCR failed: {result.problem}")
    return "\n".join(result.pages), time.monotonic() - started


def redact_one(page: Page) -> tuple[int, int, int, float]:
    """(occurrences, hidden, hidden or listed as doubtful, seconds) for one page."""
    import numpy as np
    from PIL import Image

    from jiandu.redaction import studio
    from jiandu.redaction.recipe import parse

    started = time.monotonic()
    recipe = parse({"kind": "image", "faces": False, "terms": [page.term], "format": "jpeg"})
    output = studio.render_image(recipe, page.jpeg)
    seconds = time.monotonic() - started
    if not output.ok:
        raise SystemExit(f"render failed: {output.problem}")
    grey = np.asarray(Image.open(io.BytesIO(output.data)).convert("L"))
    height, width = grey.shape
    doubts = []
    for line in output.extra.get("doubt_boxes", []):
        x, y, w, h = (float(v) / 100 for v in line.split()[:4])
        doubts.append((x * width, y * height, (x + w) * width, (y + h) * height))
    hidden = flagged = 0
    for pieces in page.occurrences:
        ok = all(hidden_fraction(grey, polygon) >= 0.95 for polygon in pieces)
        hidden += ok
        flagged += ok or any(_overlaps(p, d) for p in pieces for d in doubts)
    return len(page.occurrences), hidden, flagged, seconds


def compare(pages: list[Page]) -> dict[str, object]:
    """The engine we did not choose, RapidOCR (PP-OCRv4 on onnxruntime, one thread, outside
    the sandbox: the test extra), on the same pages: its CER per language and CPU seconds a
    page, beside Tesseract's own (the workbench's path, in the sandbox)."""
    import resource

    import numpy as np
    from PIL import Image
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    errors: dict[str, list[int]] = {}
    used = resource.getrusage(resource.RUSAGE_SELF)
    for page in pages:
        pixels = np.asarray(Image.open(io.BytesIO(page.jpeg)).convert("RGB"))
        result, _elapsed = engine(pixels)
        lines = sorted(result or [], key=lambda r: (r[0][0][1], r[0][0][0]))
        edits, total = cer("\n".join(page.lines), "\n".join(r[1] for r in lines), page.language)
        errors.setdefault(page.language, [0, 0])
        errors[page.language][0] += edits
        errors[page.language][1] += total
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    figures: dict[str, object] = {
        f"rapidocr_cer_{lang.replace('-', '_').lower()}": round(e / t, 4) if t else 0.0
        for lang, (e, t) in errors.items()
    }
    figures["rapidocr_cpu_seconds_per_page"] = round(cpu / max(1, len(pages)), 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=24, help="pages, a third per language")
    parser.add_argument("--workers", type=int, default=2, help="pages read at once")
    parser.add_argument("--compare", action="store_true", help="also run RapidOCR (test extra)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
    import django

    django.setup()
    languages = ("zh-Hans", "zh-Hant", "en")
    pages = [make_page(languages[n % 3], n) for n in range(args.pages)]

    import resource

    started = time.monotonic()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ThreadPoolExecutor(args.workers) as pool:
        read = list(pool.map(read_one, pages))
    read_seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    read_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    errors: dict[str, list[int]] = {lang: [0, 0] for lang in languages}
    for page, (text, _seconds) in zip(pages, read, strict=True):
        edits, total = cer("\n".join(page.lines), text, page.language)
        errors[page.language][0] += edits
        errors[page.language][1] += total

    started = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        redacted = list(pool.map(redact_one, pages))
    redact_seconds = time.monotonic() - started
    occurrences = sum(r[0] for r in redacted)
    hidden = sum(r[1] for r in redacted)
    flagged = sum(r[2] for r in redacted)
    by_language = {
        lang: [sum(r[i] for p, r in zip(pages, redacted, strict=True) if p.language == lang)
               for i in (0, 1)]
        for lang in languages
    }  # fmt: skip

    def rate(pair: list[int]) -> float:
        return round(pair[0] / pair[1], 4) if pair[1] else 0.0

    zh = [errors["zh-Hans"][0] + errors["zh-Hant"][0], errors["zh-Hans"][1] + errors["zh-Hant"][1]]
    for lang in languages:
        print(f"{lang}: CER {rate(errors[lang])}, occurrences hidden "
              f"{by_language[lang][1]}/{by_language[lang][0]}")  # fmt: skip
    print(
        json.dumps(
            {
                "pages": len(pages),
                "workers": args.workers,
                "cpus": os.cpu_count(),
                "engine": "tesseract 5 (Debian), chi_sim/chi_tra/eng",
                "cer_zh": rate(zh),
                "cer_zh_hans": rate(errors["zh-Hans"]),
                "cer_zh_hant": rate(errors["zh-Hant"]),
                "cer_en": rate(errors["en"]),
                "occurrences": occurrences,
                "redaction_recall": round(hidden / occurrences, 4) if occurrences else 0.0,
                "recall_with_doubts": round(flagged / occurrences, 4) if occurrences else 0.0,
                "pages_per_minute": round(len(pages) * 60 / read_seconds, 1),
                "cpu_seconds_per_page": round(read_cpu / len(pages), 2),
                "redaction_pages_per_minute": round(len(pages) * 60 / redact_seconds, 1),
                **(compare(pages) if args.compare else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
