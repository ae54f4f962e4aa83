"""Previews: real media comes out re-encoded and clean; hostile input comes out as a reason."""

import io
import json
import struct
import subprocess
import zlib

import pytest
from django.utils import translation
from PIL import Image

from jiandu.forensics import previews
from jiandu.forensics.previews import Kind, Problem, make_preview, sniff_kind, split_pngs
from jiandu.sandbox.runner import Limits
from tests.forensics.conftest import MARKER

WEBM = b"\x1a\x45\xdf\xa3"


def preview(kind: str, data: bytes) -> previews.Preview:
    return make_preview(kind, io.BytesIO(data))


def probe(data: bytes, tmp_path) -> dict:
    path = tmp_path / "preview.webm"
    path.write_bytes(data)
    result = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
         str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous canvas (the pixels are never sent)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        previews.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# Images


def test_photo_is_reencoded_upright_small_and_without_metadata(media):
    result = preview("image", media["photo.jpg"])
    assert result.ok, result
    assert result.content_type == "image/webp"
    assert result.data[:4] == b"RIFF" and result.data[8:12] == b"WEBP"
    assert MARKER.encode() not in result.data
    for chunk in (b"EXIF", b"XMP ", b"ICCP"):
        assert chunk not in result.data
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (800, 1200)  # the EXIF orientation was applied, then dropped
        assert not image.getexif()


def test_large_images_are_scaled_down(media):
    big = Image.new("RGB", (4000, 1000), "white")
    buffer = io.BytesIO()
    big.save(buffer, "PNG")
    result = preview("image", buffer.getvalue())
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (previews.IMAGE_EDGE, 400)


def test_transparency_survives(media):
    result = preview("image", media["logo.png"])
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_declared_dimensions_are_checked_before_decoding():
    result = preview("image", png_declaring(100_000, 100_000))
    assert result.problem is Problem.TOO_MANY_PIXELS


def test_decompression_bomb_under_the_pixel_limit(settings):
    settings.JIANDU_PREVIEW_MAX_PIXELS = 1_000_000
    bomb = Image.new("L", (3000, 3000))  # 9 MP of zeros: a few kB compressed
    buffer = io.BytesIO()
    bomb.save(buffer, "PNG")
    assert len(buffer.getvalue()) < 50_000
    assert preview("image", buffer.getvalue()).problem is Problem.TOO_MANY_PIXELS


@pytest.mark.parametrize(
    "data",
    [
        b"this is not an image at all",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG start, then nothing useful
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",  # Ghostscript bait
    ],
    ids=["text", "jpeg-header-only", "eps"],
)
def test_things_that_are_not_images(data):
    result = preview("image", data)
    assert result.problem is Problem.UNSUPPORTED
    assert result.parts == ()


def test_truncated_photo(media):
    data = media["photo.jpg"]
    assert preview("image", data[: len(data) // 2]).problem is Problem.UNSUPPORTED


def test_a_pdf_named_like_an_image(media):
    assert preview("image", media["notes.pdf"]).problem is Problem.UNSUPPORTED


def test_empty_file():
    for kind in Kind:
        assert preview(kind, b"").problem is Problem.EMPTY


def test_files_over_the_preview_limit_are_refused(settings, media):
    settings.JIANDU_PREVIEW_MAX_MIB = 1
    big = media["heavy.mp4"] + b"\x00" * (1024 * 1024)
    assert preview("video", big).problem is Problem.TOO_LARGE
    assert preview("image", b"\x00" * (1024 * 1024 + 1)).problem is Problem.TOO_LARGE


# Video and audio


def test_video_is_reencoded_small_without_metadata(media, tmp_path):
    result = preview("video", media["clip.mp4"])
    assert result.ok, result
    assert result.content_type == "video/webm"
    assert result.data.startswith(WEBM)
    assert MARKER.encode() not in result.data
    info = probe(result.data, tmp_path)
    codecs = {stream["codec_type"]: stream for stream in info["streams"]}
    assert codecs["video"]["codec_name"] == "vp9"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (640, 360)
    assert codecs["audio"]["codec_name"] == "opus"
    assert 1.5 < float(info["format"]["duration"]) < 2.5  # written seekable, with its duration
    assert "title" not in info["format"].get("tags", {})


def test_video_preview_is_cut_to_its_length(settings, media, tmp_path):
    settings.JIANDU_PREVIEW_VIDEO_SECONDS = 1
    result = preview("video", media["clip.mp4"])
    assert float(probe(result.data, tmp_path)["format"]["duration"]) <= 1.1


def test_slow_video_is_stopped_by_the_time_limit(media, monkeypatch):
    monkeypatch.setitem(previews.LIMITS, Kind.VIDEO, Limits(cpu_seconds=1, wall_seconds=1.5))
    result = preview("video", media["heavy.mp4"])
    assert result.problem is Problem.TOO_SLOW, result


def test_truncated_video(media):
    data = media["clip.mp4"]  # ffmpeg writes the index (moov) at the end
    assert preview("video", data[: len(data) // 3]).problem is Problem.UNSUPPORTED


@pytest.mark.parametrize(
    "data",
    [
        b"not a video, just text with a .mp4 name",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n",
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    ],
    ids=["text", "hls-playlist-reading-a-local-file", "concat-list"],
)
def test_things_that_are_not_videos(data):
    result = preview("video", data)
    assert result.problem is Problem.UNSUPPORTED
    assert b"root:" not in result.data


def test_a_pdf_named_like_a_video(media):
    assert preview("video", media["notes.pdf"]).problem is Problem.UNSUPPORTED


def test_audio_is_reencoded_to_opus_without_metadata(media, tmp_path):
    result = preview("audio", media["call.wav"])
    assert result.ok, result
    assert result.content_type == "audio/webm"
    assert MARKER.encode() not in result.data
    streams = probe(result.data, tmp_path)["streams"]
    assert [stream["codec_name"] for stream in streams] == ["opus"]


def test_audio_from_a_video_drops_the_picture(media, tmp_path):
    result = preview("audio", media["clip.mp4"])
    assert [s["codec_type"] for s in probe(result.data, tmp_path)["streams"]] == ["audio"]


def test_garbage_audio():
    assert preview("audio", b"\x00\x01garbage" * 100).problem is Problem.UNSUPPORTED


# PDF


def test_pdf_pages_become_images(settings, media):
    settings.JIANDU_PREVIEW_PDF_PAGES = 2
    result = preview("pdf", media["notes.pdf"])
    assert result.ok, result
    assert result.content_type == "image/png"
    assert len(result.parts) == 2
    for part in result.parts:
        assert MARKER.encode() not in part
        with Image.open(io.BytesIO(part)) as page:
            assert max(page.size) == previews.PDF_EDGE


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n%garbage that never becomes a document", b"plain text", b"\x00" * 1000],
)
def test_things_that_are_not_pdfs(data):
    assert preview("pdf", data).problem is Problem.UNSUPPORTED


def test_a_video_named_like_a_pdf(media):
    assert preview("pdf", media["clip.mp4"]).problem is Problem.UNSUPPORTED


def test_split_pngs(media):
    page = preview("image", media["logo.png"]).data  # not a PNG: a WebP
    assert split_pngs(page) == []
    one = png_declaring(2, 2)
    assert split_pngs(one + one) == [one, one]
    assert split_pngs(one + one[:-3]) == []
    assert split_pngs(b"") == []


# Whatever happens, no exception


def test_a_failing_stream_gives_a_result_not_an_exception():
    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise OSError("disk gone")

    for kind in Kind:
        assert make_preview(kind, Broken()).problem is Problem.FAILED


def test_missing_tool_is_reported(monkeypatch, media):
    monkeypatch.setattr(previews.shutil, "which", lambda name: None)
    assert preview("video", media["clip.mp4"]).problem is Problem.UNAVAILABLE
    assert preview("pdf", media["notes.pdf"]).problem is Problem.UNAVAILABLE


def test_reason_is_readable_in_each_language(media):
    result = preview("image", b"nonsense")
    with translation.override("en"):
        assert result.message.startswith("Could not be analysed: it is not a file")
    with translation.override("zh-hans"):
        assert result.message.startswith("无法分析")
    assert preview("image", media["logo.png"]).message == ""


# Sniffing


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo.jpg", Kind.IMAGE),
        ("logo.png", Kind.IMAGE),
        ("notes.pdf", Kind.PDF),
        ("clip.mp4", Kind.VIDEO),
        ("call.wav", Kind.AUDIO),
    ],
)
def test_sniff_kind(media, name, kind):
    assert sniff_kind(media[name][:512]) is kind


def test_sniff_kind_of_unknown_bytes():
    assert sniff_kind(b"hello world, nothing here") is None
    assert sniff_kind(b"") is None


def test_without_the_sandbox_nothing_is_parsed_and_the_reason_says_so(settings, media, monkeypatch):
    from jiandu.sandbox import isolation, runner

    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    runner.forget_probe()
    try:
        results = [
            preview("image", media["photo.jpg"]),
            preview("video", media["clip.mp4"]),
            preview("audio", media["call.wav"]),
            preview("pdf", media["notes.pdf"]),
        ]
    finally:
        runner.forget_probe()
    assert {result.problem for result in results} == {Problem.SANDBOX_UNAVAILABLE}
    assert all(result.parts == () for result in results)
    with translation.override("en"):
        assert results[0].message.startswith("Could not be analysed: sandbox unavailable")
    with translation.override("zh-hant"):
        assert results[0].message.startswith("無法分析")
        assert "bubblewrap" in results[0].message
