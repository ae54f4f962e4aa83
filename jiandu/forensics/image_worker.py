"""Re-encode one untrusted image from stdin to a clean WebP on stdout; runs inside the sandbox.

Started by `previews.py` as `python -I image_worker.py MAX_PIXELS EDGE MAX_INPUT` through the
jail, never imported by the server. Only Pillow and the standard library: a decoder exploit
here lands in a process with no secrets, no network and tight limits.

The decoding, the size checks, the orientation and the copy of the pixels into a new image
(no EXIF, XMP, ICC profile or comment can reach the output) are the sandbox's one re-encoder
(jiandu/sandbox/inside/reencode.py); this worker asks for the first frame of a common photo
format, JPEGs decoded at reduced scale, at most EDGE pixels on its longest side, as WebP.

Exit codes and the answer (a header line, then the WebP) are jiandu/sandbox/inside/answer.py's.
"""

import os
import sys

# The sandbox's worker modules (bound read-only into the run by runner.run_sandboxed).
ROOMS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSIDE = os.path.join(ROOMS, "sandbox", "inside")
sys.path.insert(0, INSIDE)

from answer import ExitCode, exit_code_for, read_input, write_answer  # noqa: E402
from PIL import Image  # noqa: E402
from reencode import encode, fresh, has_alpha, open_upright  # noqa: E402

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP")


def convert(data: bytes, max_pixels: int, edge: int) -> bytes:
    upright, _format = open_upright(data, FORMATS, max_pixels, draft=edge)
    mode = "RGBA" if has_alpha(upright) else "RGB"
    pixels = upright.convert(mode)
    pixels.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return encode(fresh(pixels, mode), "WEBP", quality=82, method=4)


def main(argv: list[str]) -> int:
    max_pixels, edge, max_input = (int(arg) for arg in argv[1:4])
    data = read_input(max_input)
    if isinstance(data, ExitCode):
        return data
    try:
        result = convert(data, max_pixels, edge)
    except Exception as exc:  # any parser error on hostile input means "broken"
        return exit_code_for(exc)
    return write_answer({"content_type": "image/webp"}, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
