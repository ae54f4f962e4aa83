"""Reading scans (issue 21, part 2): Tesseract in the sandbox reads generated pages in Chinese
(Simplified and Traditional) and English; hostile inputs give a code, never a crash; term
matching by word boxes (split lines, scripts, word edges, near misses, doubts) on made-up words;
the text in the workbench report, and a member's search over it (their files only, logged)."""

import io
import re
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw, ImageFont

from bench.ocr import cer, make_page
from jiandu.forensics import textindex
from jiandu.forensics.metadata import FileReport, analyse_file
from jiandu.forensics.models import Analysis
from jiandu.forensics.ocr import read_text
from jiandu.ledger.models import CustodyRecord
from jiandu.sandbox.inside.ocr import Word, find_terms, fold, page_text, parse_hocr, unread
from jiandu.sandbox.runner import MemoryFile
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import sign_in_and_analyse
from tests.tipline.helpers import make_reader, submit

CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def read(data: bytes, kind: str = "image"):
    with MemoryFile.from_chunks([data], 1 << 28) as memory:
        return read_text(memory, kind)


def small_scan(lines: list[str], size: int = 30, index: int = 2) -> bytes:
    """A short page: a few lines of text, turned by one degree, as a JPEG."""
    image = Image.new("L", (1000, 120 + 60 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(CJK, size, index)
    for number, line in enumerate(lines):
        draw.text((60, 60 + 60 * number), line, fill=0, font=font)
    image = image.rotate(1.0, fillcolor=255)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# ---- the engine on generated pages ---------------------------------------------------------


@pytest.mark.parametrize(("language", "most"), [("zh-Hans", 0.05), ("zh-Hant", 0.08), ("en", 0.02)])
def test_a_generated_scan_is_read_in_its_own_script(language, most):
    page = make_page(language, 101)
    result = read(page.jpeg)
    assert not result.problem
    edits, total = cer("\n".join(page.lines), "\n".join(result.pages), language)
    assert edits / total <= most
    model = {"zh-Hans": "chi_sim", "zh-Hant": "chi_tra", "en": "eng"}[language]
    assert result.languages == [model]


def test_a_page_on_its_side_is_read_upright():
    page = make_page("en", 5)
    turned = Image.open(io.BytesIO(page.jpeg)).transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    turned.save(buffer, "JPEG", quality=85)
    result = read(buffer.getvalue())
    edits, total = cer("\n".join(page.lines), "\n".join(result.pages), "en")
    assert edits / total <= 0.02


def test_an_image_only_pdf_is_read_and_a_pdf_with_text_is_not(media):
    scan = Image.open(io.BytesIO(small_scan(["举报人王建国说，合同是假的。"])))
    buffer = io.BytesIO()
    scan.save(buffer, "PDF", resolution=150)
    result = read(buffer.getvalue(), "pdf")
    # One line is too little to tell the script by: either model's reading will do, since
    # search and redaction fold Traditional onto Simplified.
    assert "王建国" in "".join(fold(c) for c in result.pages[0] if not c.isspace())
    # A PDF with a text layer needs no reading (its own text is the workbench's).
    assert read(media["notes.pdf"], "pdf").problem in ("unsupported", "")


# ---- hostile inputs ------------------------------------------------------------------------


def bomb_png() -> bytes:
    """A PNG that declares 60000 × 60000 pixels (3.6 gigapixels) in a few hundred bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\0" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data",
    [
        b"not an image at all" * 100,
        small_scan(["截断"])[:400],  # a truncated JPEG
        b"%PDF-1.4\n" + b"\0" * 500,  # a broken PDF with an image's name
        bomb_png(),
    ],
    ids=["garbage", "truncated", "broken-pdf", "bomb"],
)
def test_hostile_input_gives_a_code_and_no_text(data):
    result = read(data)
    assert result.pages == [] and result.problem


def test_a_broken_pdf_gives_a_code():
    result = read(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "pdf")
    assert result.pages == [] and result.problem


def test_the_worker_answer_is_bounded():
    """Whatever an exploited worker writes, the text kept is capped and typed."""
    from jiandu.forensics import ocr

    assert ocr.MAX_CHARS <= 500_000 and ocr.LIMITS.output_bytes <= 4 * 1024 * 1024


# ---- term matching on made-up words ----------------------------------------------------------


def words(*rows: tuple[str, float, int]) -> list[Word]:
    """Words of ten pixels a character, one per (text, confidence, line)."""
    out, x = [], 0
    for text, conf, line in rows:
        out.append(Word(text, conf, x, line * 40, 10 * len(text), 30, (0, 0, line)))
        x = 0 if out and len(out) > 1 and out[-2].line != out[-1].line else x + 10 * len(text)
    return out


def test_a_chinese_name_split_over_two_lines_is_found_on_both():
    page = words(("举报人王", 90, 1), ("建国说合同是假的", 90, 2))
    hits, doubts = find_terms(page, ["王建国"])
    assert len(hits) == 1 and len(hits[0].boxes) == 2 and hits[0].exact
    assert doubts == []


def test_traditional_and_simplified_find_each_other():
    page = words(("證人陳志明今天作證", 90, 1))
    assert len(find_terms(page, ["陈志明"])[0]) == 1
    page = words(("证人陈志明今天作证", 90, 1))
    assert len(find_terms(page, ["陳志明"])[0]) == 1


def test_latin_terms_match_whole_words_spaces_and_case_ignored():
    page = words(("Witness", 95, 1), ("ZHANG", 95, 1), ("WEI,", 95, 1), ("Lisbon", 95, 1))
    assert len(find_terms(page, ["zhang wei"])[0]) == 1
    assert find_terms(page, ["Li"])[0] == []  # not the start of "Lisbon"
    assert len(find_terms(page, ["Lisbon"])[0]) == 1


def test_a_near_miss_is_hidden_too():
    page = words(("Margaret", 80, 1), ("Hol1oway", 70, 1))
    hits, _doubts = find_terms(page, ["Margaret Holloway"])
    assert len(hits) == 1 and not hits[0].exact
    assert find_terms(words(("王建华", 90, 1)), ["王建国"])[0]  # fail safe: one edit in three


def test_doubtful_words_that_look_like_the_term_are_listed():
    page = words(("证人", 95, 1), ("王", 30, 1), ("说", 95, 1), ("天气", 20, 2))
    hits, doubts = find_terms(page, ["王建国"])
    assert hits == []
    assert [w.text for w in doubts] == ["王"]  # "天气" is unsure but nothing like the name


def test_hocr_parsing_keeps_lines_words_characters_and_entities():
    hocr = (
        "<span class='ocr_line' id='line_1_1' title=\"bbox 0 0 100 30\">"
        "<span class='ocrx_word' id='word_1_1' title='bbox 10 5 50 25; x_wconf 91'>"
        "<span class='ocrx_cinfo' title='x_bboxes 10 5 30 25; x_conf 99.1'>A</span>"
        "<span class='ocrx_cinfo' title='x_bboxes 30 5 50 25; x_conf 98.0'>&amp;</span>"
        "</span></span>"
        "<span class='ocr_line' id='line_1_2' title=\"bbox 0 40 100 70\">"
        "<span class='ocrx_word' id='word_1_2' title='bbox 10 45 40 65; x_wconf 40'>"
        "<span class='ocrx_cinfo' title='x_bboxes 10 45 40 65; x_conf 40.0'>王</span>"
        "</span></span>"
    ).encode()
    found = parse_hocr(hocr)
    assert [(w.text, w.conf, w.line) for w in found] == [
        ("A&", 91.0, (0, 0, 1)),
        ("王", 40.0, (0, 0, 2)),
    ]
    assert found[0].chars == ((10, 5, 20, 20), (30, 5, 20, 20))
    assert page_text(found) == "A&\n王"
    # A page read after a quarter turn clockwise: boxes back on the original (200 × 100).
    turned = parse_hocr(hocr, turns=1, size=(200, 100))
    assert (turned[0].x, turned[0].y, turned[0].w, turned[0].h) == (5, 50, 20, 40)


def test_page_text_glues_chinese_and_spaces_english():
    page = words(("王建国", 90, 1), ("说", 90, 1), ("Zhang", 90, 2), ("Wei", 90, 2))
    assert page_text(page) == "王建国说\nZhang Wei"


# ---- the workbench: report, index, search --------------------------------------------------


@pytest.fixture
def scanned(isolated_data_dir, django_capture_on_commit_callbacks):
    member, _ = make_reader()
    scan = small_scan(["举报人王建国说，合同是假的。", "会议纪要显示预算两次追加。"])
    submit(Client(), message="see", files=[SimpleUploadedFile("scan.jpg", scan, "image/jpeg")])
    client = sign_in_and_analyse(member, django_capture_on_commit_callbacks)
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    assert Analysis.objects.get(item=item).state == Analysis.State.DONE
    return member, client, item


@pytest.mark.django_db
def test_the_report_shows_the_text_read(scanned):
    _member, client, item = scanned
    page = client.get(f"/en/newsroom/forensics/items/{item.pk}/").content.decode()
    assert "Text in the file (read by OCR)" in page
    assert "王建国" in re.sub(r"\s", "", page)


@pytest.mark.django_db
def test_the_text_is_stored_encrypted(scanned):
    _member, _client, item = scanned
    analysis = Analysis.objects.get(item=item)
    stored = bytes(analysis.report)
    assert "王建国".encode() not in stored and "建国".encode() not in stored


@pytest.mark.django_db
def test_a_member_finds_a_name_in_either_script_and_the_view_is_logged(scanned):
    _member, client, _item = scanned
    before = CustodyRecord.objects.count()
    page = client.get("/en/newsroom/forensics/text/", {"q": "王建國"}).content.decode()
    assert "scan.jpg" in page and "<mark>王建国</mark>" in page
    assert CustodyRecord.objects.count() == before + 1
    page = client.get("/en/newsroom/forensics/text/", {"q": "李秀英"}).content.decode()
    assert "Not found in the text of any file you can read." in page


@pytest.mark.django_db
def test_a_member_without_a_grant_finds_nothing(scanned):
    _member, _client, _item = scanned
    other = make_member("outsider", "journalist")
    client = Client()
    sign_in(client, other)
    page = client.get("/en/newsroom/forensics/text/", {"q": "王建国"}).content.decode()
    assert "scan.jpg" not in page and "王建国" not in page.replace('value="王建国"', "")
    textindex.forget_member_pages(other.user.pk)


def test_a_lookup_does_not_read_text(media):
    """The drop-a-file lookup answers while the member waits: no OCR there."""
    report = analyse_file(io.BytesIO(small_scan(["王建国"])), "scan.jpg")
    assert isinstance(report, FileReport) and report.text == []


def test_the_reports_text_survives_the_round_trip():
    report = analyse_file(io.BytesIO(small_scan(["证人王建国"])), "scan.jpg", text=True)
    again = FileReport.from_dict(report.as_dict())
    assert unicodedata.normalize("NFKC", "".join(again.text)).replace(" ", "").find("王建国") >= 0
    assert again.text_languages == ["chi_sim"]


def test_a_chinese_name_broken_over_a_line_and_misread_on_one_side_is_hidden():
    page = words(("有关华信", 90, 1), ("和画如果这些材料", 90, 2))
    hits, _doubts = find_terms(page, ["华信建设集团"])
    assert len(hits) == 1 and not hits[0].exact
    assert len(hits[0].boxes) == 2  # the end of one line and the start of the next
    page = words(("据知情人士透露", 90, 1), ("设集团的股东", 90, 2))
    assert len(find_terms(page, ["华信建设集团"])[0]) == 1
    # A whole name at a line's start is one exact hit, not a broken one too.
    page = words(("证人说", 90, 1), ("王建国今天作证", 90, 2))
    hits, _doubts = find_terms(page, ["王建国"])
    assert [h.exact for h in hits] == [True]


def test_ink_no_word_covers_is_found():
    """A line the engine dropped (here: not in the words at all) is ink left over."""
    image = Image.new("L", (800, 300), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(CJK, 30, 2)
    draw.text((40, 40), "第一行读到了", fill=0, font=font)
    draw.text((40, 140), "第二行没有读到", fill=0, font=font)
    read_one = [Word("第一行读到了", 90, 40, 45, 180, 30, (0, 0, 1))]
    boxes = unread(image, read_one)
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    assert 120 <= y <= 150 and y + h >= 170 and x <= 45 and x + w >= 230
    both = [*read_one, Word("第二行没有读到", 90, 40, 145, 210, 30, (0, 0, 2))]
    assert unread(image, both) == []
