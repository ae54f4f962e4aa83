"""jiandu.vault.direct_io: an upload's ciphertext written past the page cache, byte for byte
what an ordinary write gives, in one request or across many, and never a byte lost when the
file system refuses direct writes or a write fails."""

from __future__ import annotations

import errno
import fcntl
import os
import random
from pathlib import Path

import pytest

from jiandu.vault import crypto, direct_io, storage
from jiandu.vault.direct_io import BLOCK, BUFFER_BYTES, DirectAppender


def _random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)  # noqa: S311  (reproducible test bytes)


def _append(path: Path, pieces: list[bytes]) -> DirectAppender:
    """One appender over the file's end, as one tus piece uses it."""
    with path.open("r+b") as handle:
        start = handle.seek(0, os.SEEK_END)
        out = DirectAppender(path, handle, start)
        for piece in pieces:
            assert out.write(piece) == len(piece)
        out.close()
        assert handle.tell() == start + sum(map(len, pieces))
        handle.flush()
        os.fsync(handle.fileno())
    return out


def _random_pieces(total: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)  # noqa: S311  (reproducible sizes)
    pieces, left = [], total
    while left:
        size = min(left, rng.choice([1, 17, BLOCK - 1, BLOCK, 65553, BUFFER_BYTES + 3]))
        pieces.append(rng.randbytes(size))
        left -= size
    return pieces


def test_what_is_written_is_exactly_the_bytes_given(tmp_path):
    path = tmp_path / "a.part"
    path.touch()
    pieces = _random_pieces(3 * BUFFER_BYTES + 12345, seed=1)
    out = _append(path, pieces)
    assert path.read_bytes() == b"".join(pieces)
    assert out.closed


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_pieces_appended_by_many_appenders_at_unaligned_ends(tmp_path, seed):
    """Each tus piece has its own appender; each starts where the last stopped, mid-block,
    and takes the partial block back from the file."""
    path = tmp_path / "b.part"
    path.write_bytes(b"header-30-bytes-long-exactly!!")
    expected = bytearray(path.read_bytes())
    rng = random.Random(seed)  # noqa: S311  (reproducible sizes)
    for _ in range(6):
        pieces = _random_pieces(rng.randrange(1, 2 * BUFFER_BYTES), seed=rng.randrange(1 << 30))
        _append(path, pieces)
        expected += b"".join(pieces)
        assert path.read_bytes() == bytes(expected)


def test_most_bytes_go_through_a_direct_descriptor(tmp_path, monkeypatch):
    """On a file system that takes O_DIRECT, only the last partial block of each appender
    goes through the page cache."""
    path = tmp_path / "c.part"
    path.touch()
    probe = direct_io._open_direct(path)
    if probe is None:
        pytest.skip("this file system refuses O_DIRECT")
    os.close(probe)
    through: dict[str, int] = {"direct": 0, "cached": 0}
    real_pwrite = os.pwrite

    def pwrite(fd: int, data, offset: int) -> int:
        direct = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)
        through["direct" if direct else "cached"] += len(data)
        if direct:
            assert offset % BLOCK == 0 and len(data) % BLOCK == 0
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(direct_io.os, "pwrite", pwrite)
    data = _random_bytes(5, 5 * BUFFER_BYTES + 777)
    _append(path, [data])
    assert through["cached"] < BLOCK
    assert through["direct"] + through["cached"] == len(data)
    assert path.read_bytes() == data


def test_without_o_direct_the_ordinary_descriptor_writes_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(direct_io, "_open_direct", lambda path: None)
    started = []
    monkeypatch.setattr(storage, "start_writeback", lambda handle: started.append(handle))
    path = tmp_path / "d.part"
    path.write_bytes(b"x" * 100)
    pieces = _random_pieces(storage.WRITEBACK_BYTES * 2 + 999, seed=6)
    out = _append(path, pieces)
    assert not out.direct
    assert path.read_bytes() == b"x" * 100 + b"".join(pieces)
    assert started  # the kernel is asked to write back as it goes, as before


def test_a_direct_write_refused_for_its_alignment_falls_back_without_losing_bytes(
    tmp_path, monkeypatch
):
    path = tmp_path / "e.part"
    path.touch()
    if direct_io._open_direct(path) is None:
        pytest.skip("this file system refuses O_DIRECT")
    real_pwrite = os.pwrite

    def pwrite(fd: int, data, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(direct_io.os, "pwrite", pwrite)
    data = _random_bytes(7, 4 * BUFFER_BYTES + 5)
    _append(path, [data])
    assert path.read_bytes() == data


def test_a_failed_write_is_raised_not_swallowed(tmp_path, monkeypatch):
    path = tmp_path / "f.part"
    path.touch()

    def pwrite(fd: int, data, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(direct_io.os, "pwrite", pwrite)
    with path.open("r+b") as handle:
        out = DirectAppender(path, handle, 0)
        with pytest.raises(OSError) as raised:
            for _ in range(8):  # the writing thread's error reaches a later write or close
                out.write(b"\0" * BUFFER_BYTES)
            out.close()
        assert raised.value.errno == errno.ENOSPC
        out.abandon()  # after an error: nothing more is written, nothing is left open
        assert out.closed


def test_a_file_shorter_than_its_recorded_length_is_refused(tmp_path):
    path = tmp_path / "g.part"
    path.write_bytes(b"y" * 10)
    with path.open("r+b") as handle, pytest.raises(OSError):
        DirectAppender(path, handle, BLOCK + 20)


def test_abandoning_writes_nothing_more(tmp_path):
    path = tmp_path / "h.part"
    path.write_bytes(b"z" * 5)
    with path.open("r+b") as handle:
        out = DirectAppender(path, handle, 5)
        out.write(b"w" * 100)
        out.abandon()
        out.abandon()
    assert path.read_bytes() == b"z" * 5


def test_buffers_are_reused_and_bounded(tmp_path):
    path = tmp_path / "i.part"
    path.touch()
    for seed in range(12):
        _append(path, [_random_bytes(seed, 3 * BUFFER_BYTES + 1)])
    assert len(direct_io._spare_buffers) <= direct_io.SPARE_BUFFERS


def test_a_stream_encrypted_through_an_appender_decrypts(tmp_path):
    """The vault's stream, written through appenders in three requests as tus writes it."""
    key = crypto.random_key()
    path = tmp_path / "j.part"
    plain = _random_bytes(8, 3 * BUFFER_BYTES + 70000)
    thirds = [plain[: len(plain) // 3], plain[len(plain) // 3 : 2 * len(plain) // 3]]
    thirds.append(plain[2 * len(plain) // 3 :])
    with path.open("w+b") as handle:
        out = DirectAppender(path, handle, 0)
        encryptor = crypto.StreamEncryptor(key, out, hashing=False)
        encryptor.write(thirds[0])
        state, pending = encryptor.snapshot()
        out.close()
        size = encryptor.plaintext_size
        for index, third in enumerate(thirds[1:], start=1):
            out = DirectAppender(path, handle, handle.tell())
            encryptor = crypto.StreamEncryptor.resume(out, state, pending, size, hashing=False)
            encryptor.write(third)
            if index == 2:
                encryptor.finish()
            state, pending = encryptor.snapshot()
            size = encryptor.plaintext_size
            out.close()
    with path.open("rb") as source:
        assert b"".join(crypto.decrypt_stream(key, source)) == plain
