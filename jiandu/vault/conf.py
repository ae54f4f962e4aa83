"""The vault's settings, each from the environment with a default (docs/operations.md).

Read through these functions (not at import time), so tests can override them with
`settings.JIANDU_...`.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jiandu.conf import env_int, read_or_create_secret, read_secret, setting_int
from jiandu.vault.crypto import KdfParams

MIB = 1024 * 1024


def kdf_params() -> KdfParams:
    """Argon2id for member passwords and codenames (JIANDU_KDF_OPSLIMIT, _MEMLIMIT_MIB)."""
    override = getattr(settings, "JIANDU_VAULT_KDF", None)
    if override is not None:
        return override
    return KdfParams(
        opslimit=env_int("JIANDU_KDF_OPSLIMIT", 3),
        memlimit=max(64, env_int("JIANDU_KDF_MEMLIMIT_MIB", 64)) * MIB,
    )


def max_file_bytes() -> int:
    return setting_int("JIANDU_MAX_FILE_BYTES", 8 * 1024 * MIB)


def max_files_per_submission() -> int:
    return setting_int("JIANDU_MAX_FILES_PER_SUBMISSION", 20)


def upload_piece_bytes() -> int:
    """How much the page's script sends in one tus request (JIANDU_UPLOAD_PIECE_MIB, default
    64, at least 1). Each piece costs a request around it (session, CSRF, rows, an fsync, the
    client's round trip, the pipeline filling and emptying): at 16 MiB that was a fifth of a
    fast upload's time, at 64 MiB a tus upload runs as fast as the plain form (issue 22). A
    dropped connection loses nothing more with larger pieces (the server keeps every whole
    64 KiB chunk that came, and the client asks where to go on); what a larger piece risks
    is only the unacknowledged rest of one piece if the server itself dies. Lower it behind
    a proxy that limits request bodies (some refuse more than 100 MB)."""
    return max(1, setting_int("JIANDU_UPLOAD_PIECE_MIB", 64)) * MIB


def min_free_bytes() -> int:
    """New uploads are refused when they would leave less free disk than this."""
    return setting_int("JIANDU_MIN_FREE_BYTES", 1024 * MIB)


def staging_session_bytes() -> int:
    """What one session may hold in unfinished and untaken resumable uploads at once
    (JIANDU_STAGING_SESSION_BYTES, default 16 GiB: two files of the largest size)."""
    return setting_int("JIANDU_STAGING_SESSION_BYTES", 16 * 1024 * MIB)


def staging_total_bytes() -> int:
    """What all sessions together may hold in resumable uploads (JIANDU_STAGING_TOTAL_BYTES,
    default 64 GiB); past it a new upload gets 507 until others finish or are removed."""
    return setting_int("JIANDU_STAGING_TOTAL_BYTES", 64 * 1024 * MIB)


def staging_idle_hours() -> int:
    """Whole hours after the hour of an upload's last piece before the hourly job removes it
    (JIANDU_STAGING_IDLE_HOURS); by default the source's idle limit rounded up, after which
    the session that holds the upload's key has ended anyway."""
    default = max(1, -(-source_idle_seconds() // 3600))
    return max(1, setting_int("JIANDU_STAGING_IDLE_HOURS", default))


def retention_days() -> int:
    """A settings override (tests) first, then the admin's choice in the database, then the
    environment (JIANDU_RETENTION_DAYS, default 90)."""
    override = getattr(settings, "JIANDU_RETENTION_DAYS", None)
    if override is not None:
        return int(override)
    from jiandu.vault.models import RetentionSetting

    chosen = RetentionSetting.objects.order_by("-pk").first()
    return chosen.days if chosen else env_int("JIANDU_RETENTION_DAYS", 90)


def source_idle_seconds() -> int:
    return setting_int("JIANDU_SOURCE_IDLE_SECONDS", 120 * 60)


def codename_pepper() -> str:
    """A server secret mixed into every codename derivation, kept in the data dir (0600).

    Made at install time by `create_secrets` (migrate, `jiandu serve`, `jiandu demo`), never
    on a source's first submission: the file's times would say when that was.
    """
    try:
        return read_secret(settings.DATA_DIR / "codename_pepper")
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(
            "The codename pepper is missing from the data dir: run `jiandu migrate` first."
        ) from exc


def create_secrets(**kwargs: object) -> None:
    """Create the vault's secret files if they are missing (a `post_migrate` receiver, so
    every install path makes them before the first request)."""
    read_or_create_secret(settings.DATA_DIR / "codename_pepper")
