"""The metadata report: known metadata written into generated samples comes back, every file of
the hostile corpus ends as a report or "could not be analysed", and fuzzed input never raises."""

import io
import struct
import subprocess
import zipfile
import zlib
from datetime import UTC, datetime
from fractions import Fraction

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from jiandu.forensics import findings
from jiandu.forensics.metadata import FileReport, analyse_file
from jiandu.forensics.previews import Problem


def exif_photo(quality: int = 92) -> bytes:
    image = Image.new("RGB", (800, 600), "steelblue")
    ImageDraw.Draw(image).rectangle((100, 100, 400, 300), fill="orange")
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D Mark IV"
    exif[0x0131] = "Adobe Photoshop 25.0"
    details = exif.get_ifd(0x8769)
    details[0x9003] = "2024:05:01 10:15:00"
    details[0xA431] = "SN-0123456789"
    details[0xA434] = "EF24-70mm f/2.8L II USM"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (29.0, 33.0, 36.0)
    gps[3], gps[4] = "E", (106.0, 30.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def pyav_video(seconds: int = 2, rate: int = 25, keyframe_every: int = 0) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        container.metadata["creation_time"] = "2023-03-04T05:06:07.000000Z"
        container.metadata["comment"] = "made by the test"
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.metadata["encoder"] = "CapCut 9.9"
        stream.options = {"preset": "ultrafast"}
        if keyframe_every:  # a keyframe exactly every so many seconds, and nowhere else
            stream.options |= {"g": str(keyframe_every * rate), "sc_threshold": "0"}
        for index in range(seconds * rate):
            image = Image.new("RGB", (320, 240), (index * 5 % 255, 80, 160))
            ImageDraw.Draw(image).rectangle(
                (index * 4 % 300, 20, index * 4 % 300 + 40, 80), "white"
            )
            frame = av.VideoFrame.from_image(image)
            frame.pts, frame.time_base = index, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def analyse(data: bytes, name: str) -> FileReport:
    return analyse_file(io.BytesIO(data), name)


def test_photo_exif_gps_and_serial_come_back_and_raise_the_red_warning():
    report = analyse(exif_photo(), "photo.jpg")
    assert report.problem is None
    assert report.detected.label == "jpeg" and not report.detected.mismatch
    facts = report.facts
    assert facts["make"] == "Canon" and facts["model"] == "Canon EOS 5D Mark IV"
    assert facts["serial"] == "SN-0123456789"
    assert facts["lens"] == "EF24-70mm f/2.8L II USM"
    assert facts["gps"] == [pytest.approx(29.56), pytest.approx(106.5)]
    assert report.dates["exif_original"] == "2024-05-01T10:15:00"
    assert report.pdq and len(report.pdq[0]) == 64
    found = {f.code: f for f in findings.find(report)}
    assert found["gps"].severity == findings.RED and "29.56" in found["gps"].text
    assert found["serial"].severity == findings.RED and "SN-0123456789" in found["serial"].text
    assert found["editor"].severity == findings.WARNING  # Photoshop in the software tag


def test_questionnaire_when_that_disagrees_with_the_photo_is_a_finding():
    report = analyse(exif_photo(), "photo.jpg")
    codes = {f.code for f in findings.find(report, when="It happened on 2024-08-20 at night")}
    assert "when_disagrees" in codes
    assert "when_disagrees" not in {f.code for f in findings.find(report, when="2024年5月1日")}
    received = datetime(2020, 1, 1, tzinfo=UTC)
    assert "future_date" in {f.code for f in findings.find(report, received=received)}


def test_pyav_video_creation_time_encoder_and_streams_come_back():
    report = analyse(pyav_video(), "clip.mp4")
    assert report.problem is None
    facts = report.facts
    assert report.dates["container_creation_time"].startswith("2023-03-04T05:06:07")
    assert facts["stream_encoder"] == "CapCut 9.9"
    assert facts["video_codec"] == "h264" and (facts["width"], facts["height"]) == (320, 240)
    assert facts["fps"] == 25.0 and facts["duration"] == pytest.approx(2.0, abs=0.1)
    assert [second for second, _hash, _quality in report.frames] == [0, 1]
    assert report.sheet  # the contact sheet
    tags = {name: value for _section, name, value in report.fields}
    assert tags["comment"] == "made by the test"
    codes = {f.code for f in findings.find(report)}
    assert "editor" in codes and "no_camera" in codes


def test_the_contact_sheet_is_made_of_keyframes_spread_over_the_video():
    report = analyse(pyav_video(seconds=24, keyframe_every=3), "scenes.mp4")
    assert report.problem is None and report.sheet
    assert len(report.sheet_times) >= 6
    assert all(t % 3 == pytest.approx(0, abs=0.01) for t in report.sheet_times)
    assert report.sheet_times[0] == 0 and report.sheet_times[-1] >= 18


def test_odd_frame_rate_is_a_finding():
    report = analyse(pyav_video(seconds=1, rate=17), "odd.mp4")
    assert report.facts["fps"] == 17.0
    assert "odd_fps" in {f.code for f in findings.find(report)}


def test_audio_gets_a_waveform(tmp_path):
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000, layout="mono")
        import numpy

        samples = (numpy.sin(numpy.arange(16000) / 5) * 20000).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    report = analyse(buffer.getvalue(), "call.wav")
    assert report.problem is None and report.facts["audio_codec"] == "pcm_s16le"
    assert report.waveform
    assert report.facts["loudest"] == pytest.approx(0.61, abs=0.05)


def test_pdf_author_producer_dates_and_revisions():
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Zhang San"
    pdf.docinfo["/Producer"] = "Microsoft Word for Office 365"
    pdf.docinfo["/CreationDate"] = "D:20240102030405+08'00'"
    buffer = io.BytesIO()
    pdf.save(buffer)
    data = buffer.getvalue() + b"\n1 0 obj\n<<>>\nendobj\n%%EOF\n"  # an incremental update
    report = analyse(data, "memo.pdf")
    assert report.problem is None
    assert report.facts["author"] == "Zhang San"
    assert report.facts["producer"] == "Microsoft Word for Office 365"
    assert report.dates["pdf_creationdate"] == "2024-01-02T03:04:05+08:00"
    assert report.facts["revisions"] == 2
    assert {"revisions", "author"} <= {f.code for f in findings.find(report)}


def test_office_document_properties():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/"><dc:creator>Li Si</dc:creator>'
            "<cp:revision>7</cp:revision><dcterms:created>2022-02-02T02:02:02Z</dcterms:created>"
            "</cp:coreProperties>",
        )
    report = analyse(buffer.getvalue(), "report.docx")
    assert report.problem is None and not report.detected.mismatch
    assert report.facts["author"] == "Li Si" and report.facts["revision"] == "7"
    assert report.facts["inner_type"] == "ooxml"
    assert report.dates["office_created"] == "2022-02-02T02:02:02+00:00"


# ---- the hostile corpus (made here, never downloaded) ----------------------------------------


def png_with_header(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def decompression_bomb_png() -> bytes:
    """8,000 × 8,000 pixels of black: 192 MB decoded from a few hundred KB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (8000 * 3 + 1)
    body = b"".join(compressor.compress(row) for _ in range(8000)) + compressor.flush()
    return png_with_header(8000, 8000, body)


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        block = b"\x00" * (1 << 20)
        for _ in range(64):
            member.write(block)
    return buffer.getvalue()


LOOPING_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Pages /Kids [2 0 R] /Parent 3 0 R /Count 1 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R /Info 4 0 R >>\n%%EOF\n"
)


@pytest.fixture(scope="module")
def hostile() -> dict[str, bytes]:
    return hostile_corpus()


def hostile_corpus() -> dict[str, bytes]:
    """Every hostile file by name (made here, never downloaded)."""
    video = pyav_video(seconds=2)
    polyglot = io.BytesIO()
    with zipfile.ZipFile(polyglot, "w") as archive:
        archive.writestr("payload.txt", "hello")
    return {
        "truncated.mp4": video[: len(video) // 2],
        "bomb.png": decompression_bomb_png(),
        "bomb.zip": zip_bomb(),
        "polyglot.jpg": exif_photo() + polyglot.getvalue(),
        "loop.pdf": LOOPING_PDF,
        "huge.png": png_with_header(100_000, 100_000, zlib.compress(b"\x00" * 1000)),
        "random.mp4": bytes(range(256)) * 64,
        "zip-named.jpg": polyglot.getvalue(),
        "empty.jpg": b"",
    }


def test_hostile_corpus_ends_as_a_report_or_could_not_be_analysed(hostile):
    results = {name: analyse(data, name) for name, data in hostile.items()}
    for name, report in results.items():
        assert report.size == len(hostile[name]), name
        texts = [f.text for f in findings.find(report)]  # never raises either
        assert all(texts)
    assert results["bomb.png"].problem is Problem.TOO_MANY_PIXELS
    assert results["huge.png"].problem is Problem.TOO_MANY_PIXELS
    bomb_zip = results["bomb.zip"]
    assert bomb_zip.problem is None and bomb_zip.facts["expansion"] > 100
    assert "zip_bomb" in {f.code for f in findings.find(bomb_zip)}
    polyglot = results["polyglot.jpg"]
    assert polyglot.detected.also_zip and polyglot.problem is None
    assert "polyglot" in {f.code for f in findings.find(polyglot)}
    loop = results["loop.pdf"]
    assert loop.problem is not None or loop.facts.get("page_tree_damaged")
    random_mp4 = results["random.mp4"]
    assert random_mp4.detected.label == "unknown" and random_mp4.detected.mismatch
    assert random_mp4.problem is Problem.UNSUPPORTED
    zip_named = results["zip-named.jpg"]
    assert zip_named.detected.label == "zip" and zip_named.detected.mismatch
    assert "type_mismatch" in {f.code for f in findings.find(zip_named)}
    assert results["empty.jpg"].problem is Problem.EMPTY
    truncated = results["truncated.mp4"]
    assert truncated.problem is not None or truncated.facts.get("decode_stopped")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-", b"PK\x03\x04", b""]),
    body=st.binary(max_size=2048),
)
def test_metadata_step_never_raises_on_fuzzed_input(prefix, body):
    report = analyse(prefix + body, "fuzz.bin")
    assert report.size == len(prefix + body)
    findings.find(report)


def test_video_rotation_comes_back(tmp_path):
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    plain.write_bytes(pyav_video(seconds=1))
    command = ["/usr/bin/ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(plain)]
    command += ["-c", "copy", "-metadata:s:v:0", "rotate=90", "-y", str(rotated)]
    subprocess.run(command, check=True)
    report = analyse(rotated.read_bytes(), "portrait.mp4")
    assert report.facts["rotation"] in (90, -90, 270)


def test_a_jpeg_saved_below_camera_quality_is_flagged_as_recompressed():
    camera = analyse(exif_photo(quality=95), "camera.jpg")
    resent = analyse(exif_photo(quality=70), "resent.jpg")
    assert camera.facts["jpeg_quality"] >= 90 and resent.facts["jpeg_quality"] == 70
    assert "recompressed" not in {f.code for f in findings.find(camera)}
    assert "recompressed" in {f.code for f in findings.find(resent)}
    assert isinstance(camera.facts["ela"], float)  # error level: shown as a number


def test_only_plain_base64_from_the_sandbox_reaches_a_data_uri():
    from jiandu.forensics.metadata import _base64_only

    assert _base64_only("UklGRg==") == "UklGRg=="
    assert _base64_only('x" onerror="alert(1)') == ""
    assert _base64_only(None) == ""


def textured_scene(seed: int) -> Image.Image:
    import numpy
    from PIL import ImageFilter

    rng = numpy.random.default_rng(seed)
    noise = (rng.random((600, 800, 3)) * 80 + 80).astype("uint8")
    image = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(3))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = int(rng.integers(700)), int(rng.integers(500))
        draw.rectangle((x, y, x + 60, y + 60), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return image.filter(ImageFilter.GaussianBlur(1))


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_double_jpeg_compression_is_a_finding_and_a_single_save_is_not():
    scene = textured_scene(5)
    once = analyse(jpeg_bytes(scene, 90), "once.jpg")
    first = Image.open(io.BytesIO(jpeg_bytes(scene, 60)))
    twice = analyse(jpeg_bytes(first, 90), "twice.jpg")
    assert once.facts["double_jpeg"] < findings.DOUBLE_JPEG_THRESHOLD
    assert twice.facts["double_jpeg"] >= findings.DOUBLE_JPEG_THRESHOLD
    assert "double_jpeg" not in {f.code for f in findings.find(once)}
    assert "double_jpeg" in {f.code for f in findings.find(twice)}
    flat = analyse(exif_photo(), "flat.jpg")  # too little texture to tell: no score
    assert "double_jpeg" not in flat.facts
