"""Signed notes, checkpoints and cosignatures (C2SP signed-note, tlog-checkpoint,
tlog-cosignature), with Ed25519 from PyNaCl. No Django here.

A note is text ending in a newline, a blank line, then lines "— <name> base64(key id ||
signature)". Key id = SHA-256(name || "\\n" || type || public key)[:4]; type 0x01 is the log's
Ed25519 signature over the text, type 0x04 a witness's timestamped cosignature over
"cosignature/v1\\ntime <t>\\n" || text. Verifiers ignore signatures from keys they do not know,
reject a note whose known signature fails, and reject a note no known key signed.
"""

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 64
MAX_NOTE_BYTES = 64 * 1024
DASH = "\u2014 "


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or not signed by a trusted key."""


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("key name must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class Verifier:
    name: str
    sig_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    @property
    def vkey(self) -> str:
        """`<name>+<key id hex>+<base64(type || public key)>`."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def check(self, message: bytes, signature: bytes) -> bool:
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except (BadSignatureError, ValueError):
            return False
        return True


def parse_vkey(text: str) -> Verifier:
    """A verifier from its text form; NoteError unless the id matches name, type and key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key has three parts separated by '+'")
    name, hex_id, material = parts
    _check_name(name)
    try:
        raw = base64.b64decode(material, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("malformed verifier key") from exc
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or len(hex_id) != 8:
        raise NoteError("only Ed25519 verifier keys (type 0x01 or 0x04) are supported")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.key_id != wanted:
        raise NoteError("verifier key id does not match its key")
    return verifier


def verifier_for(name: str, key: SigningKey, sig_type: int = ED25519) -> Verifier:
    _check_name(name)
    return Verifier(name, sig_type, bytes(key.verify_key))


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # every control character but the newline


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):  # a regular expression: manifests run to megabytes
        raise NoteError("control character in note")


def signature_line(name: str, kid: bytes, signature: bytes) -> str:
    return f"{DASH}{name} {base64.b64encode(kid + signature).decode()}\n"


def sign(text: str, name: str, key: SigningKey) -> str:
    """The note `text` signed by the log key `name` (type 0x01)."""
    _check_text(text)
    verifier = verifier_for(name, key)
    signature = key.sign(text.encode()).signature
    return text + "\n" + signature_line(name, verifier.key_id, signature)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    blob: bytes  # the signature bytes after the 4-byte key id
    line: str


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]


def parse(note: str | bytes, max_bytes: int = MAX_NOTE_BYTES) -> Note:
    """Split a note into text and signature lines, checking only the format."""
    if isinstance(note, bytes):
        if len(note) > max_bytes:
            raise NoteError("note too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not UTF-8") from exc
    if len(note.encode()) > max_bytes:
        raise NoteError("note too large")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("control character in note")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block.endswith("\n"):
        raise NoteError("signature block must end with a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(DASH):
            raise NoteError("malformed signature line")
        name, space, b64 = line[len(DASH) :].partition(" ")
        _check_name(name)
        try:
            raw = base64.b64decode(b64, validate=True) if space else b""
        except binascii.Error as exc:
            raise NoteError("malformed signature") from exc
        if len(raw) < 5:
            raise NoteError("malformed signature")
        signatures.append(Signature(name, raw[:4], raw[4:], line + "\n"))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return Note(text, tuple(signatures))


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _verify_one(verifier: Verifier, text: str, blob: bytes) -> int | None:
    """True-ish (the timestamp for cosignatures, 0 for log signatures) when `blob` verifies."""
    if verifier.sig_type == ED25519:
        return 0 if len(blob) == 64 and verifier.check(text.encode(), blob) else None
    if len(blob) != 72:
        return None
    (timestamp,) = struct.unpack(">Q", blob[:8])
    if timestamp >= 1 << 63:
        return None
    return timestamp if verifier.check(cosigned_message(text, timestamp), blob[8:]) else None


def open_note(
    note: str | bytes, verifiers: list[Verifier], max_bytes: int = MAX_NOTE_BYTES
) -> tuple[Note, list[Signature]]:
    """The note and the signatures of `verifiers` on it; NoteError if a known key's signature
    fails or if none of them signed."""
    parsed = parse(note, max_bytes)
    by_id = {(v.name, v.key_id): v for v in verifiers}
    good = []
    for sig in parsed.signatures:
        verifier = by_id.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if _verify_one(verifier, parsed.text, sig.blob) is None:
            raise NoteError(f"invalid signature by {sig.name}")
        good.append(sig)
    if not good:
        raise NoteError("no signature by a trusted key")
    return parsed, good


def cosign(text: str, name: str, key: SigningKey, timestamp: int) -> str:
    """A witness's cosignature line (type 0x04) over the checkpoint `text`."""
    _check_text(text)
    if not 0 < timestamp < 1 << 63:
        raise NoteError("bad timestamp")
    verifier = verifier_for(name, key, COSIGNATURE_V1)
    signature = key.sign(cosigned_message(text, timestamp)).signature
    return signature_line(name, verifier.key_id, struct.pack(">Q", timestamp) + signature)


# --- Checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise NoteError("a checkpoint has at least three non-empty lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size != "0" and size.startswith("0")) or not size.isascii():
        raise NoteError("bad checkpoint size")
    try:
        raw = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise NoteError("bad checkpoint root") from exc
    if len(raw) != 32:
        raise NoteError("bad checkpoint root")
    return Checkpoint(origin, int(size), raw)


def open_checkpoint(
    note: str | bytes, log: Verifier, witnesses: Sequence[Verifier] = ()
) -> tuple[Checkpoint, Note, list[Signature]]:
    """A checkpoint signed by `log` (required; its origin must be the log key's name), and the
    valid cosignatures of `witnesses` on it."""
    parsed, good = open_note(note, [log, *witnesses])
    if not any(s.name == log.name and s.key_id == log.key_id for s in good):
        raise NoteError("checkpoint not signed by the log")
    checkpoint = parse_checkpoint(parsed.text)
    if checkpoint.origin != log.name:
        raise NoteError("checkpoint origin is not the log's name")
    return checkpoint, parsed, [s for s in good if s.name != log.name or s.key_id != log.key_id]
