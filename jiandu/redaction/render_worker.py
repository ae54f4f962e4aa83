"""Make one derivative from stdin to stdout; runs inside the forensics sandbox, never imported.

Started by `studio.py` as `python -I render_worker.py KIND RECIPE MODEL MAX_PIXELS MAX_INPUT`
through the jail (bubblewrap, seccomp, limits, no network, no data dir). The recipe was checked
by recipe.py; it is checked again by shape here only to fail cleanly.

Images: decoded by Pillow (JPEG, PNG, WebP only; the declared size checked first), orientation
applied, faces found by CenterFace (faces.py, weights at MODEL, a read path), every region not
switched off blurred or pixelated over a margin, cropped, scaled, and written as a new image from
the pixels alone: no EXIF, XMP, IPTC, ICC, comment or trailing byte survives, because nothing
but the pixel array reaches the encoder.

Output: one JSON line (extension, content type, size, the faces found as fractions of the frame,
how many regions were hidden), then the bytes.

Exit codes (read by studio.py): 0 done, 2 broken, 3 out of memory, 4 too many pixels, 5 input
too large, 6 empty, 7 unsupported type, 8 bad recipe, 9 detector missing.
"""

import io
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BROKEN, MEMORY, TOO_MANY_PIXELS, TOO_LARGE, EMPTY, UNSUPPORTED, BAD_RECIPE, NO_DETECTOR = range(
    2, 10
)
IMAGE_OUT = {
    "jpeg": ("JPEG", "jpg", "image/jpeg"),
    "png": ("PNG", "png", "image/png"),
    "webp": ("WEBP", "webp", "image/webp"),
}


class Unsupported(Exception):
    pass


def hide(pixels, box: tuple[int, int, int, int], effect: str) -> None:
    """Destroy what is inside `box` (x0, y0, x1, y1) of an RGB array, in place.

    Blur is strong (a kernel about half the box) and applied to a pixelated copy first, so no
    detail finer than the blocks survives either effect; "box" paints it black.
    """
    import cv2

    x0, y0, x1, y1 = box
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    patch = pixels[y0:y1, x0:x1]
    h, w = patch.shape[:2]
    if effect == "box":
        patch[:] = 0
        return
    blocks = 8 if effect == "pixelate" else 6
    small = cv2.resize(
        patch,
        (max(1, w * blocks // max(w, h)), max(1, h * blocks // max(w, h))),
        interpolation=cv2.INTER_AREA,
    )
    coarse = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    if effect == "blur":
        k = max(3, (max(w, h) // 2) | 1)
        coarse = cv2.GaussianBlur(coarse, (k, k), 0)
    patch[:] = coarse


def regions_for_frame(recipe: dict, faces: list, width: int, height: int, at: float = 0.0):
    """(pixel box, effect) for each region hidden in a frame at `at` seconds."""
    from faces import MARGIN

    hidden = []
    keep = set(recipe.get("keep", ()))
    for number, face in enumerate(faces):
        if number in keep or not recipe.get("faces", True):
            continue
        grown = face.grow(MARGIN, width, height)
        box = (int(grown.x0), int(grown.y0), int(grown.x1 + 0.999), int(grown.y1 + 0.999))
        hidden.append((box, recipe.get("effect", "blur")))
    for region in recipe.get("boxes", ()):
        if not region.get("on", True):
            continue
        if at < region.get("start", 0) or (region.get("end") and at > region["end"]):
            continue
        box = (
            int(region["x"] * width),
            int(region["y"] * height),
            int((region["x"] + region["w"]) * width + 0.999),
            int((region["y"] + region["h"]) * height + 0.999),
        )
        hidden.append((box, region.get("effect", "blur")))
    return hidden


def render_image(data: bytes, recipe: dict, model: str, max_pixels: int) -> tuple[bytes, dict]:
    import numpy as np
    from faces import Detector
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG", "WEBP"))
    except Image.UnidentifiedImageError as exc:
        raise Unsupported from exc
    with image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise Image.DecompressionBombError("declared size")
        image.load()
        pixels = np.array(ImageOps.exif_transpose(image).convert("RGB"))
    height, width = pixels.shape[:2]
    found = Detector(model)(pixels) if recipe.get("faces", True) else []
    # Numbered left to right, top to bottom: the same image gives the same numbers.
    found.sort(key=lambda b: (round(b.x0 / max(width, 1), 2), b.y0))
    hidden = regions_for_frame(recipe, found, width, height)
    for box, effect in hidden:
        hide(pixels, box, effect)
    result = Image.fromarray(pixels, "RGB")
    if recipe.get("crop"):
        cx, cy, cw, ch = recipe["crop"]
        left, top = int(cx * width), int(cy * height)
        right = max(left + 1, int((cx + cw) * width))
        bottom = max(top + 1, int((cy + ch) * height))
        result = result.crop((left, top, right, bottom))
    edge = recipe.get("edge") or 0
    if edge and max(result.size) > edge:
        result.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    fresh = Image.new("RGB", result.size)
    fresh.paste(result)
    out_format, extension, content_type = IMAGE_OUT[recipe.get("format") or "jpeg"]
    out = io.BytesIO()
    if out_format == "JPEG":
        fresh.save(out, "JPEG", quality=90, optimize=True)
    elif out_format == "PNG":
        fresh.save(out, "PNG", optimize=True)
    else:
        fresh.save(out, "WEBP", quality=90, exif=b"", xmp=b"", icc_profile=None)
    header = {
        "extension": extension,
        "content_type": content_type,
        "width": fresh.width,
        "height": fresh.height,
        "faces": [
            [
                round(float(b.x0) / width, 4),
                round(float(b.y0) / height, 4),
                round(float(b.x1 - b.x0) / width, 4),
                round(float(b.y1 - b.y0) / height, 4),
            ]
            for b in found
        ],
        "hidden": len(hidden),
        "hidden_faces": sum(1 for n in range(len(found)) if n not in set(recipe.get("keep", ()))),
    }
    return out.getvalue(), header


def main(argv: list[str]) -> int:
    try:
        kind, recipe = argv[1], json.loads(argv[2])
        model, max_pixels, max_input = argv[3], int(argv[4]), int(argv[5])
    except (IndexError, ValueError):
        return BAD_RECIPE
    if not isinstance(recipe, dict) or kind not in ("image",):
        return BAD_RECIPE
    if recipe.get("faces", True) and not os.path.exists(model):
        return NO_DETECTOR
    data = sys.stdin.buffer.read(max_input + 1)
    if len(data) > max_input:
        return TOO_LARGE
    if not data:
        return EMPTY
    try:
        from PIL import Image

        result, header = render_image(data, recipe, model, max_pixels)
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
