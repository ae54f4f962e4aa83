"""Preview limits, each from the environment with a default (docs/operations.md).

Read through these functions (not at import time), so tests can override them with
`settings.JIANDU_...`.
"""

from jiandu.conf import setting_int

MIB = 1024 * 1024


def preview_max_bytes() -> int:
    """Largest file a preview is made of (JIANDU_PREVIEW_MAX_MIB, default 512 MiB).

    The plaintext is held in memory (never on disk) while the tool reads it, so this bounds the
    worker's memory; larger files are downloaded and examined offline.
    """
    return setting_int("JIANDU_PREVIEW_MAX_MIB", 512) * MIB


def preview_max_pixels() -> int:
    """Largest image, in pixels as the file declares them, that is decoded (default 50 MP)."""
    return setting_int("JIANDU_PREVIEW_MAX_PIXELS", 50_000_000)


def preview_video_seconds() -> int:
    """How much of a video the preview shows, from the start (default 120 s)."""
    return setting_int("JIANDU_PREVIEW_VIDEO_SECONDS", 120)


def preview_audio_seconds() -> int:
    """How much of a recording the preview plays, from the start (default 600 s)."""
    return setting_int("JIANDU_PREVIEW_AUDIO_SECONDS", 600)


def preview_pdf_pages() -> int:
    """How many pages of a PDF are rendered as images (default 5)."""
    return setting_int("JIANDU_PREVIEW_PDF_PAGES", 5)
