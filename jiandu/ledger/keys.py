"""The newsroom's Ed25519 keys for the transparency log and for witnessing other logs.

Each private key is a file in the data dir (mode 0600), made on first use (`jiandu serve`
makes both at start-up), never in the database: whoever copies the database cannot sign a
checkpoint. It is written to a temporary file, synced, then linked into place; the link
fails if another process got there first, and then that process's key is the one used.
The two keys are distinct because a cosignature (type 0x04) and a log signature (type 0x01)
must not share a public key (C2SP tlog-cosignature).

Names: JIANDU_LOG_ORIGIN (default "jiandu.example/log") is the checkpoint origin and the log
key's name; JIANDU_WITNESS_NAME (default: the origin with "/log" replaced by "/witness") is
the name this installation cosigns under.
"""

import base64
import contextlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from nacl.signing import SigningKey

from jiandu.conf import env_str
from jiandu.ledger.note import COSIGNATURE_V1, ED25519, Verifier, verifier_for

DEFAULT_ORIGIN = "jiandu.example/log"


def log_origin() -> str:
    return getattr(settings, "JIANDU_LOG_ORIGIN", "") or env_str(
        "JIANDU_LOG_ORIGIN", DEFAULT_ORIGIN
    )


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
    return read_or_create_key(log_key_path())


def witness_signing_key() -> SigningKey:
    return read_or_create_key(witness_key_path())


def log_verifier() -> Verifier:
    return verifier_for(log_origin(), log_signing_key(), ED25519)


def witness_verifier() -> Verifier:
    return verifier_for(witness_name(), witness_signing_key(), COSIGNATURE_V1)
