"""Uploads after issue 22: hashing and encryption in helper threads, and a resumable upload's
SHA-256 carried from piece to piece by the process that took them (resumable.RunningDigests).

Whatever process took which piece, whatever piece broke or failed its checksum, the recorded
SHA-256 is the file's; a process that did not see every piece falls back to decrypting the
`.part`. Another process is played by a fresh RunningDigests in resumable.RUNNING."""

import base64
import hashlib
import io
import os

import pytest

from jiandu.vault import crypto, resumable, uploads
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

CHUNK = crypto.CHUNK_SIZE
DATA = os.urandom(7 * CHUNK + 4321)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def session():
    from django.contrib.sessions.backends.cache import SessionStore

    make_reader()
    return SessionStore()


def send(session, upload_id: str, start: int, end: int, **kwargs) -> int:
    piece = DATA[start:end]
    return resumable.append(session, upload_id, start, io.BytesIO(piece), len(piece), **kwargs)


def test_pieces_in_one_process_give_the_sha256_without_decrypting(session, monkeypatch):
    upload_id = resumable.create(session, "a.bin", len(DATA))
    decrypted = []
    real = crypto.sha256_of
    monkeypatch.setattr(crypto, "sha256_of", lambda *a: decrypted.append(1) or real(*a))
    offset = 0
    for end in (1000, 3 * CHUNK, 3 * CHUNK + 1, len(DATA)):
        offset = send(session, upload_id, offset, end)
    upload = resumable.get(session, upload_id)
    assert upload["done"] and upload["sha256"] == SHA
    assert decrypted == []  # the running digest was used
    with resumable._part_path(upload).open("rb") as handle:  # and the file says the same
        assert real(base64.b64decode(upload["key"]), handle) == (SHA, len(DATA))


def test_a_piece_another_process_took_makes_this_one_decrypt_at_the_end(session, monkeypatch):
    upload_id = resumable.create(session, "a.bin", len(DATA))
    first = resumable.RUNNING
    offset = send(session, upload_id, 0, 2 * CHUNK + 5)  # process A
    monkeypatch.setattr(resumable, "RUNNING", resumable.RunningDigests())
    offset = send(session, upload_id, offset, 5 * CHUNK)  # process B: holds no digest
    monkeypatch.setattr(resumable, "RUNNING", first)
    send(session, upload_id, offset, len(DATA))  # A again: its digest stops at 2 chunks
    assert resumable.get(session, upload_id)["sha256"] == SHA


def test_a_process_that_started_late_never_claims_a_digest(session, monkeypatch):
    """B takes the first piece, A (which holds nothing) the rest: A must not start a digest
    in the middle of the file and record it as the file's."""
    upload_id = resumable.create(session, "a.bin", len(DATA))
    first = resumable.RUNNING
    monkeypatch.setattr(resumable, "RUNNING", resumable.RunningDigests())
    offset = send(session, upload_id, 0, CHUNK)
    monkeypatch.setattr(resumable, "RUNNING", first)
    offset = send(session, upload_id, offset, 4 * CHUNK)
    send(session, upload_id, offset, len(DATA))
    assert resumable.get(session, upload_id)["sha256"] == SHA


def test_a_failed_checksum_or_a_broken_piece_keeps_the_digest_right(session):
    upload_id = resumable.create(session, "a.bin", len(DATA))
    offset = send(session, upload_id, 0, CHUNK + 10)
    wrong = ("sha256", hashlib.sha256(b"not this").digest())
    with pytest.raises(resumable.ResumableError) as refused:
        send(session, upload_id, offset, 3 * CHUNK, checksum=wrong)
    assert refused.value.code == "checksum" and refused.value.offset == offset
    short = io.BytesIO(DATA[offset : offset + CHUNK + 77])  # the connection drops
    with pytest.raises(resumable.ResumableError) as broken:
        resumable.append(session, upload_id, offset, short, 3 * CHUNK)
    assert broken.value.code == "broken"
    send(session, upload_id, broken.value.offset, len(DATA))
    assert resumable.get(session, upload_id)["sha256"] == SHA


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("length", [1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3])
def test_the_expected_length_of_a_finished_part_is_its_real_length(version, length):
    out = io.BytesIO()
    encryptor = crypto.StreamEncryptor(crypto.random_key(), out, version=version)
    encryptor.write(os.urandom(length))
    encryptor.finish()
    assert resumable._stream_size(length, version) == len(out.getvalue())


class Refusing(io.RawIOBase):
    """A disk that fails after a few writes."""

    def __init__(self) -> None:
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes += 1
        if self.writes > 2:
            raise OSError(28, "No space left on device")
        return len(data)


def test_a_failing_disk_in_the_helper_thread_reaches_the_request():
    stream = crypto.StreamEncryptor(crypto.random_key(), Refusing(), hashing=False)
    pipeline = uploads.BackgroundEncryptor(stream, stream.sha256)
    with pytest.raises(OSError, match="No space"):
        for _ in range(64):
            pipeline.write(os.urandom(1 << 20))
        pipeline.finish()
    pipeline.stop()  # idempotent, nothing left running
    assert not any(thread.is_alive() for thread in pipeline._threads)


def test_the_pipeline_hashes_what_it_encrypts():
    data = os.urandom(3 * (1 << 20) + 999)
    out = io.BytesIO()
    key = crypto.random_key()
    stream = crypto.StreamEncryptor(key, out, hashing=False)
    pipeline = uploads.BackgroundEncryptor(stream, stream.sha256)
    for start in range(0, len(data), 1 << 20):
        pipeline.write(data[start : start + (1 << 20)])
    pipeline.finish()
    assert stream.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
    assert crypto.decrypt_bytes(key, io.BytesIO(out.getvalue())) == data
