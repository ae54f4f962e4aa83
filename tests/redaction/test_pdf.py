"""True PDF redaction: pages rebuilt as images in the sandbox, so text under a box or a found
search term cannot be extracted (pdftotext, pikepdf), and the new file has no metadata."""

import io
import json
import shutil
import subprocess

import pytest

from jiandu.redaction import studio
from jiandu.redaction.recipe import parse

EXIFTOOL = shutil.which("exiftool")


def text_pdf() -> bytes:
    """A two-page PDF with real text (a font, text operators), an author and dates."""
    page = (
        b"BT /F1 24 Tf 72 700 Td (Witness: Zhang Wei lives at 12 Elm Road) Tj ET\n"
        b"BT /F1 24 Tf 72 600 Td (Public part of the page) Tj ET"
    )
    page2 = b"BT /F1 24 Tf 72 700 Td (Second page mentions Zhang Wei again) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page2), page2),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Author (Insider Name) /Producer (LeakyOffice 3.1) /CreationDate (D:20260102) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 8 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdftotext(data: bytes) -> str:
    return subprocess.run(
        ["/usr/bin/pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_original_has_extractable_text():
    assert "Zhang Wei" in pdftotext(text_pdf())  # so the tests below can fail


def test_text_under_a_box_and_search_terms_cannot_be_extracted():
    box = {"x": 0.1, "y": 0.08, "w": 0.85, "h": 0.06, "page": 0}  # the first line, page 1
    output = studio.render_pdf(
        parse({"kind": "pdf", "boxes": [box], "terms": ["zhang wei"]}), text_pdf()
    )
    assert output.ok, output.problem
    assert output.extra == {"pages": 2, "found": 2}
    assert pdftotext(output.data).strip() == ""  # no text layer at all
    import pikepdf

    with pikepdf.open(io.BytesIO(output.data)) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            content = page.Contents.read_bytes()
            assert b"Tj" not in content and b"BT" not in content
            assert "/Font" not in str(page.Resources)
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
    for secret in (b"Zhang", b"Elm Road", b"Insider", b"LeakyOffice", b"Helvetica"):
        assert secret not in output.data
    # The box is black on the page image; the public line below it is not.
    with pikepdf.open(io.BytesIO(output.data)) as pdf:
        image = pikepdf.PdfImage(pdf.pages[0].Resources.XObject["/I"]).as_pil_image()
    width, height = image.size
    assert (
        max(
            image.crop(
                (int(0.2 * width), int(0.1 * height), int(0.8 * width), int(0.12 * height))
            ).getextrema()[0]
        )
        < 60
    )
    assert image.crop((0, int(0.3 * height), width, int(0.4 * height))).getextrema()[0][1] > 200


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) not installed")
def test_exiftool_finds_no_metadata_in_the_pdf():
    output = studio.render_pdf(parse({"kind": "pdf"}), text_pdf())
    tags = json.loads(
        subprocess.run(
            [EXIFTOOL, "-j", "-a", "-G1", "-"], input=output.data, capture_output=True
        ).stdout
    )[0]
    keys = [k for k in tags if not k.startswith(("ExifTool:", "System:", "File:"))]
    assert not [
        k
        for k in keys
        if any(w in k.lower() for w in ("author", "producer", "creator", "date", "software"))
    ], keys


@pytest.mark.parametrize("payload", [b"", b"%PDF-1.4 garbage", b"not a pdf", b"\x89PNG\r\n\x1a\n"])
def test_hostile_pdfs_give_a_problem(payload):
    assert not studio.render_pdf(parse({"kind": "pdf"}), payload).ok


def test_what_the_worker_answers_for_a_pdf_is_checked():
    good = json.dumps(
        {
            "extension": "pdf",
            "content_type": "application/pdf",
            "width": 10,
            "height": 10,
            "pages": 1,
            "boxes": 0,
            "found": 0,
        }
    ).encode()
    body = b"%PDF-1.4\n...%%EOF\n"
    assert studio.checked_pdf(good + b"\n" + body).ok
    assert not studio.checked_pdf(good + b"\n<html>%%EOF\n").ok
    assert not studio.checked_pdf(good.replace(b'"pages": 1', b'"pages": -1') + b"\n" + body).ok
    assert not studio.checked_pdf(body).ok
