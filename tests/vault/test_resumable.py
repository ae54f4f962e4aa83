"""Resumable uploads: pieces encrypted as they arrive, a broken piece resumed from the last
whole chunk, wrong offsets answered with the right one, limits, and the finished file handed to
the submission with the SHA-256 of the whole."""

import hashlib
import io
import os

import pytest
from django.test import Client

from jiandu.vault import crypto, resumable, storage
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Source
from jiandu.vault.session_keys import member_private_key
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

DATA = os.urandom(3 * crypto.CHUNK_SIZE + 1234)


def _token(client):
    client.get("/en/submit/")
    return client.session["_csrftoken"]


def _create(client, token, length, name="tape 1.mp4"):
    return client.post(
        "/en/uploads/",
        headers={"X-CSRFToken": token, "Upload-Length": str(length), "Upload-Name": name},
    )


def _patch(client, token, upload_id, offset, body):
    return client.generic(
        "PATCH",
        f"/en/uploads/{upload_id}/",
        body,
        content_type="application/offset+octet-stream",
        headers={"X-CSRFToken": token, "Upload-Offset": str(offset)},
    )


def test_pieces_resume_and_submit():
    member, newsroom = make_reader()
    client = Client(enforce_csrf_checks=True)
    token = _token(client)
    response = _create(client, token, len(DATA), "tape%201.mp4")
    assert response.status_code == 201
    upload_id = response.json()["id"]
    first = DATA[:100_000]
    assert _patch(client, token, upload_id, 0, first)["Upload-Offset"] == "100000"
    # A piece at the wrong offset is refused with the right one.
    wrong = _patch(client, token, upload_id, 5, DATA[5:10])
    assert wrong.status_code == 409 and wrong["Upload-Offset"] == "100000"
    head = client.head(f"/en/uploads/{upload_id}/", headers={"X-CSRFToken": token})
    assert head["Upload-Offset"] == "100000"
    assert _patch(client, token, upload_id, 100_000, DATA[100_000:])["Upload-Offset"] == str(
        len(DATA)
    )
    finished = client.post(f"/en/uploads/{upload_id}/finish/", headers={"X-CSRFToken": token})
    assert finished.json()["sha256"] == hashlib.sha256(DATA).hexdigest()
    part = next(storage.incoming_dir().iterdir())
    assert DATA[:1000] not in part.read_bytes()
    response = client.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": token, "uploads": upload_id, "style": "en", "message": "x"},
    )
    assert response.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()

    class Request:
        session = newsroom.session

    source = Source.objects.get()
    key = get_source_key_for_member(member.user, member_private_key(Request()), source)
    item = open_item(key, source.items.get(kind="file"))
    assert item.meta["name"] == "tape 1.mp4"
    assert b"".join(item.stream()) == DATA


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


def test_limits_and_unknown_uploads(settings):
    make_reader()
    client = Client(enforce_csrf_checks=True)
    token = _token(client)
    settings.JIANDU_MAX_FILE_BYTES = 10
    response = _create(client, token, 11, "big.bin")
    assert response.status_code == 413 and "larger than" in response.json()["error"]
    assert _create(client, token, 0, "empty.txt").json()["error"].endswith("not kept.")
    settings.JIANDU_MAX_FILE_BYTES = 1000
    upload_id = _create(client, token, 5).json()["id"]
    assert _patch(client, token, upload_id, 0, b"123456").status_code == 413
    assert _patch(client, token, "f" * 32, 0, b"1").status_code == 404
    assert (
        client.post(f"/en/uploads/{upload_id}/finish/", headers={"X-CSRFToken": token}).status_code
        == 409
    )
    # Without the CSRF header nothing is accepted.
    assert client.post("/en/uploads/", headers={"Upload-Length": "5"}).status_code == 403


def test_sign_out_discards_unfinished_uploads():
    make_reader()
    client = Client()
    token = _token(client)
    _create(client, token, 100)
    assert list(storage.incoming_dir().iterdir())
    client.post("/en/conversation/sign-out/")
    assert list(storage.incoming_dir().iterdir()) == []
