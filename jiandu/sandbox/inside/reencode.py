"""The one Pillow re-encoder: decode an untrusted image, keep only its pixels, encode them anew.

Imported inside the sandbox only (as `reencode`, by the preview, evidence and render workers),
never by the server: Pillow's decoders are where an exploit would land.

Why each step:
- only the formats the caller names are opened (Pillow would otherwise also try EPS through
  Ghostscript and other rarely used parsers); anything else is `Unsupported`;
- the size the file declares is checked before any pixel is decoded, against `max_pixels`,
  and Pillow's own decompression-bomb check is made an error; a JPEG may be decoded at reduced
  scale (`draft`) when the caller needs no more;
- the EXIF orientation is applied, then the pixels are copied into a new image (`fresh`), so no
  EXIF (camera serial, GPS), XMP, IPTC, ICC profile, comment or trailing byte can reach the
  output: nothing but the pixels reaches the encoder.
"""

import io
import warnings
from typing import Any

from answer import Unsupported
from PIL import Image, ImageOps

# Encoder settings per output format; a caller may override one (a preview's WebP quality).
ENCODE: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90, "exif": b"", "xmp": b"", "icc_profile": None},
}


def open_upright(
    data: bytes, formats: tuple[str, ...], max_pixels: int, draft: int = 0
) -> tuple[Image.Image, str]:
    """(the first frame, upright and fully decoded, the file's format). Raises `Unsupported`
    for a file of another format, DecompressionBombError for one declaring too many pixels."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except Image.UnidentifiedImageError as exc:
        raise Unsupported from exc
    with image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise Image.DecompressionBombError("declared size")
        if draft and image.format == "JPEG":
            image.draft("RGB", (draft, draft))
        image.seek(0)  # the first frame of an animation
        image.load()
        return ImageOps.exif_transpose(image), str(image.format)


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def fresh(pixels: Image.Image, mode: str) -> Image.Image:
    """A new image holding only `pixels` in `mode`: no metadata of the original comes along."""
    converted = pixels.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def encode(image: Image.Image, out_format: str, **options: object) -> bytes:
    """`image` (made by `fresh`) written as `out_format` with the house's settings."""
    out = io.BytesIO()
    image.save(out, out_format, **{**ENCODE[out_format], **options})
    return out.getvalue()
