"""The newsroom's Ed25519 keys for the transparency log and for witnessing other logs.

Each private key is a file in the data dir (mode 0600), made on first use (`jiandu serve`
makes both at start-up), never in the database: whoever copies the database cannot sign a
checkpoint. It is written to a temporary file, synced, then linked into place; the link
fails if another process got there first, and then that process's key is the one used.
The two keys are distinct because a cosignature (type 0x04) and a log signature (type 0x01)
must not share a public key (C2SP tlog-cosignature).

Names: JIANDU_LOG_ORIGIN is the checkpoint origin and the log key's name. Unset, it is derived
once from JIANDU_PUBLIC_BASE_URL (`news.example.org/log`) and written beside the key
(`log_origin`) when the key is made, so that a later change of the public URL cannot rename the
log; an installation whose key was made before this (no `log_origin` file) keeps the old shared
default, `jiandu.example/log`, since renaming a log breaks every checkpoint readers hold (the
start-up message says what to set; docs/operations.md). JIANDU_WITNESS_NAME (default: the
origin with "/log" replaced by "/witness") is the name this installation cosigns under.

Mirror manifests are signed with the log key under a name of their own (`<origin>/mirror-
manifest`, `manifest_name`): a checkpoint and a manifest never verify as each other, by name
(the key id) as well as by their first line.
"""

import base64
import contextlib
import os
import secrets
import urllib.parse
from pathlib import Path

from django.conf import settings
from nacl.signing import SigningKey

from jiandu.conf import env_str
from jiandu.tlog.note import COSIGNATURE_V1, ED25519, Verifier, verifier_for

DEFAULT_ORIGIN = "jiandu.example/log"  # the name of logs made before origins were derived
MANIFEST_SUFFIX = "/mirror-manifest"


def configured_origin() -> str:
    """JIANDU_LOG_ORIGIN as set (settings or environment), or '' if it is not."""
    return getattr(settings, "JIANDU_LOG_ORIGIN", "") or env_str("JIANDU_LOG_ORIGIN", "")


def derived_origin() -> str:
    """`<host[:port]>/log` of JIANDU_PUBLIC_BASE_URL: unique to the installation, unlike one
    default shared by every installation that forgot to set JIANDU_LOG_ORIGIN."""
    parts = urllib.parse.urlsplit(settings.JIANDU_PUBLIC_BASE_URL)
    host = (parts.netloc.rpartition("@")[2] or "localhost").lower()
    path = parts.path.strip("/")
    return f"{host}/{path + '/' if path else ''}log".replace(" ", "").replace("+", "")


def origin_path() -> Path:
    return Path(settings.DATA_DIR) / "log_origin"


def log_origin() -> str:
    """The log's name: configured, else the one recorded beside the key, else the old default
    for a key made before origins were recorded, else derived from the public URL."""
    configured = configured_origin()
    if configured:
        return configured
    try:
        recorded = origin_path().read_text().strip()
    except FileNotFoundError:
        recorded = ""
    if recorded:
        return recorded
    return DEFAULT_ORIGIN if log_key_path().exists() else derived_origin()


def origin_warning() -> str:
    """What `jiandu serve` says at start when JIANDU_LOG_ORIGIN is not set: the name in use
    (derived, or the old shared default) and the line that keeps it; '' when it is set."""
    if configured_origin():
        return ""
    origin = log_origin()
    if origin == DEFAULT_ORIGIN:
        return (
            f"WARNING: JIANDU_LOG_ORIGIN is not set and this log is named {DEFAULT_ORIGIN}, the "
            "name every installation that never set it shares. Set "
            f"JIANDU_LOG_ORIGIN={DEFAULT_ORIGIN} to keep the name your readers pinned "
            "(renaming a log breaks its checkpoints); see docs/operations.md."
        )
    return (
        f"WARNING: JIANDU_LOG_ORIGIN is not set; this log is named {origin} (from "
        f"JIANDU_PUBLIC_BASE_URL, recorded in {origin_path().name}). Set "
        f"JIANDU_LOG_ORIGIN={origin} in the environment; never change it later."
    )


def manifest_name(origin: str) -> str:
    """The name the log key signs mirror manifests under (never a checkpoint's origin)."""
    return origin + MANIFEST_SUFFIX


def witness_name() -> str:
    configured = getattr(settings, "JIANDU_WITNESS_NAME", "") or env_str("JIANDU_WITNESS_NAME", "")
    if configured:
        return configured
    origin = log_origin()
    return origin[: -len("/log")] + "/witness" if origin.endswith("/log") else origin + "-witness"


def read_or_create_key(path: Path) -> SigningKey:
    """The key stored at `path`, made (0600, temp file, fsync, link) if there is none."""
    try:
        return SigningKey(base64.b64decode(path.read_text().strip(), validate=True))
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)  # an atomic rename that refuses to replace an existing key
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return SigningKey(base64.b64decode(path.read_text().strip(), validate=True))


def log_key_path() -> Path:
    return Path(settings.DATA_DIR) / "log_ed25519.key"


def witness_key_path() -> Path:
    return Path(settings.DATA_DIR) / "witness_ed25519.key"


def log_signing_key() -> SigningKey:
    path = log_key_path()
    if not path.exists() and not configured_origin() and not origin_path().exists():
        # Recorded before the key exists: a key without the file is an older installation's.
        _write_new(origin_path(), derived_origin() + "\n")
    return read_or_create_key(path)


def _write_new(path: Path, text: str) -> None:
    """`text` at `path` (0600) unless another process wrote it first."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def existing_log_verifier() -> Verifier | None:
    """This installation's log verifier if its key exists, made by nothing: what a verifier
    uses on the newsroom's own machine without creating a key anywhere else."""
    try:
        key = SigningKey(base64.b64decode(log_key_path().read_text().strip(), validate=True))
    except (FileNotFoundError, ValueError):
        return None
    return verifier_for(log_origin(), key, ED25519)


def witness_signing_key() -> SigningKey:
    return read_or_create_key(witness_key_path())


def log_verifier() -> Verifier:
    return verifier_for(log_origin(), log_signing_key(), ED25519)


def witness_verifier() -> Verifier:
    return verifier_for(witness_name(), witness_signing_key(), COSIGNATURE_V1)
