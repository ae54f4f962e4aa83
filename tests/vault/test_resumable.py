"""Resumable uploads (the state behind the tus server; its protocol is tested in
tests/tipline/test_tus.py): a broken piece resumed from the last whole chunk, a checksummed
piece all or nothing, a restart of the server losing nothing, the last piece finishing the
stream, sign-out discarding what is unfinished."""

import hashlib
import io
import os

import pytest
from django.test import Client

from jiandu.vault import crypto, resumable, storage
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

DATA = os.urandom(3 * crypto.CHUNK_SIZE + 1234)


def test_a_broken_piece_keeps_whole_chunks_and_cuts_the_rest():
    from django.contrib.sessions.backends.cache import SessionStore

    make_reader()
    session = SessionStore()
    upload_id = resumable.create(session, "a.bin", len(DATA))
    # The connection drops after 2.5 chunks of a 3-chunk piece.
    short = io.BytesIO(DATA[: 2 * crypto.CHUNK_SIZE + 500])
    with pytest.raises(resumable.ResumableError) as broken:
        resumable.append(session, upload_id, 0, short, 3 * crypto.CHUNK_SIZE)
    assert broken.value.code == "broken"
    offset = broken.value.offset
    assert offset == 2 * crypto.CHUNK_SIZE + 500
    # Garbage a crashed request wrote after the saved state is cut off on the next piece.
    part = storage.incoming_dir() / resumable.get(session, upload_id)["part"]
    with part.open("ab") as handle:
        handle.write(b"garbage from a half-written request")
    resumable.append(session, upload_id, offset, io.BytesIO(DATA[offset:]), len(DATA) - offset)
    upload = resumable.finish(session, upload_id)
    assert upload["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_a_broken_piece_with_a_checksum_keeps_nothing_of_it():
    from django.contrib.sessions.backends.cache import SessionStore

    make_reader()
    session = SessionStore()
    upload_id = resumable.create(session, "a.bin", len(DATA))
    resumable.append(session, upload_id, 0, io.BytesIO(DATA[:1000]), 1000)
    digest = hashlib.sha256(DATA[1000 : 1000 + 3 * crypto.CHUNK_SIZE]).digest()
    short = io.BytesIO(DATA[1000 : 1000 + 2 * crypto.CHUNK_SIZE])
    with pytest.raises(resumable.ResumableError) as broken:
        resumable.append(
            session, upload_id, 1000, short, 3 * crypto.CHUNK_SIZE, checksum=("sha256", digest)
        )
    assert broken.value.code == "broken" and broken.value.offset == 1000
    assert resumable.get(session, upload_id)["offset"] == 1000
    rest = DATA[1000:]
    resumable.append(
        session,
        upload_id,
        1000,
        io.BytesIO(rest),
        len(rest),
        checksum=("sha256", hashlib.sha256(rest).digest()),
    )
    upload = resumable.get(session, upload_id)
    assert upload["done"] and upload["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_an_upload_survives_a_restart_of_the_server(settings):
    """The state is in the session row (encrypted under the cookie) and the part stays at
    start: a new process loads the session by its cookie and goes on."""
    from jiandu.vault.actions import do_clean_leftovers
    from jiandu.vault.sessions import SessionStore

    make_reader()
    session = SessionStore()
    upload_id = resumable.create(session, "a.bin", len(DATA))
    resumable.append(session, upload_id, 0, io.BytesIO(DATA[:70_000]), 70_000)
    session.save()
    cookie = session.session_key
    # A request killed mid-piece after that: bytes on disk past the saved state.
    part = storage.incoming_dir() / resumable.get(session, upload_id)["part"]
    with part.open("ab") as handle:
        handle.write(os.urandom(5000))
    assert do_clean_leftovers() == (0, 0)  # `jiandu serve` at the restart
    again = SessionStore(cookie)
    assert resumable.get(again, upload_id)["offset"] == 70_000
    rest = DATA[70_000:]
    resumable.append(again, upload_id, 70_000, io.BytesIO(rest), len(rest))
    assert resumable.get(again, upload_id)["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_the_last_piece_finishes_the_stream_and_nothing_more_is_taken():
    from django.contrib.sessions.backends.cache import SessionStore

    make_reader()
    session = SessionStore()
    upload_id = resumable.create(session, "a.bin", 10)
    with pytest.raises(resumable.ResumableError) as early:
        resumable.finish(session, upload_id)
    assert early.value.code == "offset"
    assert resumable.take(session, [upload_id]) == []  # unfinished: not handed over
    resumable.append(session, upload_id, 0, io.BytesIO(b"0123456789"), 10)
    with pytest.raises(resumable.ResumableError) as done:
        resumable.append(session, upload_id, 10, io.BytesIO(b"x"), 1)
    assert done.value.code == "done"
    [item] = resumable.take(session, [upload_id, upload_id])
    assert item.meta["sha256"] == hashlib.sha256(b"0123456789").hexdigest()
    assert resumable.held(session) == []


def test_sign_out_discards_unfinished_uploads():
    make_reader()
    client = Client()
    client.get("/en/submit/")
    client.post(
        "/en/upload/",
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": client.session["_csrftoken"],
            "Upload-Length": "100",
        },
    )
    assert list(storage.incoming_dir().iterdir())
    client.post("/en/conversation/sign-out/")
    assert list(storage.incoming_dir().iterdir()) == []
