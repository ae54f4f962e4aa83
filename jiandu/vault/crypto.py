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
import hmac
import io
import json
import os
import struct
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import nacl.bindings as sodium
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl._sodium import ffi as _ffi
from nacl._sodium import lib as _lib
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from jiandu.core import argon2_process

MAGIC = b"JDVAULT"
# Version 1: the plaintext, chunked, nothing more (still read). Version 2 (every new write):
# padded with Padmé inside the authenticated stream, the exact length in the final chunk.
STREAM_VERSION = 2
READABLE_STREAM_VERSIONS = (1, 2)
FILE_HEADER = MAGIC + bytes([STREAM_VERSION])  # 8 bytes, then the 24-byte secretstream header
WRAP_VERSION = 1  # password- and recovery-wrapped member keys
CHUNK_SIZE = 64 * 1024
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_PUSH = sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
KEY_BYTES = 32
# Version 2: the padded stream holds data | zero bytes | the data length (u64), and is never
# shorter than PAD_FLOOR bytes, so every text under 248 bytes has the same size on disk.
LENGTH_TRAILER = struct.Struct(">Q")
PAD_FLOOR = 256
META_FLOOR = 128  # metadata JSON is padded with spaces to at least this, then Padmé
_ZERO_CHUNK = bytes(CHUNK_SIZE)

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


def kdf_params_in_bounds(params: KdfParams) -> bool:
    """What any stored cost (a wrapped key, a source's codename) is held to."""
    return 1 <= params.opslimit <= MAX_OPSLIMIT and 8192 <= params.memlimit <= MAX_MEMLIMIT


def argon2id_kdf(
    secret: bytes,
    salt: bytes,
    params: KdfParams,
    size: int = KEY_BYTES,
    *,
    wait_seconds: float | None = None,
) -> bytes:
    """Argon2id through the bounded pool; waits `wait_seconds` (default KDF_WAIT_SECONDS) for a
    slot, else KdfBusy. A caller that can do without the derivation now (a first submission,
    jiandu.tipline.actions) asks for a short wait and defers the derivation when busy."""
    if not kdf_params_in_bounds(params):
        raise VaultCryptoError("Key-derivation parameters out of bounds.")
    slots = _kdf_slots()
    if not slots.acquire(timeout=KDF_WAIT_SECONDS if wait_seconds is None else wait_seconds):
        raise KdfBusy
    try:
        # In a child process (jiandu.core.argon2_process): the worker's peak memory stays its
        # own. libsodium's crypto_pwhash is Argon2id v1.3 with one lane and memlimit in bytes.
        return argon2_process.hash_raw(
            secret,
            salt,
            time_cost=params.opslimit,
            memory_kib=params.memlimit // 1024,
            parallelism=1,
            size=size,
        )
    except argon2_process.Argon2ProcessError as exc:
        raise VaultCryptoError("The key could not be derived.") from exc
    finally:
        slots.release()


def subkey(key: bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from `key` with keyed BLAKE2b (person = purpose)."""
    return nacl.hash.blake2b(
        b"", key=key, person=purpose.ljust(16, b"\0")[:16], digest_size=32, encoder=_Raw
    )


_Raw = nacl.encoding.RawEncoder  # digests as bytes, not hex


def random_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


# --- Streams: files, messages, questionnaires, replies ------------------------------------


def padme(length: int) -> int:
    """Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
    Communication with PURBs", 2019): round `length` up so that only its top bits stay, at
    most 12 % more, and the rounded value reveals O(log log length) bits instead of O(log)."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1  # floor(log2(length))
    last_bits = exponent - exponent.bit_length()  # E - (floor(log2(E)) + 1)
    mask = (1 << last_bits) - 1
    return (length + mask) & ~mask


def padded_length(plaintext_size: int) -> int:
    """Bytes of a version-2 stream's padded plaintext: data, zero padding and the 8-byte
    length trailer together, at least PAD_FLOOR."""
    return padme(max(plaintext_size + LENGTH_TRAILER.size, PAD_FLOOR))


def ciphertext_size(plaintext_size: int) -> int:
    """Size on disk of a version-2 stream: a function of the padded length only."""
    padded = padded_length(plaintext_size)
    chunks = -(-padded // CHUNK_SIZE)
    return len(FILE_HEADER) + STREAM_HEADER_BYTES + padded + chunks * ABYTES


class StreamEncryptor:
    """Encrypts a stream written in pieces of any size into `out`, 64 KiB per chunk.

    Memory use is one chunk whatever the size of the whole; the length need not be known in
    advance. Version 2 (every new stream): `finish()` pushes the last data, then zero bytes up
    to the Padmé length, then the data length, all inside the authenticated stream. The chunk
    holding the end of the data is tagged PUSH (or FINAL when it is also the last chunk); the
    last chunk is tagged FINAL, so a file without it is refused as truncated. `version=1` is
    only for a resumed upload that was begun in that format (and for tests of the old reader).

    Speed (issue 22): whole chunks are encrypted straight from the caller's buffer into one
    reused output buffer, WRITE_CHUNKS at a time, and written with one call, so a byte is not
    copied on its way in or out (libsodium's own function, called as PyNaCl calls it, without
    PyNaCl's copies). `hashing=False` leaves `sha256` to the caller, who may compute it in
    another thread (jiandu.vault.uploads.BackgroundEncryptor). The bytes on disk are exactly
    what PyNaCl's push would give (tests/vault/test_stream_speed.py).
    """

    WRITE_CHUNKS = 16  # chunks per write to `out`: about 1 MiB

    def __init__(
        self,
        item_key: bytes,
        out: BinaryIO | io.RawIOBase,
        version: int = STREAM_VERSION,
        *,
        hashing: bool = True,
    ) -> None:
        if version not in READABLE_STREAM_VERSIONS:
            raise VaultCryptoError("Unknown vault file version.")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, subkey(item_key, b"jd:content")
        )
        self._setup(out, bytearray(), version, 0, hashing)
        out.write(MAGIC + bytes([version]) + header)

    def _setup(
        self,
        out: BinaryIO | io.RawIOBase,
        pending: bytearray,
        version: int,
        size: int,
        hashing: bool,
    ) -> None:
        self._out = out
        self._buffer = pending
        self.version = version
        self.plaintext_size = size
        self.hashing = hashing
        self.sha256 = hashlib.sha256()
        self._batch: bytearray | None = None
        # An io object copies what it is given before write() returns (the io contract), so
        # it may be handed a view of the reused buffer; anything else gets its own bytes.
        self._takes_views = isinstance(out, io.IOBase)

    def _seal(self, chunks: Iterable[tuple[bytes | bytearray | memoryview, int]]) -> None:
        """Encrypt (plaintext, tag) pairs, each at most CHUNK_SIZE bytes, into the output
        buffer and write it out whenever it is full and at the end."""
        if self._batch is None:
            self._batch = bytearray(self.WRITE_CHUNKS * (CHUNK_SIZE + ABYTES))
        batch = self._batch
        used = 0
        with _ffi.from_buffer("unsigned char[]", batch, require_writable=True) as target:
            for plain, tag in chunks:
                length = len(plain)
                with _ffi.from_buffer("unsigned char[]", plain) as source:
                    failed = _lib.crypto_secretstream_xchacha20poly1305_push(
                        self._state.statebuf,
                        target + used,
                        _ffi.NULL,
                        source,
                        length,
                        _ffi.NULL,
                        0,
                        tag,
                    )
                if failed:
                    raise VaultCryptoError("Encryption failed.")
                used += length + ABYTES
                if used > len(batch) - CHUNK_SIZE - ABYTES:
                    self._emit(batch, used)
                    used = 0
        if used:
            self._emit(batch, used)

    def _emit(self, batch: bytearray, used: int) -> None:
        with memoryview(batch) as view:
            self._out.write(view[:used] if self._takes_views else bytes(view[:used]))

    def _push(self, data: bytes, tag: int) -> None:
        self._seal([(data, tag)])

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        self.plaintext_size += len(view)
        if self.hashing:
            self.sha256.update(view)
        if self._buffer:  # complete the chunk begun by the last write first
            take = min(CHUNK_SIZE - len(self._buffer), len(view))
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < CHUNK_SIZE:
                return
            self._seal([(self._buffer, TAG_MESSAGE)])
            self._buffer = bytearray()
        full = len(view) - len(view) % CHUNK_SIZE
        if full:
            self._seal(
                (view[start : start + CHUNK_SIZE], TAG_MESSAGE)
                for start in range(0, full, CHUNK_SIZE)
            )
        if full < len(view):
            self._buffer += view[full:]

    def finish(self) -> None:
        if self.version == 1:
            self._push(bytes(self._buffer), TAG_FINAL)
            self._buffer = bytearray()
            return
        self._seal(self._padding())
        self._buffer = bytearray()

    def _padding(self) -> Iterator[tuple[bytes, int]]:
        """What is left to push: the last data (under one chunk), zeros, the length trailer."""
        pushed = self.plaintext_size - len(self._buffer)
        remaining = padded_length(self.plaintext_size) - pushed
        trailer = LENGTH_TRAILER.pack(self.plaintext_size)
        first = True
        while remaining > 0:
            size = min(CHUNK_SIZE, remaining)
            last = remaining <= CHUNK_SIZE
            head = bytes(self._buffer) if first else b""
            tail = trailer if last else b""
            if size < len(head) + len(tail):  # cannot happen with Padmé and a 256-byte floor
                raise VaultCryptoError("Padding rule violated.")
            if head or tail or size != CHUNK_SIZE:
                chunk = head + bytes(size - len(head) - len(tail)) + tail
            else:
                chunk = _ZERO_CHUNK
            yield chunk, TAG_FINAL if last else TAG_PUSH if first else TAG_MESSAGE
            remaining -= size
            first = False

    def snapshot(self) -> tuple[bytes, bytes]:
        """(libsodium stream state, plaintext not yet pushed) to resume later (resumable
        uploads). Both are secret: they are kept only in the encrypted session."""
        return bytes(_ffi.buffer(self._state.statebuf)), bytes(self._buffer)

    @classmethod
    def resume(
        cls,
        out: BinaryIO | io.RawIOBase,
        state: bytes,
        pending: bytes,
        size: int,
        version: int = STREAM_VERSION,
        *,
        hashing: bool = True,
    ) -> StreamEncryptor:
        """Continue a stream from `snapshot()`, appending to `out` (no header is written).
        `version` must be the one the stream was begun with (its header's). The SHA-256 of a
        resumed stream covers only what follows; see `sha256_of`."""
        if len(state) != sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES:
            raise VaultCryptoError("Not a stream state.")
        if version not in READABLE_STREAM_VERSIONS:
            raise VaultCryptoError("Unknown vault file version.")
        self = cls.__new__(cls)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        _ffi.memmove(self._state.statebuf, state, len(state))
        self._setup(out, bytearray(pending), version, size, hashing)
        return self


def _pull(state: _State, chunk: bytes) -> tuple[bytes, int]:
    try:
        plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, None)
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise VaultCryptoError("Vault file is damaged or the key is wrong.") from exc
    return plain, tag


class Reader(Protocol):
    """Where an encrypted stream is read from: a file, a socket's body, a slice of an archive."""

    def read(self, size: int, /) -> bytes: ...


_State = sodium.crypto_secretstream_xchacha20poly1305_state


def decrypt_stream(item_key: bytes, source: Reader) -> Iterator[bytes]:
    """Yield the plaintext of a vault stream (version 1 or 2) chunk by chunk, authenticating
    each chunk; a version-2 stream's padding and length trailer are checked and never yielded.

    Raises VaultCryptoError on a wrong key, a damaged chunk, a missing final chunk (truncation),
    data after the final chunk, or padding that is not exactly what the writer makes. A
    consumer must treat what was yielded before an error as untrusted.
    """
    header = source.read(len(FILE_HEADER))
    if header[: len(MAGIC)] != MAGIC:
        raise VaultCryptoError("Not a Jiandu vault file.")
    version = header[len(MAGIC) :]
    if len(version) != 1 or version[0] not in READABLE_STREAM_VERSIONS:
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
    if version[0] == 1:
        yield from _pull_version_1(state, source)
    else:
        yield from _pull_version_2(state, source)


class PlaintextReader(io.RawIOBase):
    """A read-only file over `decrypt_stream`, so a caller can hand a vault file to something
    that reads (the sandbox's memfd, a parser) in pieces, never holding it whole in memory.
    `digest`, when given, sees every byte read (the original's SHA-256 on the way)."""

    def __init__(self, chunks: Iterator[bytes], digest: hashlib._Hash | None = None) -> None:
        self._chunks = chunks
        self._pending = b""
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
            if self._digest is not None:
                self._digest.update(self._pending)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _next_chunk(source: Reader) -> bytes:
    chunk = source.read(CHUNK_SIZE + ABYTES)
    if not chunk:
        raise VaultCryptoError("Vault file is truncated (no final chunk).")
    return chunk


def _pull_version_1(state: _State, source: Reader) -> Iterator[bytes]:
    while True:
        plain, tag = _pull(state, _next_chunk(source))
        if tag == TAG_FINAL:
            if source.read(1):
                raise VaultCryptoError("Data after the final chunk.")
            if plain:
                yield plain
            return
        yield plain


def _pull_version_2(state: _State, source: Reader) -> Iterator[bytes]:
    """Data chunks (MESSAGE) are yielded as they come. The chunk where the data ends (PUSH) is
    held back, padding chunks must be zeros, and the FINAL chunk's last 8 bytes give the data
    length: only then is the held chunk's data part yielded. Memory: two chunks."""
    yielded = 0
    boundary: bytes | None = None
    padding = 0
    while True:
        plain, tag = _pull(state, _next_chunk(source))
        if tag == TAG_MESSAGE and boundary is None:
            if len(plain) != CHUNK_SIZE:
                raise VaultCryptoError("Vault file is damaged (short data chunk).")
            yielded += len(plain)
            yield plain
        elif tag == TAG_MESSAGE:
            if plain != _ZERO_CHUNK:
                raise VaultCryptoError("Vault file padding is not zeros.")
            padding += len(plain)
        elif tag == TAG_PUSH and boundary is None:
            if len(plain) != CHUNK_SIZE:
                raise VaultCryptoError("Vault file is damaged (short data chunk).")
            boundary = plain
        elif tag == TAG_FINAL:
            break
        else:
            raise VaultCryptoError("Vault file has an unexpected chunk tag.")
    if source.read(1):
        raise VaultCryptoError("Data after the final chunk.")
    if len(plain) < LENGTH_TRAILER.size:
        raise VaultCryptoError("Vault file is damaged (no length trailer).")
    (size,) = LENGTH_TRAILER.unpack(plain[-LENGTH_TRAILER.size :])
    rest = plain[: -LENGTH_TRAILER.size]
    if boundary is None:
        boundary, rest = rest, b""
    data_in_boundary = size - yielded
    if not 0 <= data_in_boundary <= len(boundary):
        raise VaultCryptoError("Vault file length trailer does not match its chunks.")
    if boundary[data_in_boundary:].count(0) != len(boundary) - data_in_boundary:
        raise VaultCryptoError("Vault file padding is not zeros.")
    if rest.count(0) != len(rest):
        raise VaultCryptoError("Vault file padding is not zeros.")
    total = yielded + len(boundary) + padding + len(rest) + LENGTH_TRAILER.size
    if total != padded_length(size):
        raise VaultCryptoError("Vault file padding does not follow the padding rule.")
    if data_in_boundary:
        yield boundary[:data_in_boundary]


def sha256_of(item_key: bytes, source: Reader) -> tuple[str, int]:
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


def decrypt_bytes(item_key: bytes, source: Reader) -> bytes:
    return b"".join(decrypt_stream(item_key, source))


# --- Metadata records (file name, size, SHA-256, kind-specific fields) ----------------------


def seal_meta(item_key: bytes, meta: dict[str, object]) -> bytes:
    """JSON, encrypted with XSalsa20-Poly1305 under the item's metadata subkey. The JSON is
    padded with trailing spaces (which every JSON reader ignores) to the Padmé length of at
    least META_FLOOR bytes, so the record's size does not give away a name's length."""
    data = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()
    data += b" " * (padme(max(len(data), META_FLOOR)) - len(data))
    return bytes(SecretBox(subkey(item_key, b"jd:meta")).encrypt(data))


def meta_key(item_key: bytes) -> bytes:
    """The item's metadata subkey alone: it opens the record (name, size, SHA-256) and not the
    content, so it can be handed where only the record is needed (a source's own file list)."""
    return subkey(item_key, b"jd:meta")


def open_meta(item_key: bytes, sealed: bytes) -> dict[str, object]:
    return open_meta_with(meta_key(item_key), sealed)


def open_meta_with(meta_subkey: bytes, sealed: bytes) -> dict[str, object]:
    """Open a metadata record with its subkey (see meta_key)."""
    try:
        data = SecretBox(meta_subkey).decrypt(bytes(sealed))
    except nacl.exceptions.CryptoError as exc:
        raise VaultCryptoError("Metadata record is damaged or the key is wrong.") from exc
    return json.loads(data)


# --- Authenticating export headers (jiandu decrypt) ----------------------------------------


def export_mac(member_private_key: bytes, data: bytes) -> bytes:
    """Keyed BLAKE2b-256 of an export's or archive's header, under subkey(member private key,
    "jd:export-mac"). The server computes it while the member's key is in their session; the
    offline tool checks it after opening the key with the password. Anyone can seal a key to
    a member's public key, so without it a forged archive would open; with it, only someone
    holding the member's private key can make a header that opens."""
    return nacl.hash.blake2b(
        bytes(data),
        key=subkey(member_private_key, b"jd:export-mac"),
        digest_size=32,
        encoder=_Raw,
    )


def export_mac_matches(member_private_key: bytes, data: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(export_mac(member_private_key, data), bytes(mac))


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
    header = _PW_HEADER.pack(
        PASSWORD_WRAP_MAGIC, WRAP_VERSION, params.opslimit, params.memlimit, salt
    )
    return header + bytes(SecretBox(key).encrypt(private_key))


def password_wrap_params(wrapped: bytes) -> KdfParams:
    magic, version, opslimit, memlimit, _salt = _PW_HEADER.unpack_from(bytes(wrapped))
    if magic != PASSWORD_WRAP_MAGIC or version != WRAP_VERSION:
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
    return RECOVERY_WRAP_MAGIC + bytes([WRAP_VERSION]) + bytes(SecretBox(key).encrypt(private_key))


def unwrap_with_recovery_key(wrapped: bytes, recovery_key: str) -> bytes:
    wrapped = bytes(wrapped)
    if wrapped[:5] != RECOVERY_WRAP_MAGIC + bytes([WRAP_VERSION]):
        raise VaultCryptoError("Not a recovery-wrapped key of a known version.")
    key = subkey(_recovery_secret(recovery_key), b"jd:recovery")
    try:
        return bytes(SecretBox(key).decrypt(wrapped[5:]))
    except nacl.exceptions.CryptoError as exc:
        raise WrongSecret("The recovery key does not open this key.") from exc
