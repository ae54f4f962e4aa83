"""What a file is, by its bytes, not by its name: the name and the declared type are the
sender's choice, the signature is the file's.

Only fixed signatures at fixed offsets are compared here (no parser runs in the server
process); what a container holds inside (an office document inside a ZIP) is read later, in
the sandbox (`metadata_worker.py`). A name whose extension names another type than the content
is a finding ("a `.jpg` that is a ZIP"), and so is a file that is two types at once (a
polyglot: an image or a PDF with a ZIP archive appended, which readers of each type accept).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

HEAD_BYTES = 4096
TAIL_BYTES = 65536 + 22  # a ZIP's end record and its longest comment


class Family(enum.StrEnum):
    """The kind of reader a file needs; the metadata step picks its reader by this."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    PDF = "pdf"
    ARCHIVE = "archive"  # ZIP, and office documents (which are ZIPs) until the sandbox looks
    OFFICE = "office"  # old binary office files (OLE compound documents)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Detected:
    """The type a file's signature shows, and what its name claims."""

    label: str  # short type name: "jpeg", "mp4", "zip"...
    family: Family
    extension: str  # the name's extension, lower case, without the dot ("" when none)
    mismatch: bool  # the extension names a type the content is not
    also_zip: bool  # a ZIP archive is appended to a file of another type (a polyglot)


# label → (family, extensions that may name it)
TYPES: dict[str, tuple[Family, tuple[str, ...]]] = {
    "jpeg": (Family.IMAGE, ("jpg", "jpeg", "jpe", "jfif")),
    "png": (Family.IMAGE, ("png",)),
    "gif": (Family.IMAGE, ("gif",)),
    "webp": (Family.IMAGE, ("webp",)),
    "tiff": (Family.IMAGE, ("tif", "tiff", "dng", "nef", "cr2", "arw")),
    "bmp": (Family.IMAGE, ("bmp",)),
    "heif": (Family.IMAGE, ("heic", "heif", "avif")),
    "mp4": (Family.VIDEO, ("mp4", "m4v", "mov", "3gp", "3g2", "qt")),
    "m4a": (Family.AUDIO, ("m4a", "m4b", "mp4", "aac")),
    "matroska": (Family.VIDEO, ("mkv", "webm", "mka")),
    "avi": (Family.VIDEO, ("avi",)),
    "asf": (Family.VIDEO, ("wmv", "asf", "wma")),
    "mpegts": (Family.VIDEO, ("ts", "mts", "m2ts")),
    "wav": (Family.AUDIO, ("wav",)),
    "mp3": (Family.AUDIO, ("mp3",)),
    "flac": (Family.AUDIO, ("flac",)),
    "ogg": (Family.AUDIO, ("ogg", "oga", "opus", "ogv")),
    "amr": (Family.AUDIO, ("amr",)),
    "pdf": (Family.PDF, ("pdf",)),
    "zip": (
        Family.ARCHIVE,
        ("zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk", "ipa"),
    ),
    "ole": (Family.OFFICE, ("doc", "xls", "ppt", "msg")),
}


def sniff(head: bytes) -> str | None:
    """The type label from a file's first bytes, or None when no known signature matches."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head[:4] == b"RIFF":
        return {b"WEBP": "webp", b"AVI ": "avi", b"WAVE": "wav"}.get(head[8:12])
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"hevc"):
            return "heif"
        return "m4a" if brand[:3] in (b"M4A", b"M4B") else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free") and len(head) >= 8:
        return "mp4"  # old QuickTime files start with an atom other than ftyp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head[:1] == b"\x47" and len(head) > 376 and head[188:189] == head[376:377] == b"\x47":
        return "mpegts"
    return None


def extension_of(name: str) -> str:
    """The extension of a name as the sender gave it (lower case, at most 10 characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    extension = base.rsplit(".", 1)[-1].strip().lower()
    return extension if 0 < len(extension) <= 10 and extension.isalnum() else ""


def _known_extension(extension: str) -> bool:
    return any(extension in names for _, names in TYPES.values())


def has_zip_tail(tail: bytes) -> bool:
    """A ZIP end-of-central-directory record near the end: the file is also a ZIP archive."""
    return b"PK\x05\x06" in tail[-TAIL_BYTES:]


def detect(head: bytes, tail: bytes, name: str) -> Detected:
    """Type a file by its first `HEAD_BYTES` and last `TAIL_BYTES` bytes; compare with its name.

    A name with an extension we do not know (".dat") is no mismatch; a known one that does
    not fit the content is, and so is a known extension on content we cannot type at all
    (random bytes named `.mp4`).
    """
    label = sniff(head)
    extension = extension_of(name)
    family, extensions = TYPES.get(label, (Family.UNKNOWN, ())) if label else (Family.UNKNOWN, ())
    mismatch = bool(extension) and _known_extension(extension) and extension not in extensions
    also_zip = label not in (None, "zip") and has_zip_tail(tail)
    return Detected(
        label=label or "unknown",
        family=family,
        extension=extension,
        mismatch=mismatch,
        also_zip=also_zip,
    )
