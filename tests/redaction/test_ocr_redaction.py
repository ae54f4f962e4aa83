"""Redacting a search term in a scan or a photo of a page (issue 21, part 2): the studio reads
the page by OCR in the sandbox (Tesseract) and paints the term's boxes black; a second engine
(RapidOCR: PP-OCR models on onnxruntime, shipped in its wheel) and pdftotext then find no trace
of the name, though the second engine reads it in the original. The doubts the worker lists
and its answer's shape are checked in the parent."""

import io
import json
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from jiandu.redaction import studio
from jiandu.redaction.forms import RecipeForm
from jiandu.redaction.recipe import parse
from jiandu.sandbox.inside.ocr import fold

CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
ZH_LINES = [
    "据知情人士透露，举报人王建国曾在会上反对这份合同。",
    "多名承包商表示，他们在投标前就被告知中标结果。",
    "记者联系王建国本人时，他拒绝回答任何问题。",
]
EN_LINES = [
    "The tender was rigged, said Margaret Holloway, who sat",
    "on the panel. Auditors raised questions, but their report",
    "was never published. Holloway later resigned. Margaret",
    "Holloway has not commented since.",
]


def scan(lines: list[str], font: ImageFont.FreeTypeFont, angle: float = 1.2) -> Image.Image:
    """A page as a phone scan: text, a small turn, noise."""
    page = Image.new("L", (1240, 160 + 64 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((80, 80 + 64 * number), line, fill=0, font=font)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    pixels = np.asarray(page, dtype=np.float32) + np.random.default_rng(3).normal(
        0, 8, (page.height, page.width)
    )
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def second_engine():
    """RapidOCR, as a function from an image to its folded text (spaces left out)."""
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def read(image: Image.Image) -> str:
        result, _elapsed = engine(np.asarray(image.convert("RGB")))
        return "".join(fold(c) for line in result or [] for c in line[1] if not c.isspace())

    return read


def tesseract_text(image: Image.Image, language: str) -> str:
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "PNG")
    out = subprocess.run(
        ["/usr/bin/tesseract", "stdin", "stdout", "-l", language],
        input=buffer.getvalue(), capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return "".join(fold(c) for c in out if not c.isspace())


def render_image(data: bytes, terms: list[str]) -> studio.Output:
    recipe = parse({"kind": "image", "faces": False, "terms": terms, "format": "png"})
    output = studio.render_image(recipe, data)
    assert output.ok, output.problem
    return output


def test_a_chinese_name_in_a_scan_leaves_no_trace_for_a_second_engine(second_engine):
    original = scan(ZH_LINES, ImageFont.truetype(CJK, 34, 2))
    assert second_engine(original).count("王建国") == 2  # the test can see the name
    output = render_image(jpeg(original), ["王建國"])  # typed in Traditional
    redacted = Image.open(io.BytesIO(output.data))
    assert output.extra["found"] >= 2
    assert "王建" not in second_engine(redacted) and "建国" not in second_engine(redacted)
    assert "建国" not in tesseract_text(redacted, "chi_sim")
    # The rest of the page is still there to read.
    assert "承包商" in second_engine(redacted)


def test_an_english_name_split_over_two_lines_is_hidden_everywhere(second_engine):
    original = scan(EN_LINES, ImageFont.truetype(SERIF, 30))
    assert second_engine(original).count("holloway") == 3
    output = render_image(jpeg(original), ["Margaret Holloway", "Holloway"])
    redacted = Image.open(io.BytesIO(output.data))
    for reader in (second_engine, lambda image: tesseract_text(image, "eng")):
        text = reader(redacted)
        assert "holloway" not in text and "margaret" not in text
        assert "auditors" in text


def test_a_page_photographed_on_its_side_is_redacted_where_the_name_is(second_engine):
    original = scan(ZH_LINES, ImageFont.truetype(CJK, 34, 2)).transpose(Image.Transpose.ROTATE_90)
    output = render_image(jpeg(original), ["王建国"])
    redacted = Image.open(io.BytesIO(output.data)).transpose(Image.Transpose.ROTATE_270)
    assert output.extra["found"] >= 2
    assert "王建" not in second_engine(redacted) and "建国" not in second_engine(redacted)


def scanned_pdf(pages: list[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def test_a_scanned_pdf_is_redacted_by_ocr_and_pdftotext_finds_nothing(second_engine):
    original = scanned_pdf(
        [
            scan(ZH_LINES, ImageFont.truetype(CJK, 34, 2)),
            scan(EN_LINES, ImageFont.truetype(SERIF, 30)),
        ]
    )
    recipe = parse({"kind": "pdf", "terms": ["王建国", "Margaret Holloway", "Holloway"]})
    output = studio.render_pdf(recipe, original)
    assert output.ok, output.problem
    assert output.extra["pages"] == 2 and output.extra["found"] >= 5
    layer = subprocess.run(
        ["/usr/bin/pdftotext", "-", "-"], input=output.data, capture_output=True, check=True
    ).stdout.decode()
    assert layer.strip() == ""  # image-only, as every studio PDF
    rendered = subprocess.run(
        ["/usr/bin/pdftoppm", "-r", "150", "-png", "-"], input=output.data,
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    pages = _pngs(rendered)
    assert len(pages) == 2
    text = "".join(second_engine(page) for page in pages)
    assert "建国" not in text and "holloway" not in text
    assert "承包商" in text


def _pngs(stream: bytes) -> list[Image.Image]:
    from jiandu.redaction.render_worker import split_pngs

    return [Image.open(io.BytesIO(png)) for png in split_pngs(stream)]


def test_the_image_form_takes_search_terms():
    form = RecipeForm(
        {"faces": "on", "effect": "blur", "terms": "王建国\nMargaret Holloway", "format": "jpeg"},
        kind="image",
    )
    assert "terms" in form.fields
    assert form.is_valid(), form.errors
    assert form.to_recipe(form.cleaned_data).terms == ("王建国", "Margaret Holloway")


# ---- the worker's answer, checked in the parent -----------------------------------------------


def answer(header: dict, body: bytes) -> bytes:
    return json.dumps(header).encode() + b"\n" + body


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20 + b"IEND\xaeB`\x82"
BASE = {
    "extension": "png", "content_type": "image/png", "width": 10, "height": 10, "faces": [],
    "shown": [], "thumbs": [], "hidden": 1, "hidden_faces": 0,
}  # fmt: skip


def test_doubts_become_lines_for_the_boxes_field():
    output = studio.checked_image(
        answer({**BASE, "found": 1, "doubts": [[0, 0.1, 0.2, 0.05, 0.02]]}, PNG)
    )
    assert output.ok
    assert output.extra == {"found": 1, "doubt_boxes": ["10 20 5 2"]}


@pytest.mark.parametrize(
    "extra",
    [
        {"found": -1},
        {"found": "3"},
        {"doubts": "everything"},
        {"doubts": [[0, 0.1, 0.2, 0.05]]},
        {"doubts": [[0, 0.1, 0.2, 0.05, 7.0]]},
        {"doubts": [["0", 0.1, 0.2, 0.05, 0.1]]},
        {"doubts": [[0, 0.1, 0.2, 0.05, 0.1]] * (studio.MAX_DOUBTS + 1)},
    ],
)
def test_a_worker_answer_with_odd_doubts_is_refused(extra):
    assert studio.checked_image(answer({**BASE, **extra}, PNG)).problem == studio.Problem.FAILED
