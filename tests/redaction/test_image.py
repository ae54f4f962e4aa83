"""The image path of the redaction studio: faces found and hidden in the sandbox, regions,
crop, a re-encode with no metadata (checked with exiftool), a second detector that finds the
face before and not after, hostile inputs, and the worker's answer checked in the parent.

Test face: scikit-image's `data.astronaut()`, NASA's public-domain portrait of Eileen Collins,
shipped inside the scikit-image package (no image is downloaded, no private person)."""

import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata
from skimage.feature import Cascade

from jiandu.redaction import studio
from jiandu.redaction.recipe import parse

FACE = (0.34, 0.10, 0.20, 0.26)  # where the astronaut's face is, as fractions (x, y, w, h)


def astronaut_jpeg(**extra) -> bytes:
    image = Image.fromarray(skdata.astronaut())
    exif = Image.Exif()
    exif[0x010F] = "LeakyCam"  # Make
    exif[0x0110] = "LC-1"  # Model
    exif[0x0131] = "Editor 9.1"  # Software
    exif[0x013B] = "Insider Name"  # Artist
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif.get_ifd(0x8769)[0xA431] = "SN123456"  # BodySerialNumber
    exif.get_ifd(0x8825)[2] = (39.0, 54.0, 0.0)  # GPSLatitude
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        exif=exif,
        comment=b"source: insider",
        xmp=b"<x:xmpmeta>CreatorTool=SecretApp</x:xmpmeta>",
        **extra,
    )
    return buffer.getvalue()


def lbp_faces(data: bytes) -> list[tuple[float, float, float, float]]:
    """The second detector: scikit-image's LBP frontal-face cascade (not CenterFace)."""
    pixels = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    height, width = pixels.shape[:2]
    cascade = Cascade(skdata.lbp_frontal_face_cascade_filename())
    found = cascade.detect_multi_scale(
        img=pixels, scale_factor=1.2, step_ratio=1, min_size=(60, 60), max_size=(300, 300)
    )
    return [
        (f["c"] / width, f["r"] / height, f["width"] / width, f["height"] / height) for f in found
    ]


def overlaps(box, region) -> bool:
    x, y, w, h = box
    rx, ry, rw, rh = region
    return x < rx + rw and rx < x + w and y < ry + rh and ry < y + h


def render(recipe: dict, original: bytes) -> studio.Output:
    output = studio.render_image(parse({"kind": "image", **recipe}), original)
    assert output.ok, output.problem
    return output


def test_a_second_detector_finds_the_face_before_and_none_after():
    original = astronaut_jpeg()
    before = lbp_faces(original)
    assert any(overlaps(box, FACE) for box in before)
    for effect in ("blur", "pixelate"):
        output = render({"effect": effect}, original)
        assert output.hidden_faces == 1 and len(output.faces) == 1
        assert overlaps(output.faces[0], FACE)
        after = lbp_faces(output.data)
        assert not any(overlaps(box, FACE) for box in after), (effect, after)


def test_the_subject_can_stay_visible():
    """A face stays visible where a kept number's face was (its samples from a render), and
    nowhere else: a number alone, with no face behind it, leaves every face hidden."""
    first = render({}, astronaut_jpeg())
    assert first.shown == (0,) and first.thumbs[0][:4] == b"RIFF"
    kept = {1: [list(first.samples[0][0])]}
    output = studio.render_image(parse({"kind": "image"}), astronaut_jpeg(), kept)
    assert output.ok and output.hidden_faces == 0 and output.shown == (1,)
    assert any(overlaps(box, FACE) for box in lbp_faces(output.data))
    blind = render({"keep": [0]}, astronaut_jpeg())  # no reference: fail safe
    assert blind.hidden_faces == 1 and not any(overlaps(b, FACE) for b in lbp_faces(blind.data))


EXIFTOOL = shutil.which("exiftool")
FORBIDDEN = ("gps", "make", "model", "serial", "author", "artist", "creator", "software")
FORBIDDEN += ("encoder", "date", "comment", "xmp", "exif")


def exif_tags(data: bytes) -> dict:
    """exiftool's reading of the bytes, from stdin (so no file-system dates)."""
    result = subprocess.run(
        [EXIFTOOL, "-j", "-a", "-G1", "-"], input=data, capture_output=True, check=True
    )
    return json.loads(result.stdout)[0]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) not installed")
@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_exiftool_finds_nothing_identifying_in_any_output(fmt):
    original = astronaut_jpeg()
    before = " ".join(exif_tags(original)).lower()
    assert "gps" in before and "make" in before and "serial" in before  # the test can fail
    output = render({"format": fmt}, original)
    tags = exif_tags(output.data)
    leaks = [
        key
        for key in tags
        if not key.startswith(("ExifTool:", "System:", "File:"))
        and any(word in key.lower() for word in FORBIDDEN)
    ]
    assert not leaks, leaks
    for secret in (b"LeakyCam", b"Insider", b"SN123456", b"SecretApp", b"Editor 9", b"2026:01"):
        assert secret not in output.data


def test_manual_boxes_crop_and_size():
    original = astronaut_jpeg()
    recipe = {
        "faces": False,
        "boxes": [{"x": 0.0, "y": 0.5, "w": 0.5, "h": 0.5, "effect": "box"}],
        "crop": [0.0, 0.25, 1.0, 0.75],
        "edge": 320,
        "format": "png",
    }
    output = render(recipe, original)
    assert (output.width, output.height) == (320, 240)
    pixels = np.array(Image.open(io.BytesIO(output.data)))
    assert pixels[200:, :150].max() == 0  # the painted box (bottom left, after the crop)
    assert pixels[:60, 200:].max() > 0


def test_a_switched_off_box_is_not_applied():
    original = astronaut_jpeg()
    box = {"x": 0.0, "y": 0.5, "w": 0.5, "h": 0.5, "effect": "box", "on": False}
    output = render({"faces": False, "boxes": [box], "format": "png"}, original)
    assert np.array(Image.open(io.BytesIO(output.data)))[400:, :200].max() > 0


def test_faces_are_not_hidden_in_this_process(monkeypatch):
    """DEVELOPERS.md: the decoding happens in the sandbox; Pillow here is never asked."""
    import PIL.Image

    original = astronaut_jpeg()

    def refuse(*args, **kwargs):
        raise AssertionError("decoded in the web process")

    monkeypatch.setattr(PIL.Image, "open", refuse)
    output = studio.render_image(parse({"kind": "image"}), original)
    assert output.ok and output.data.startswith(b"\xff\xd8\xff")


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"", studio.Problem.EMPTY),
        (b"not an image at all", studio.Problem.UNSUPPORTED),
        (b"GIF89a" + b"\x00" * 20, studio.Problem.UNSUPPORTED),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", studio.Problem.UNSUPPORTED),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, studio.Problem.UNSUPPORTED),
        (None, studio.Problem.TOO_MANY_PIXELS),
        (b"%PDF-1.4 with an image's name", studio.Problem.UNSUPPORTED),
    ],
)
def test_hostile_inputs_give_a_stable_problem(payload, problem):
    payload = _bomb() if payload is None else payload
    output = studio.render_image(parse({"kind": "image"}), payload)
    assert output.problem == problem


def test_a_truncated_jpeg_is_refused():
    output = studio.render_image(parse({"kind": "image"}), astronaut_jpeg()[:3000])
    assert not output.ok


def test_an_input_over_the_limit_is_refused_before_the_sandbox(monkeypatch):
    monkeypatch.setattr(studio, "IMAGE_MAX_BYTES", 100)
    output = studio.render_image(parse({"kind": "image"}), b"\xff\xd8\xff" + b"\0" * 200)
    assert output.problem == studio.Problem.TOO_LARGE


def _header(**fields) -> bytes:
    base = {"extension": "png", "content_type": "image/png", "width": 4, "height": 4}
    base.update({"faces": [], "hidden": 0, "hidden_faces": 0}, **fields)
    base.setdefault("shown", [0] * len(base["faces"]) if isinstance(base["faces"], list) else [])
    return json.dumps(base).encode() + b"\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "stdout",
    [
        _header(extension="html", content_type="text/html") + b"<script>",
        _header(content_type="text/html") + _png(),
        _header() + b"<html>" + b"IEND\xaeB`\x82",
        _header(width=-1) + _png(),
        _header(width=100_000, height=100_000) + _png(),
        _header(width=True) + _png(),
        _header(faces=[[0, 0, 5, 5]]) + _png(),
        _header(faces="x") + _png(),
        _header(hidden=-3) + _png(),
        _header(extension="webp", content_type="image/webp") + b"RIFF\x00\x00\x00\x00WEBPxx",
        b"[]\n" + _png(),
        b"x" * 70_000 + b"\n" + _png(),
        _png(),
    ],
)
def test_what_the_worker_answers_is_checked(stdout):
    assert studio.checked_image(stdout).problem == studio.Problem.FAILED


def test_an_honest_answer_passes():
    output = studio.checked_image(_header(faces=[[0.1, 0.1, 0.2, 0.2]]) + _png())
    assert output.ok and output.faces == ((0.1, 0.1, 0.2, 0.2),)


def test_face_thumbnails_in_the_answer_are_cut_off_and_checked():
    """The worker's face thumbnails come between its header and the file: each must be a whole
    small WebP, and what follows them is the file."""
    thumb = io.BytesIO()
    Image.new("RGB", (8, 8)).save(thumb, "WEBP")
    webp = thumb.getvalue()
    honest = studio.checked_image(
        _header(faces=[[0.1, 0.1, 0.2, 0.2]], thumbs=[len(webp)]) + webp + _png()
    )
    assert honest.ok and honest.thumbs == (webp,) and honest.data == _png()
    for thumbs, body in (([len(_png())], _png() + _png()), ([10**6], webp + _png())):
        assert not studio.checked_image(_header(thumbs=thumbs) + body).ok
    assert not studio.checked_image(_header(faces=[[0.1, 0.1, 0.2, 0.2]], shown=[]) + _png()).ok
