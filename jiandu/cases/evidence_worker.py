"""Re-encode one image for publication, from stdin to stdout; runs inside the forensics sandbox.

Started by `evidence.py` as `python -I evidence_worker.py MAX_PIXELS MAX_INPUT` through the
jail, never imported by the server: a decoder exploit here lands in a process with no secrets,
no network and tight limits. Only Pillow and the standard library.

The image is decoded and its pixels copied into a fresh image (orientation applied first), so
no EXIF, XMP, IPTC, ICC profile, comment or trailing byte reaches the output. JPEG stays JPEG
(quality 90); PNG and WebP become PNG. Output: one JSON line (extension, content type, width,
height), then the bytes.

Exit codes (read by evidence.py): 0 done, 2 broken, 3 out of memory, 4 too many pixels,
5 input larger than MAX_INPUT, 6 empty input, 7 not JPEG, PNG or WebP.
"""

import io
import json
import sys
import warnings

from PIL import Image, ImageOps

BROKEN, MEMORY, TOO_MANY_PIXELS, TOO_LARGE, EMPTY, UNSUPPORTED = 2, 3, 4, 5, 6, 7
OUTPUT = {  # accepted format: (output format, extension, content type)
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("PNG", "png", "image/png"),
}


class Unsupported(Exception):
    pass


def clean(data: bytes, max_pixels: int) -> tuple[bytes, dict[str, object]]:
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=tuple(OUTPUT))
    except Image.UnidentifiedImageError as exc:
        raise Unsupported from exc
    with image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise Image.DecompressionBombError("declared size")
        out_format, extension, content_type = OUTPUT[image.format]
        image.load()
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        mode = "RGBA" if has_alpha and out_format == "PNG" else "RGB"
        pixels = upright.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    if out_format == "JPEG":
        fresh.save(out, "JPEG", quality=90, optimize=True)
    else:
        fresh.save(out, "PNG", optimize=True)
    header = {
        "extension": extension,
        "content_type": content_type,
        "width": fresh.width,
        "height": fresh.height,
    }
    return out.getvalue(), header


def main(argv: list[str]) -> int:
    max_pixels, max_input = (int(arg) for arg in argv[1:3])
    data = sys.stdin.buffer.read(max_input + 1)
    if len(data) > max_input:
        return TOO_LARGE
    if not data:
        return EMPTY
    try:
        result, header = clean(data, max_pixels)
    except Unsupported:
        return UNSUPPORTED
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    except MemoryError:
        return MEMORY
    except Exception:  # any parser error on hostile input means "broken"
        return BROKEN
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
