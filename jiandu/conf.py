"""Reading Jiandu's configuration from the environment.

Every setting a deployment may change is an environment variable with a documented default
(see docs/operations.md); this module holds the few helpers that turn those strings into values,
and the one piece of state the project creates for itself: the secret key file.
"""

import contextlib
import os
import secrets
import time
from datetime import datetime
from pathlib import Path


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def setting_int(name: str, default: int) -> int:
    """A number from Django's settings if set there (tests override it that way), otherwise
    from the environment, otherwise `default`. Read at call time, never at import."""
    from django.conf import settings

    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


def setting_str(name: str, default: str) -> str:
    """A string from Django's settings if set there, otherwise from the environment."""
    from django.conf import settings

    value = getattr(settings, name, None)
    return str(value) if value is not None else env_str(name, default)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """The one directory that holds everything the server writes (database, vault, keys)."""
    path = Path(env_str("JIANDU_DATA_DIR", "var")).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class SecretFileError(RuntimeError):
    """A secret file that exists but is empty or unreadable: never replaced silently, since
    everything derived from the old secret (codenames, signed values) would stop working."""


def read_secret(path: Path) -> str:
    """The secret stored at `path`; FileNotFoundError if it was never created."""
    # O_NOATIME (the owner may): reading the pepper at each codename derivation must not leave
    # the time of the last one in the file's access time.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    except PermissionError:  # not the file's owner: O_NOATIME is refused
        fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        value = handle.read().decode().strip()
    if not value:
        raise SecretFileError(f"{path} is empty; restore it from a backup.")
    return value


def read_or_create_secret(path: Path, nbytes: int = 48) -> str:
    """Return the secret stored at `path`, creating it (mode 0600) if it does not exist.

    The secret is generated here rather than committed or passed in, so that a fresh clone
    never shares a key with another installation. It is written whole into a temporary file,
    fsynced, and then hard-linked to its name: `link` fails if the name exists, like O_EXCL,
    so two processes starting at once agree on one secret, and neither can ever read a file
    that is still empty (the race of creating the file first and writing it after). The file's
    times are set to the hour (docs/threat-model.md, "Times").
    """
    try:
        return read_secret(path)
    except FileNotFoundError:
        pass
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
            handle.flush()
            os.fsync(handle.fileno())
        hour = hour_floor()
        os.utime(temp, (hour, hour))
        with contextlib.suppress(FileExistsError):  # another process won: use its secret
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    os.utime(path.parent, (hour_floor(), hour_floor()))
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return read_secret(path)


def hour_floor(timestamp: float | None = None) -> int:
    """A Unix time (now by default) with minutes and seconds dropped: the only precision the
    server keeps for anything a source's action could touch."""
    value = time.time() if timestamp is None else timestamp
    return int(value // 3600 * 3600)


def hour_now() -> datetime:
    """The current hour as an aware datetime (minutes and seconds dropped): the only time kept
    for anything a source's action could touch (docs/threat-model.md, "Times")."""
    from django.utils import timezone

    return timezone.now().replace(minute=0, second=0, microsecond=0)
