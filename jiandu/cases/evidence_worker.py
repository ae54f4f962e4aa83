"""Re-encode one image for publication, from stdin to stdout; runs inside the forensics sandbox.

Started by `evidence.py` as `python -I evidence_worker.py MAX_PIXELS MAX_INPUT` through the
jail, never imported by the server: a decoder exploit here lands in a process with no secrets,
no network and tight limits. Only Pillow and the standard library.

The image is decoded and its pixels copied into a fresh image (orientation applied first) by the
sandbox's one re-encoder (jiandu/sandbox/inside/reencode.py), so no EXIF, XMP, IPTC, ICC
profile, comment or trailing byte reaches the output. JPEG stays JPEG (quality 90); PNG and
WebP become PNG. The answer (jiandu/sandbox/inside/answer.py): one JSON line (extension, content
type, width, height), then the bytes; or an `ExitCode` (UNSUPPORTED: not JPEG, PNG or WebP).
"""

import os
import sys

# The sandbox's worker modules (bound read-only into the run by runner.run_sandboxed).
ROOMS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSIDE = os.path.join(ROOMS, "sandbox", "inside")
sys.path.insert(0, INSIDE)

from answer import ExitCode, exit_code_for, read_input, write_answer  # noqa: E402
from reencode import encode, fresh, has_alpha, open_upright  # noqa: E402

OUTPUT = {  # accepted format: (output format, extension, content type)
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("PNG", "png", "image/png"),
}


def clean(data: bytes, max_pixels: int) -> tuple[bytes, dict[str, object]]:
    upright, image_format = open_upright(data, tuple(OUTPUT), max_pixels)
    out_format, extension, content_type = OUTPUT[image_format]
    mode = "RGBA" if has_alpha(upright) and out_format == "PNG" else "RGB"
    image = fresh(upright, mode)
    header = {
        "extension": extension,
        "content_type": content_type,
        "width": image.width,
        "height": image.height,
    }
    return encode(image, out_format), header


def main(argv: list[str]) -> int:
    max_pixels, max_input = (int(arg) for arg in argv[1:3])
    data = read_input(max_input)
    if isinstance(data, ExitCode):
        return data
    try:
        result, header = clean(data, max_pixels)
    except Exception as exc:  # any parser error on hostile input means "broken"
        return exit_code_for(exc)
    return write_answer(header, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
