"""The vault's only cryptography: a thin, versioned facade over libsodium (PyNaCl).

No cipher is built here. Files and texts are encrypted with libsodium's secretstream
(XChaCha20-Poly1305, 64 KiB chunks, final tag against truncation); keys are sealed to X25519
public keys with sealed boxes; password- and codename-derived keys come from Argon2id, through a
bounded pool so that a burst of logins cannot exhaust memory. docs/crypto.md describes every
format below byte by byte; tests/vault/test_crypto.py holds the test vectors.

This module imports no Django: the offline `jiandu decrypt` tool and the server share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions
import nacl.hash
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

MAGIC = b"JDVAULT"
VERSION = 1
FILE_HEADER = MAGIC + bytes([VERSION])  # 8 bytes, then the 24-byte secretstream header
CHUNK_SIZE = 64 * 1024
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
KEY_BYTES = 32

PASSWORD_WRAP_MAGIC = b"JDPW"
RECOVERY_WRAP_MAGIC = b"JDRK"
_PW_HEADER = struct.Struct(">4sBIQ16s")  # magic, version, opslimit, memlimit, salt

# Bounds on KDF parameters read from stored blobs, so a hostile export cannot ask for 64 GiB.
MAX_OPSLIMIT = 20
MAX_MEMLIMIT = 1024 * 1024 * 1024
# How long a login waits for a free key-derivation slot before being told to retry.
KDF_WAIT_SECONDS = 30.0


class VaultCryptoError(Exception):
    """Something could not be decrypted: wrong key, damaged or truncated data, unknown format."""


class WrongSecret(VaultCryptoError):
    """The password or recovery key does not open this wrapped key."""


class KdfBusy(Exception):
    """Every key-derivation slot is taken; the caller should ask the person to retry."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Production: 3 passes over 64 MiB (about 0.1 s on one core)."""

    opslimit: int = 3
    memlimit: int = 64 * 1024 * 1024


DEFAULT_KDF = KdfParams()

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _kdf_slots() -> threading.BoundedSemaphore:
    """At most JIANDU_KDF_CONCURRENCY (default 2) Argon2id runs per process at once."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(int(os.environ.get("JIANDU_KDF_CONCURRENCY", "2")))
        return _slots


def argon2id_kdf(secret: bytes, salt: bytes, params: KdfParams, size: int = KEY_BYTES) -> bytes:
    """Argon2id through the bounded pool; waits KDF_WAIT_SECONDS for a slot, else KdfBusy."""
    if not (1 <= params.opslimit <= MAX_OPSLIMIT and 8192 <= params.memlimit <= MAX_MEMLIMIT):
        raise VaultCryptoError("Key-derivation parameters out of bounds.")
    slots = _kdf_slots()
    if not slots.acquire(timeout=KDF_WAIT_SECONDS):
        raise KdfBusy
    try:
        return argon2id.kdf(size, secret, salt, opslimit=params.opslimit, memlimit=params.memlimit)
    finally:
        slots.release()


def subkey(key: bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from `key` with keyed BLAKE2b (person = purpose)."""
    return nacl.hash.blake2b(
        b"", key=key, person=purpose.ljust(16, b"\0")[:16], digest_size=32, encoder=_Raw
    )


class _Raw:
    @staticmethod
    def encode(data: bytes) -> bytes:
        return data

    @staticmethod
    def decode(data: bytes) -> bytes:
        return data


def random_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


# --- Streams: files, messages, questionnaires, replies ------------------------------------


class StreamEncryptor:
    """Encrypts a stream written in pieces of any size into `out`, 64 KiB per chunk.

    Memory use is one chunk whatever the size of the whole. `finish()` writes the final chunk
    (tagged FINAL, possibly empty): a file without it is refused as truncated.
    """

    def __init__(self, item_key: bytes, out: BinaryIO) -> None:
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, subkey(item_key, b"jd:content")
        )
        self._out = out
        self._buffer = bytearray()
        self.plaintext_size = 0
        self.sha256 = hashlib.sha256()
        out.write(FILE_HEADER + header)

    def write(self, data: bytes) -> None:
        self.plaintext_size += len(data)
        self.sha256.update(data)
        self._buffer += data
        if len(self._buffer) < CHUNK_SIZE:
            return
        view = memoryview(self._buffer)
        full = len(self._buffer) - len(self._buffer) % CHUNK_SIZE
        for start in range(0, full, CHUNK_SIZE):
            self._out.write(
                sodium.crypto_secretstream_xchacha20poly1305_push(
                    self._state, bytes(view[start : start + CHUNK_SIZE]), None, TAG_MESSAGE
                )
            )
        view.release()
        del self._buffer[:full]

    def finish(self) -> None:
        self._out.write(
            sodium.crypto_secretstream_xchacha20poly1305_push(
                self._state, bytes(self._buffer), None, TAG_FINAL
            )
        )
        self._buffer = bytearray()

    def snapshot(self) -> tuple[bytes, bytes]:
        """(libsodium stream state, plaintext not yet pushed) to resume later (resumable
        uploads). Both are secret: they are kept only in the encrypted session."""
        from nacl._sodium import ffi

        return bytes(ffi.buffer(self._state.statebuf)), bytes(self._buffer)

    @classmethod
    def resume(cls, out: BinaryIO, state: bytes, pending: bytes, size: int) -> StreamEncryptor:
        """Continue a stream from `snapshot()`, appending to `out` (no header is written).
        The SHA-256 of a resumed stream covers only what follows; see `sha256_of`."""
        from nacl._sodium import ffi

        if len(state) != sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES:
            raise VaultCryptoError("Not a stream state.")
        self = cls.__new__(cls)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        ffi.memmove(self._state.statebuf, state, len(state))
        self._out = out
        self._buffer = bytearray(pending)
        self.plaintext_size = size
        self.sha256 = hashlib.sha256()
        return self


def decrypt_stream(item_key: bytes, source: BinaryIO) -> Iterator[bytes]:
    """Yield the plaintext of a vault stream chunk by chunk, authenticating each chunk.

    Raises VaultCryptoError on a wrong key, a damaged chunk, a missing final chunk (truncation)
    or data after the final chunk. A consumer must treat what was yielded before an error as
    untrusted.
    """
    header = source.read(len(FILE_HEADER))
    if header[: len(MAGIC)] != MAGIC:
        raise VaultCryptoError("Not a Jiandu vault file.")
    if header[len(MAGIC) :] != bytes([VERSION]):
        raise VaultCryptoError("Unknown vault file version.")
    stream_header = source.read(STREAM_HEADER_BYTES)
    if len(stream_header) != STREAM_HEADER_BYTES:
        raise VaultCryptoError("Vault file is truncated.")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(
            state, stream_header, subkey(item_key, b"jd:content")
        )
    except nacl.exceptions.CryptoError as exc:
        raise VaultCryptoError("Vault file header is damaged.") from exc
    while True:
        chunk = source.read(CHUNK_SIZE + ABYTES)
        if not chunk:
            raise VaultCryptoError("Vault file is truncated (no final chunk).")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, None)
        except (nacl.exceptions.CryptoError, ValueError) as exc:
            raise VaultCryptoError("Vault file is damaged or the key is wrong.") from exc
        if tag == TAG_FINAL:
            if source.read(1):
                raise VaultCryptoError("Data after the final chunk.")
            if plain:
                yield plain
            return
        yield plain


def sha256_of(item_key: bytes, source: BinaryIO) -> tuple[str, int]:
    """SHA-256 and size of a vault stream's plaintext, decrypting chunk by chunk."""
    digest, size = hashlib.sha256(), 0
    for chunk in decrypt_stream(item_key, source):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def encrypt_bytes(item_key: bytes, data: bytes, out: BinaryIO) -> None:
    encryptor = StreamEncryptor(item_key, out)
    encryptor.write(data)
    encryptor.finish()


def decrypt_bytes(item_key: bytes, source: BinaryIO) -> bytes:
    return b"".join(decrypt_stream(item_key, source))


# --- Metadata records (file name, size, SHA-256, kind-specific fields) ----------------------


def seal_meta(item_key: bytes, meta: dict[str, object]) -> bytes:
    """JSON, encrypted with XSalsa20-Poly1305 under the item's metadata subkey."""
    data = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()
    return bytes(SecretBox(subkey(item_key, b"jd:meta")).encrypt(data))


def open_meta(item_key: bytes, sealed: bytes) -> dict[str, object]:
    try:
        data = SecretBox(subkey(item_key, b"jd:meta")).decrypt(bytes(sealed))
    except nacl.exceptions.CryptoError as exc:
        raise VaultCryptoError("Metadata record is damaged or the key is wrong.") from exc
    return json.loads(data)


# --- Key pairs, sealing -----------------------------------------------------------------


def new_keypair() -> tuple[bytes, bytes]:
    """(private, public), 32 bytes each."""
    private = PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def keypair_from_seed(seed: bytes) -> tuple[bytes, bytes]:
    private = PrivateKey.from_seed(seed)
    return bytes(private), bytes(private.public_key)


def seal(public_key: bytes, data: bytes) -> bytes:
    """Anonymous encryption to a public key (X25519 + XSalsa20-Poly1305 sealed box)."""
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(data))


def unseal(private_key: bytes, sealed: bytes) -> bytes:
    try:
        return bytes(SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(sealed)))
    except nacl.exceptions.CryptoError as exc:
        raise VaultCryptoError("Sealed key does not open with this private key.") from exc


# --- Wrapping a member's private key -----------------------------------------------------


def wrap_with_password(private_key: bytes, password: str, params: KdfParams) -> bytes:
    """magic 'JDPW' | version | opslimit (u32) | memlimit (u64) | salt (16) | secretbox."""
    salt = nacl.utils.random(argon2id.SALTBYTES)
    key = argon2id_kdf(password.encode(), salt, params)
    header = _PW_HEADER.pack(PASSWORD_WRAP_MAGIC, VERSION, params.opslimit, params.memlimit, salt)
    return header + bytes(SecretBox(key).encrypt(private_key))


def password_wrap_params(wrapped: bytes) -> KdfParams:
    magic, version, opslimit, memlimit, _salt = _PW_HEADER.unpack_from(bytes(wrapped))
    if magic != PASSWORD_WRAP_MAGIC or version != VERSION:
        raise VaultCryptoError("Not a password-wrapped key of a known version.")
    return KdfParams(opslimit, memlimit)


def unwrap_with_password(wrapped: bytes, password: str) -> bytes:
    wrapped = bytes(wrapped)
    if len(wrapped) < _PW_HEADER.size:
        raise VaultCryptoError("Wrapped key is truncated.")
    params = password_wrap_params(wrapped)
    salt = _PW_HEADER.unpack_from(wrapped)[4]
    key = argon2id_kdf(password.encode(), salt, params)
    try:
        return bytes(SecretBox(key).decrypt(wrapped[_PW_HEADER.size :]))
    except nacl.exceptions.CryptoError as exc:
        raise WrongSecret("The password does not open this key.") from exc


def new_recovery_key() -> str:
    """32 random bytes as base32 in groups of four letters, to be written down once."""
    import base64

    text = base64.b32encode(nacl.utils.random(32)).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _recovery_secret(recovery_key: str) -> bytes:
    import base64
    import binascii

    compact = "".join(ch for ch in recovery_key.upper() if ch.isalnum())
    compact = compact.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except binascii.Error as exc:
        raise WrongSecret("That is not a recovery key.") from exc
    if len(raw) != 32:
        raise WrongSecret("That is not a recovery key.")
    return raw


def wrap_with_recovery_key(private_key: bytes, recovery_key: str) -> bytes:
    """magic 'JDRK' | version | secretbox under BLAKE2b(recovery key). The recovery key has
    256 random bits, so no slow KDF is needed."""
    key = subkey(_recovery_secret(recovery_key), b"jd:recovery")
    return RECOVERY_WRAP_MAGIC + bytes([VERSION]) + bytes(SecretBox(key).encrypt(private_key))


def unwrap_with_recovery_key(wrapped: bytes, recovery_key: str) -> bytes:
    wrapped = bytes(wrapped)
    if wrapped[:5] != RECOVERY_WRAP_MAGIC + bytes([VERSION]):
        raise VaultCryptoError("Not a recovery-wrapped key of a known version.")
    key = subkey(_recovery_secret(recovery_key), b"jd:recovery")
    try:
        return bytes(SecretBox(key).decrypt(wrapped[5:]))
    except nacl.exceptions.CryptoError as exc:
        raise WrongSecret("The recovery key does not open this key.") from exc
