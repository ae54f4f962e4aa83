"""The faster stream writer (issue 22) writes exactly the bytes the PyNaCl-based writer wrote.

`crypto.StreamEncryptor` now encrypts straight from the caller's buffer into a reused output
buffer and writes many chunks at once. The format must not move: here a reference writer, the
old code (PyNaCl's push, one chunk at a time), continues from the same libsodium state, and
both outputs must be byte for byte the same, for every way of cutting the input into writes
and for both versions; the result decrypts, and files the old writer made still decrypt.
"""

from __future__ import annotations

import hashlib
import io
import os

import nacl.bindings as sodium
import pytest

from jiandu.vault import crypto

KEY = bytes(range(32))
CHUNK = crypto.CHUNK_SIZE


def reference_stream(state: bytes, data: bytes, version: int) -> bytes:
    """The chunks the pre-issue-22 writer pushed for `data`, from the stream state `state`."""
    from nacl._sodium import ffi

    push_state = sodium.crypto_secretstream_xchacha20poly1305_state()
    ffi.memmove(push_state.statebuf, state, len(state))
    out = bytearray()

    def push(chunk: bytes, tag: int) -> None:
        out.extend(sodium.crypto_secretstream_xchacha20poly1305_push(push_state, chunk, None, tag))

    full = len(data) - len(data) % CHUNK  # version 1: then a FINAL chunk, maybe empty
    for start in range(0, full, CHUNK):
        push(data[start : start + CHUNK], crypto.TAG_MESSAGE)
    rest = data[full:]
    if version == 1:
        push(rest, crypto.TAG_FINAL)
        return bytes(out)
    remaining = crypto.padded_length(len(data)) - full
    trailer = crypto.LENGTH_TRAILER.pack(len(data))
    first = True
    while remaining > 0:
        size = min(CHUNK, remaining)
        last = remaining <= CHUNK
        head = rest if first else b""
        tail = trailer if last else b""
        chunk = head + bytes(size - len(head) - len(tail)) + tail
        tag = crypto.TAG_FINAL if last else crypto.TAG_PUSH if first else crypto.TAG_MESSAGE
        push(chunk, tag)
        remaining -= size
        first = False
    return bytes(out)


def cut(data: bytes, sizes: list[int]) -> list[bytes | bytearray | memoryview]:
    """`data` in pieces of the given sizes, in turn, as bytes, bytearray and memoryview."""
    pieces: list[bytes | bytearray | memoryview] = []
    start, turn = 0, 0
    while start < len(data):
        size = sizes[turn % len(sizes)]
        piece = data[start : start + size]
        pieces.append((bytes, bytearray, memoryview)[turn % 3](piece))
        start += size
        turn += 1
    return pieces


SIZES = [0, 1, 247, 248, CHUNK - 8, CHUNK, CHUNK + 1, 17 * CHUNK - 3, 40 * CHUNK + 12345]
CUTS = [[1 << 20], [1], [CHUNK], [CHUNK + 1, 7, 3 * CHUNK - 1], [100_000, 1, 65_535]]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("size", SIZES)
def test_every_cut_gives_the_bytes_of_the_reference_writer(version: int, size: int) -> None:
    data = os.urandom(size)
    for sizes in CUTS if size <= 2 * CHUNK else CUTS[:1] + CUTS[2:]:
        out = io.BytesIO()
        encryptor = crypto.StreamEncryptor(KEY, out, version=version)
        header = out.getvalue()
        state, pending = encryptor.snapshot()
        assert pending == b""
        for piece in cut(data, sizes):
            encryptor.write(piece)
        encryptor.finish()
        assert out.getvalue() == header + reference_stream(state, data, version), sizes
        assert encryptor.plaintext_size == size
        assert encryptor.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
        assert crypto.decrypt_bytes(KEY, io.BytesIO(out.getvalue())) == data
        if version == 2:
            assert len(out.getvalue()) == crypto.ciphertext_size(size)


def test_a_file_the_old_writer_made_still_decrypts() -> None:
    data = os.urandom(5 * CHUNK + 999)
    for version in (1, 2):
        out = io.BytesIO()
        encryptor = crypto.StreamEncryptor(KEY, out, version=version)
        state, _pending = encryptor.snapshot()
        old = out.getvalue() + reference_stream(state, data, version)
        assert crypto.decrypt_bytes(KEY, io.BytesIO(old)) == data


def test_without_hashing_the_caller_keeps_the_digest_and_resume_continues_the_bytes() -> None:
    """hashing=False (the digest computed elsewhere) changes nothing on disk, and a stream
    resumed from a snapshot mid-chunk goes on exactly where the first writer stopped."""
    data = os.urandom(9 * CHUNK + 4321)
    whole = io.BytesIO()
    first = crypto.StreamEncryptor(KEY, whole)
    header = whole.getvalue()
    state, _ = first.snapshot()
    expected = header + reference_stream(state, data, 2)

    out = io.BytesIO()
    out.write(header)
    encryptor = crypto.StreamEncryptor.resume(out, state, b"", 0, hashing=False)
    encryptor.write(data[: 3 * CHUNK + 10])
    mid_state, pending = encryptor.snapshot()
    assert pending == data[3 * CHUNK : 3 * CHUNK + 10]
    resumed = crypto.StreamEncryptor.resume(out, mid_state, pending, 3 * CHUNK + 10, hashing=False)
    resumed.write(memoryview(data)[3 * CHUNK + 10 :])
    resumed.finish()
    assert out.getvalue() == expected
    assert resumed.sha256.hexdigest() == hashlib.sha256(b"").hexdigest()  # nothing hashed


class Keeper:
    """A writer that is not an io object and keeps what it is given without copying."""

    def __init__(self) -> None:
        self.pieces: list[object] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(data)
        return len(data)


def test_a_writer_that_keeps_references_gets_bytes_of_its_own() -> None:
    """The reused output buffer is handed out as a view only to io objects (which copy before
    write returns); a writer that keeps what it is given must not see it change later."""
    data = os.urandom(40 * CHUNK)
    keeper = Keeper()
    encryptor = crypto.StreamEncryptor(KEY, keeper)  # type: ignore[arg-type]
    encryptor.write(data)
    encryptor.finish()
    assert all(isinstance(piece, bytes) for piece in keeper.pieces)
    blob = b"".join(keeper.pieces)  # type: ignore[arg-type]
    assert crypto.decrypt_bytes(KEY, io.BytesIO(blob)) == data
