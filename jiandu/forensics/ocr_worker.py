"""Read the text of one untrusted scan, photo or image-only PDF; runs inside the sandbox, never
imported by the server.

Started by `ocr.py` as `python -I ocr_worker.py KIND MAX_PIXELS MAX_PAGES` through the jail,
with the file as an in-memory file on stdin (`/proc/self/fd/0`, seekable). An image is decoded
by the sandbox's one re-encoder (reencode.py: declared size checked first, EXIF orientation
applied); a PDF's pages are drawn by poppler's pdftoppm, and only when pdftotext finds (almost)
no text layer, since a PDF with text needs no reading. Each page then goes to Tesseract
(jiandu/sandbox/inside/ocr.py), as a child process inside the same walls.

The answer is one header line (jiandu/sandbox/inside/answer.py): `languages` (the models per
page), `pages` (the text of each page read) and `words` (how many words were read); nothing
after it. Exit codes: answer.py's BROKEN, MEMORY, TOO_MANY_PIXELS, EMPTY, UNSUPPORTED (no
engine installed, or a PDF that has its own text).
"""

import io
import os
import subprocess
import sys

# The sandbox's worker modules (bound read-only into the run by runner.run_sandboxed).
ROOMS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSIDE = os.path.join(ROOMS, "sandbox", "inside")
sys.path.insert(0, INSIDE)

from answer import ExitCode, Unsupported, exit_code_for, write_answer  # noqa: E402

INPUT = "/proc/self/fd/0"
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP")
PDFTOPPM = "/usr/bin/pdftoppm"
PDFTOTEXT = "/usr/bin/pdftotext"
PDF_DPI = 200
# A PDF whose text layer holds fewer characters than this per page is treated as a scan.
TEXT_LAYER = 20
MAX_TEXT = 200_000  # characters kept per page


def image_pages(max_pixels: int):
    from reencode import open_upright

    with open(INPUT, "rb") as handle:
        data = handle.read()
    if not data:
        raise EOFError
    upright, _format = open_upright(data, FORMATS, max_pixels)
    yield upright


def pdf_pages(max_pixels: int, max_pages: int):
    from PIL import Image

    layer = subprocess.run(
        [PDFTOTEXT, "-q", "-l", str(max_pages), INPUT, "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    pages = max(1, layer.count(b"\f"))
    if len(layer.strip()) >= TEXT_LAYER * pages:
        raise Unsupported  # it has its own text: nothing to read
    for number in range(1, max_pages + 1):
        # One page at a time: a thousand-page scan is never held as pixels all at once.
        png = subprocess.run(
            [PDFTOPPM, "-q", "-png", "-gray", "-r", str(PDF_DPI), "-f", str(number),
             "-l", str(number), INPUT],
            capture_output=True, timeout=120,
        ).stdout  # fmt: skip
        if not png:
            return
        Image.MAX_IMAGE_PIXELS = max_pixels
        with Image.open(io.BytesIO(png), formats=("PNG",)) as opened:
            yield opened.convert("L")


def main(argv: list[str]) -> int:
    try:
        kind, max_pixels, max_pages = argv[1], int(argv[2]), int(argv[3])
    except (IndexError, ValueError):
        return ExitCode.BAD_RECIPE
    import ocr

    if not ocr.available():
        return ExitCode.UNSUPPORTED
    if os.fstat(0).st_size == 0:
        return ExitCode.EMPTY
    texts, languages, count = [], [], 0
    try:
        pages = pdf_pages(max_pixels, max_pages) if kind == "pdf" else image_pages(max_pixels)
        for page in pages:
            words, used = ocr.read_page(page)
            texts.append(ocr.page_text(words)[:MAX_TEXT])
            languages.append(used)
            count += len(words)
    except EOFError:
        return ExitCode.EMPTY
    except Exception as exc:  # any parser error on hostile input means "broken"
        return exit_code_for(exc)
    return write_answer({"pages": texts, "languages": languages, "words": count})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
