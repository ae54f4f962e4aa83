"""Read what one untrusted file says about itself; runs inside the sandbox, never imported by
the server.

Started by `metadata.py` as `python -I metadata_worker.py FAMILY MAX_PIXELS MAX_SECONDS` through
the jail, with the file as an in-memory file on stdin (`/proc/self/fd/0`, seekable). Only
well-kept readers: Pillow (EXIF, XMP, IPTC), PyAV (FFmpeg's demuxers and decoders), pikepdf
(qpdf), the standard library's zipfile for office documents, pdqhash (Meta's PDQ) and numpy.
A reader exploit lands in a process with no secrets, no network and tight limits.

It writes one JSON object on stdout: `fields` (every tag it read, for the full table),
`facts` (the normalised values the findings use), `pdq` (an image's PDQ hash), `frames` (one
PDQ hash per second of video, as in vPDQ), and base64 images: `sheet` (a keyframe contact
sheet) and `waveform` (the audio's envelope). Values are truncated; nothing is written to disk.

The report is the header line of the sandbox's answer (jiandu/sandbox/inside/answer.py, with
nothing after it); the exit codes are its `ExitCode`: BROKEN (not a readable file of this
family), MEMORY, TOO_MANY_PIXELS (a decompression bomb), EMPTY.
"""

import base64
import io
import math
import os
import re
import sys
import warnings
import zipfile
from datetime import datetime
from typing import Any

# The sandbox's worker modules (bound read-only into the run by runner.run_sandboxed).
ROOMS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSIDE = os.path.join(ROOMS, "sandbox", "inside")
sys.path.insert(0, INSIDE)

from answer import ExitCode, exit_code_for, write_answer  # noqa: E402

INPUT = "/proc/self/fd/0"
MAX_VALUE = 300  # characters kept of any one tag
MAX_FIELDS = 400
SHEET_FRAMES = 12
THUMB = (192, 108)
WAVE_SIZE = (1000, 160)
ELA_MAX_PIXELS = 24_000_000  # larger photos skip error level analysis (CPU)
HASH_EDGE = 256  # frames are scaled to this before PDQ (PDQ itself works at 64×64)
# FFmpeg demuxers allowed: common containers only (a playlist demuxer could read other files).
AV_FORMATS = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,ogg,asf,mp3,wav,flac,aac,amr"
)
EXIF_TAGS = {
    0x010F: "make",
    0x0110: "model",
    0x0131: "software",
    0x0132: "date_modified",
    0x013B: "artist",
    0x8298: "copyright",
}
EXIF_IFD_TAGS = {
    0x9003: "date_original",
    0x9004: "date_digitized",
    0x9011: "offset_original",
    0xA430: "owner",
    0xA431: "serial",
    0xA433: "lens_make",
    0xA434: "lens",
    0xA435: "lens_serial",
}
XMP_NAMES = {
    "CreateDate": "xmp_created",
    "ModifyDate": "xmp_modified",
    "DateCreated": "xmp_date_created",
    "MetadataDate": "xmp_metadata_date",
    "CreatorTool": "creator_tool",
    "SerialNumber": "serial",
    "LensModel": "lens",
    "Lens": "lens",
    "softwareAgent": "xmp_history_software",
    "GPSLatitude": "xmp_gps_latitude",
    "GPSLongitude": "xmp_gps_longitude",
}
IPTC_NAMES = {
    (2, 80): "byline",
    (2, 55): "iptc_date_created",
    (2, 90): "city",
    (2, 101): "country",
    (2, 116): "copyright",
    (2, 120): "caption",
}


def text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()[:MAX_VALUE]


class Report:
    def __init__(self) -> None:
        self.fields: list[list[str]] = []
        self.facts: dict[str, Any] = {}
        self.dates: dict[str, str] = {}
        self.out: dict[str, object] = {}

    def field(self, section: str, name: str, value: object) -> None:
        if len(self.fields) < MAX_FIELDS and text(value):
            self.fields.append([section, text(name)[:80], text(value)])

    def fact(self, name: str, value: object) -> None:
        if value not in (None, "") and name not in self.facts:
            self.facts[name] = text(value) if isinstance(value, str | bytes) else value

    def date(self, name: str, value: object) -> None:
        parsed = parse_date(text(value))
        if parsed and name not in self.dates:
            self.dates[name] = parsed

    def result(self) -> dict[str, object]:
        return {"fields": self.fields, "facts": self.facts, "dates": self.dates, **self.out}


def parse_date(value: str) -> str | None:
    """An ISO 8601 string (naive if the source gave no zone) from EXIF, XMP, PDF or tags."""
    value = value.strip()
    if value.startswith("D:"):
        value = value[2:]
        match = re.match(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+-].*)?", value)
        if not match:
            return None
        defaults = (0, 1, 1, 0, 0, 0)
        parts = [int(p) if p else d for p, d in zip(match.groups()[:6], defaults, strict=True)]
        zone = (match.group(7) or "").replace("'", "")
        zone = "+00:00" if zone.startswith("Z") else (zone[:3] + ":" + zone[3:5] if zone else "")
        value = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*parts) + zone
    value = re.sub(r"^(\d{4}):(\d{2}):(\d{2})", r"\1-\2-\3", value).replace(" ", "T", 1)
    value = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if not 1900 < parsed.year < 2200:
        return None
    return parsed.isoformat()


def ratio(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def gps_decimal(parts: Any, ref: object) -> float | None:
    try:
        degrees, minutes, seconds = (ratio(p) for p in parts)
    except (TypeError, ValueError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if math.isnan(value):
        return None
    if text(ref).upper() in ("S", "W"):
        value = -value
    return round(value, 6)


def pdq_hex(rgb) -> tuple[str, int]:
    import numpy
    import pdqhash

    bits, quality = pdqhash.compute(numpy.ascontiguousarray(rgb))
    packed = numpy.packbits(numpy.asarray(bits, dtype=numpy.uint8))
    return packed.tobytes().hex(), int(quality)


# ---- images ---------------------------------------------------------------------------------


def read_image(report: Report, data: bytes, max_pixels: int) -> None:
    import numpy
    from PIL import Image, IptcImagePlugin

    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    formats = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP")
    with Image.open(io.BytesIO(data), formats=formats) as image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise Image.DecompressionBombError("declared size")
        report.fact("format", image.format)
        report.fact("width", width)
        report.fact("height", height)
        report.field("image", "format", image.format)
        report.field("image", "size", f"{width} × {height}")
        exif = image.getexif()
        for tag, name in EXIF_TAGS.items():
            if tag in exif:
                report.field("exif", name, exif[tag])
                if name.startswith("date"):
                    report.date("exif_" + name[5:], exif[tag])
                else:
                    report.fact(name, exif[tag])
        ifd = exif.get_ifd(0x8769)
        for tag, name in EXIF_IFD_TAGS.items():
            if tag in ifd:
                report.field("exif", name, ifd[tag])
                if name.startswith("date"):
                    report.date("exif_" + name[5:], ifd[tag])
                else:
                    report.fact(name, ifd[tag])
        gps = exif.get_ifd(0x8825)
        if gps:
            latitude = gps_decimal(gps.get(2), gps.get(1))
            longitude = gps_decimal(gps.get(4), gps.get(3))
            report.field("gps", "latitude", latitude)
            report.field("gps", "longitude", longitude)
            if latitude is not None or longitude is not None:
                report.fact("gps", [latitude, longitude])
            if 6 in gps:
                report.field("gps", "altitude", round(ratio(gps[6]), 1))
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        if xmp:
            read_xmp(report, xmp)
        try:
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
        except Exception:  # a broken IPTC block leaves the rest of the report
            iptc = {}
        for key, name in IPTC_NAMES.items():
            if key in iptc:
                value = iptc[key]
                value = value[0] if isinstance(value, list) else value
                report.field("iptc", name, value)
                report.fact(name, value)
        if image.format == "JPEG":
            tables = getattr(image, "quantization", None) or {}
            if tables:
                report.fact("jpeg_quality", jpeg_quality(tables))
                report.field("image", "jpeg_quality", report.facts["jpeg_quality"])
        comment = image.info.get("comment")
        if comment:
            report.field("image", "comment", comment)
        image.seek(0)
        ela = None
        if image.format == "JPEG" and width * height <= ELA_MAX_PIXELS:
            from PIL import JpegImagePlugin

            tables = getattr(image, "quantization", None) or {}
            sampling = JpegImagePlugin.get_sampling(image)
            rgb = image.convert("RGB")  # full resolution: the 8×8 grid must stay in place
            if tables:
                ela = error_level(rgb, tables, sampling)
                twice = double_compression(rgb, tables)
                if twice is not None:
                    report.fact("double_jpeg", twice)
        else:
            if image.format == "JPEG":
                image.draft("RGB", (1024, 1024))
            image.load()
            rgb = image.convert("RGB")
    if ela is not None:
        report.fact("ela", ela)
    small = rgb.copy()
    small.thumbnail((512, 512))
    hashed, quality = pdq_hex(numpy.asarray(small))
    report.out["pdq"] = [hashed, quality]
    robust_picture(report, numpy.asarray(small), 0, ORB_POINTS_IMAGE, crops=True)


# ---- robust matching (crops, turns, flips, padding: jiandu/sandbox/inside/robust_features.py) ----

ORB_POINTS_IMAGE = 128
ORB_POINTS_FRAME = 64
ROBUST_SECONDS = 32  # a video's seconds given turned/flipped/trimmed hashes and ORB keypoints


def robust_picture(report: Report, rgb, second: int, points: int, crops: bool) -> None:
    """The robust features of one picture, added to the report's `robust` (never fatal: the
    rest of the report stands without them)."""
    try:
        from robust_features import orb, variants

        robust: Any = report.out.setdefault("robust", {"variants": [], "orb": []})
        robust["variants"] += [[second, code, value] for code, value in variants(rgb, crops)]
        robust["orb"].append([second, orb(rgb, points)])
    except Exception:  # a failure here leaves the plain fingerprints
        report.fact("robust_failed", True)


def jpeg_quality(tables: dict) -> int:
    """The IJG quality that best explains the luminance table (a re-save changes it)."""
    standard = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
        69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55,
        64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100,
        103, 99,
    ]  # fmt: skip
    table = list(tables.get(0, []))
    if len(table) != 64:
        return 0
    best, best_error = 0, float("inf")
    for quality in range(1, 101):
        scale = 5000 / quality if quality < 50 else 200 - 2 * quality
        expected = [min(255, max(1, (q * scale + 50) // 100)) for q in standard]
        error = sum(abs(a - b) for a, b in zip(sorted(expected), sorted(table), strict=True))
        if error < best_error:
            best, best_error = quality, error
    return best


def error_level(rgb, tables: dict, sampling: int) -> float:
    """Error level analysis: save again with the file's own quantisation tables and compare,
    per 16-pixel block. Regions saved as often as the rest have settled and barely change; a
    region pasted in (or edited) after the earlier saves changes more. Returns the largest
    block error over the median block error (about 1 when the picture is uniform)."""
    import numpy
    from PIL import Image

    buffer = io.BytesIO()
    options: dict[str, Any] = {"qtables": tables}
    if sampling >= 0:
        options["subsampling"] = sampling
    rgb.save(buffer, "JPEG", **options)
    resaved = Image.open(buffer).convert("RGB")
    difference = numpy.abs(
        numpy.asarray(rgb, dtype=numpy.int16) - numpy.asarray(resaved, dtype=numpy.int16)
    ).mean(axis=2)
    block = 16
    height, width = difference.shape[0] // block, difference.shape[1] // block
    if height < 2 or width < 2:
        return 1.0
    blocks = difference[: height * block, : width * block].reshape(height, block, width, block)
    means = blocks.mean(axis=(1, 3))
    return round(float(means.max() / (numpy.median(means) + 0.5)), 2)


def double_compression(rgb, tables: dict) -> float | None:
    """How strongly the histograms of low-frequency DCT coefficients oscillate: a JPEG saved
    once has smooth (Laplacian) histograms; one saved before at a lower quality, then again,
    has periodic gaps (the first quantisation's steps seen through the second). Computed on the
    luminance at the file's own 8×8 grid, divided by the file's own table (natural order, as
    Pillow gives it). None when the picture has too little texture to tell."""
    import numpy

    table = list(tables.get(0, []))
    if len(table) != 64:
        return None
    size = 8
    basis = numpy.array(
        [
            [
                (numpy.sqrt(1 / size) if k == 0 else numpy.sqrt(2 / size))
                * numpy.cos(numpy.pi * (2 * n + 1) * k / (2 * size))
                for n in range(size)
            ]
            for k in range(size)
        ]
    )
    luma = numpy.asarray(rgb.convert("L"), dtype=numpy.float64) - 128
    height, width = luma.shape[0] // size * size, luma.shape[1] // size * size
    blocks = luma[:height, :width].reshape(height // size, size, width // size, size)
    coefficients = basis @ blocks.transpose(0, 2, 1, 3) @ basis.T
    scores = []
    for u, v in ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0)):
        step = float(table[u * size + v])
        values = numpy.abs(numpy.rint(coefficients[:, :, u, v] / step)).astype(numpy.int64)
        histogram = numpy.bincount(values.ravel(), minlength=40)[:40].astype(numpy.float64)
        if histogram[1:21].sum() < 500:
            continue
        k = numpy.arange(2, 20)
        wobble = numpy.abs(histogram[k] - (histogram[k - 1] + histogram[k + 1]) / 2).sum()
        scores.append(wobble / histogram[1:21].sum())
    if len(scores) < 3:
        return None
    return round(float(numpy.median(scores)), 3)


def read_xmp(report: Report, xmp: bytes | str) -> None:
    import xml.etree.ElementTree as ElementTree

    if isinstance(xmp, str):
        xmp = xmp.encode()
    try:
        root = ElementTree.fromstring(xmp[:1_000_000])  # noqa: S314 (in the sandbox)
    except ElementTree.ParseError:
        return
    for element in root.iter():
        items = [(element.tag, element.text), *element.attrib.items()]
        for tag, value in items:
            local = str(tag).rsplit("}", 1)[-1]
            if local in XMP_NAMES and value and value.strip():
                name = XMP_NAMES[local]
                report.field("xmp", name, value)
                if "created" in name or "modified" in name or "date" in name:
                    report.date(name, value)
                else:
                    report.fact(name, value)


# ---- video and audio ------------------------------------------------------------------------


ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


def read_av(report: Report, max_seconds: int) -> None:
    import av
    import numpy

    try:
        container = av.open(
            INPUT,
            container_options={"format_whitelist": AV_FORMATS, "protocol_whitelist": "file"},
        )
    except av.FFmpegError:
        raise ValueError("not media") from None
    with container:
        report.fact("container", container.format.name)
        report.field("container", "format", container.format.long_name or container.format.name)
        if container.duration:
            duration = container.duration / 1_000_000
            report.fact("duration", round(duration, 3))
            report.field("container", "duration", f"{duration:.3f} s")
        for key, value in container.metadata.items():
            report.field("container", key, value)
            lowered = key.lower()
            if "creation" in lowered or lowered.endswith("date"):
                report.date("container_" + lowered.rsplit(".", 1)[-1], value)
            elif lowered in ("encoder", "com.apple.quicktime.software", "software"):
                report.fact("encoder", value)
            elif lowered.endswith(("location.iso6709", "location")) or lowered == "location":
                match = ISO6709.search(text(value))
                if match:
                    report.fact("gps", [float(match.group(1)), float(match.group(2))])
            elif lowered.endswith(".make") or lowered == "make":
                report.fact("make", value)
            elif lowered.endswith(".model") or lowered == "model":
                report.fact("model", value)
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        for stream in container.streams:
            section = f"stream {stream.index} ({stream.type})"
            codec = stream.codec_context
            report.field(section, "codec", codec.name if codec else "")
            for key, value in stream.metadata.items():
                report.field(section, key, value)
                if "creation" in key.lower():
                    report.date(f"stream_{stream.index}_creation", value)
                if key.lower() == "rotate":
                    report.fact("rotation", value)
                if key.lower() == "encoder":
                    report.fact("stream_encoder", value)
        if video is not None:
            codec = video.codec_context
            report.fact("video_codec", codec.name)
            report.fact("width", codec.width)
            report.fact("height", codec.height)
            report.field("video", "resolution", f"{codec.width} × {codec.height}")
            rate = video.average_rate or video.guessed_rate
            if rate:
                report.fact("fps", round(float(rate), 3))
                report.field("video", "frame rate", f"{float(rate):.3f}")
        if audio is not None:
            report.fact("audio_codec", audio.codec_context.name)
            report.fact("sample_rate", audio.codec_context.sample_rate)
            report.fact("channels", audio.codec_context.channels)
        if video is not None:
            frames_and_sheet(report, container, video, max_seconds, numpy)
    if audio is not None:
        waveform(report, max_seconds)


def frames_and_sheet(report: Report, container, video, max_seconds: int, numpy) -> None:
    """One PDQ hash per second of video (the first frame at or after each second, as vPDQ
    samples at one frame per second), and a contact sheet of keyframes spread over the video:
    for each of SHEET_FRAMES moments, the first keyframe at or after it (an encoder puts
    keyframes at cuts, so they show the scenes), or the hashed frame where a stream marks no
    keyframes there."""
    from PIL import Image

    video.thread_type = "AUTO"
    # Frames no other frame refers to (most B-frames) are not decoded: one frame a second is
    # all we need, and this saves about 40% of the decoding on common H.264.
    video.codec_context.skip_frame = "NONREF"
    duration = float(report.facts.get("duration") or 0)
    wanted = [duration * i / SHEET_FRAMES for i in range(SHEET_FRAMES)] if duration else []
    spacing = duration / SHEET_FRAMES if duration else 0.0
    frames: list[list[object]] = []
    thumbs: list[tuple[float, object]] = []
    next_second = 0
    width = video.codec_context.width or HASH_EDGE
    height = video.codec_context.height or HASH_EDGE
    scale = HASH_EDGE / max(width, height, 1)
    size = (max(16, int(width * scale)), max(16, int(height * scale)))
    # Robust features for ROBUST_SECONDS seconds spread over the video (every second of a
    # short one): the first hashed second at or after each step.
    step = max(1, math.ceil(duration / ROBUST_SECONDS)) if duration else 1
    robust_next, robust_count = 0, 0
    robust_scale = 512 / max(width, height, 1)
    robust_size = (max(16, int(width * robust_scale)), max(16, int(height * robust_scale)))
    try:
        for frame in container.decode(video):
            if frame.time is None:
                continue
            if not frames:  # the display matrix (phones record portrait video this way)
                rotation = getattr(frame, "rotation", 0)
                if rotation:
                    report.fact("rotation", rotation)
            if frame.time >= max_seconds:
                break
            rgb = None
            if frame.time + 1e-6 >= next_second:
                rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                hashed, quality = pdq_hex(rgb)
                frames.append([int(next_second), hashed, quality])
                if next_second >= robust_next and robust_count < ROBUST_SECONDS:
                    robust_next, robust_count = next_second + step, robust_count + 1
                    larger = frame.to_ndarray(
                        format="rgb24", width=robust_size[0], height=robust_size[1]
                    )
                    robust_picture(report, larger, int(next_second), ORB_POINTS_FRAME, False)
                next_second = int(frame.time) + 1
            due = wanted and frame.time + 1e-6 >= wanted[0]
            # A keyframe when it is due; the hashed frame only if no keyframe came within a
            # stretch of the sheet's spacing (a stream that marks none, or marks few).
            late = due and frame.time > wanted[0] + spacing
            if (due and (frame.key_frame or late)) or (not wanted and len(thumbs) < SHEET_FRAMES):
                if rgb is None:
                    rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                thumbs.append((frame.time, Image.fromarray(rgb)))
                while wanted and frame.time + 1e-6 >= wanted[0]:
                    wanted.pop(0)
    except Exception:  # a truncated or damaged stream: keep what was read
        report.fact("decode_stopped", True)
    report.out["frames"] = frames
    report.fact("seconds_hashed", len(frames))
    if thumbs:
        report.out["sheet"] = contact_sheet(thumbs)
        report.out["sheet_times"] = [round(float(seconds), 3) for seconds, _image in thumbs]


def contact_sheet(thumbs) -> str:
    from PIL import Image, ImageDraw

    columns = 4
    rows = (len(thumbs) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (THUMB[0] + 4) + 4, rows * (THUMB[1] + 20) + 4), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (seconds, image) in enumerate(thumbs):
        image = image.copy()
        image.thumbnail(THUMB)
        x = 4 + (index % columns) * (THUMB[0] + 4)
        y = 4 + (index // columns) * (THUMB[1] + 20)
        sheet.paste(image, (x, y))
        whole = int(seconds)
        stamp = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
        draw.text((x, y + THUMB[1] + 3), stamp, fill="black")
    buffer = io.BytesIO()
    sheet.save(buffer, "WEBP", quality=75)
    return base64.b64encode(buffer.getvalue()).decode()


def waveform(report: Report, max_seconds: int) -> None:
    """The audio's envelope (peak per tenth of a second, first channel) drawn as an image."""
    import av
    import numpy
    from PIL import Image, ImageDraw

    peaks: list[float] = []
    rate = 8000
    try:
        with av.open(
            INPUT, container_options={"format_whitelist": AV_FORMATS, "protocol_whitelist": "file"}
        ) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            carry = numpy.zeros(0, dtype=numpy.int16)
            for frame in container.decode(stream):
                if frame.time is not None and frame.time >= max_seconds:
                    break
                for out in resampler.resample(frame):
                    samples = numpy.concatenate([carry, out.to_ndarray().reshape(-1)])
                    whole = len(samples) // (rate // 10) * (rate // 10)
                    if whole:
                        blocks = numpy.abs(samples[:whole].astype(numpy.int32))
                        blocks = blocks.reshape(-1, rate // 10)
                        peaks.extend((blocks.max(axis=1) / 32768).tolist())
                    carry = samples[whole:]
    except Exception:  # a damaged stream: draw what was read
        report.fact("audio_decode_stopped", True)
    if not peaks:
        return
    width, height = WAVE_SIZE
    columns = numpy.array_split(numpy.array(peaks), min(width, len(peaks)))
    image = Image.new("RGB", (len(columns), height), "white")
    draw = ImageDraw.Draw(image)
    middle = height // 2
    for x, column in enumerate(columns):
        reach = int(float(column.max()) * (middle - 2))
        draw.line([(x, middle - reach), (x, middle + reach)], fill=(40, 70, 140))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    report.out["waveform"] = base64.b64encode(buffer.getvalue()).decode()
    report.fact("loudest", round(max(peaks), 3))


# ---- documents ------------------------------------------------------------------------------


def read_pdf(report: Report, data: bytes) -> None:
    import pikepdf

    report.fact("revisions", max(1, data.count(b"%%EOF")))
    report.field("pdf", "revisions", report.facts["revisions"])
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        report.fact("encrypted", True)
        return
    except pikepdf.PdfError:
        raise ValueError("not a pdf") from None
    with pdf:
        report.fact("pdf_version", pdf.pdf_version)
        report.field("pdf", "version", pdf.pdf_version)
        names = {
            "/Author": "author",
            "/Producer": "producer",
            "/Creator": "creator_tool",
            "/Title": "title",
        }
        try:
            info = pdf.docinfo
            for key in list(info.keys())[:50]:
                value = text(info.get(key))
                report.field("pdf", key.lstrip("/"), value)
                if key in names:
                    report.fact(names[key], value)
                elif key in ("/CreationDate", "/ModDate"):
                    report.date("pdf_" + key[1:].lower(), value)
        except Exception:  # a damaged information dictionary
            report.fact("docinfo_damaged", True)
        try:
            with pdf.open_metadata() as meta:
                for key, name in (
                    ("xmp:CreatorTool", "creator_tool"),
                    ("pdf:Producer", "producer"),
                    ("dc:creator", "author"),
                ):
                    if key in meta:
                        report.field("xmp", name, meta[key])
                        report.fact(name, meta[key])
                for key, name in (
                    ("xmp:CreateDate", "xmp_created"),
                    ("xmp:ModifyDate", "xmp_modified"),
                ):
                    if key in meta:
                        report.field("xmp", name, meta[key])
                        report.date(name, meta[key])
        except Exception:  # damaged or absent XMP: the rest of the report stands
            report.fact("xmp_damaged", True)
        try:
            report.fact("pages", len(pdf.pages))
        except Exception:  # a loop or a hole in the page tree
            report.fact("page_tree_damaged", True)


OFFICE_PROPERTIES = {
    "creator": "author",
    "lastModifiedBy": "last_modified_by",
    "created": "office_created",
    "modified": "office_modified",
    "revision": "revision",
    "Application": "creator_tool",
    "AppVersion": "app_version",
    "TotalTime": "editing_minutes",
    "Company": "company",
    "generator": "creator_tool",
    "initial-creator": "author",
    "creation-date": "office_created",
    "date": "office_modified",
    "editing-cycles": "revision",
}


def read_archive(report: Report, data: bytes) -> None:
    """A ZIP: its member list and declared sizes (never extracted), and for office documents
    the small property parts, read with a cap."""
    import xml.etree.ElementTree as ElementTree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("not a zip") from None
    with archive:
        members = archive.infolist()
        declared = sum(member.file_size for member in members)
        report.fact("members", len(members))
        report.fact("declared_bytes", declared)
        report.fact("expansion", round(declared / max(1, len(data)), 1))
        report.field("archive", "members", len(members))
        report.field("archive", "declared size", declared)
        names = {member.filename for member in members}
        if "[Content_Types].xml" in names:
            report.fact("inner_type", "ooxml")
        elif "mimetype" in names:
            report.fact("inner_type", "odf")
        for part in ("docProps/core.xml", "docProps/app.xml", "meta.xml"):
            info = next((m for m in members if m.filename == part), None)
            if info is None or info.file_size > 1_000_000:
                continue
            with archive.open(info) as handle:
                content = handle.read(1_000_000)
            try:
                root = ElementTree.fromstring(content)  # noqa: S314 (in the sandbox)
            except ElementTree.ParseError:
                continue
            for element in root.iter():
                local = str(element.tag).rsplit("}", 1)[-1]
                if local in OFFICE_PROPERTIES and element.text and element.text.strip():
                    name = OFFICE_PROPERTIES[local]
                    report.field("document", name, element.text)
                    if name in ("office_created", "office_modified"):
                        report.date(name, element.text)
                    else:
                        report.fact(name, element.text)


def main(argv: list[str]) -> int:
    family, max_pixels, max_seconds = argv[1], int(argv[2]), int(argv[3])
    with open(INPUT, "rb") as handle:
        data = handle.read()
    if not data:
        return ExitCode.EMPTY
    report = Report()
    try:
        if family == "image":
            read_image(report, data, max_pixels)
        elif family in ("video", "audio"):
            del data
            read_av(report, max_seconds)
        elif family == "pdf":
            read_pdf(report, data)
        elif family == "archive":
            read_archive(report, data)
        else:
            return ExitCode.BROKEN
    except Exception as exc:  # any reader error on hostile input means "broken"
        return exit_code_for(exc)
    return write_answer(report.result())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
