"""Re-encode one untrusted image from stdin to a clean WebP on stdout; runs inside the sandbox.

Started by `previews.py` as `python -I image_worker.py MAX_PIXELS EDGE MAX_INPUT` through the
jail, never imported by the server. Only Pillow and the standard library: a decoder exploit
here lands in a process with no secrets, no network and tight limits.

Why each step:
- only common photo formats are opened (Pillow would otherwise also try EPS through Ghostscript
  and other rarely used parsers);
- the size the file declares is checked before any pixel is decoded, against MAX_PIXELS, and
  Pillow's own decompression-bomb check is made an error; JPEGs are decoded at reduced scale
  (`draft`) when that is enough for the preview;
- the EXIF orientation is applied, then the pixels are copied into a new image, so no EXIF
  (camera serial, GPS), XMP, ICC profile or comment can reach the output;
- the result is at most EDGE pixels on its longest side.

Exit codes (read by previews.py): 0 done, 2 not a supported image or broken, 3 out of memory,
4 too many pixels, 5 input larger than MAX_INPUT, 6 empty input.
"""

import io
import sys
import warnings

from PIL import Image, ImageOps

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP")
BROKEN, MEMORY, TOO_MANY_PIXELS, TOO_LARGE, EMPTY = 2, 3, 4, 5, 6


def convert(data: bytes, max_pixels: int, edge: int) -> bytes:
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise Image.DecompressionBombError("declared size")
        if image.format == "JPEG":
            image.draft("RGB", (edge, edge))
        image.seek(0)  # the first frame of an animation
        image.load()
        upright = ImageOps.exif_transpose(image)
        mode = (
            "RGBA"
            if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            else "RGB"
        )
        pixels = upright.convert(mode)
    pixels.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=82, method=4)
    return out.getvalue()


def main(argv: list[str]) -> int:
    max_pixels, edge, max_input = (int(arg) for arg in argv[1:4])
    data = sys.stdin.buffer.read(max_input + 1)
    if len(data) > max_input:
        return TOO_LARGE
    if not data:
        return EMPTY
    try:
        result = convert(data, max_pixels, edge)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    except MemoryError:
        return MEMORY
    except Exception:  # any parser error on hostile input means "broken"
        return BROKEN
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
