"""Every blob the server writes is padded (version 2): uploaded files, messages, resumable
uploads once finished; sizes shown to the newsroom come only from the encrypted metadata; a
resumable upload begun before the padded format finishes in its own version."""

import base64
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.vault import crypto, resumable, storage
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source
from jiandu.vault.session_keys import member_private_key
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


def _blob_sizes() -> dict[int, int]:
    return {
        item.pk: storage.blob_path(item.blob).stat().st_size for item in Item.objects.order_by("pk")
    }


def test_uploaded_files_and_messages_are_stored_padded():
    make_reader()
    files = [
        SimpleUploadedFile("a.bin", os.urandom(1_000_000)),
        SimpleUploadedFile("b.bin", os.urandom(1_010_000)),
    ]
    assert submit(Client(), message="hi", files=files).status_code == 302
    sizes = _blob_sizes()
    items = list(Item.objects.order_by("pk"))
    by_kind = {item.kind: [] for item in items}
    for item in items:
        by_kind[item.kind].append(sizes[item.pk])
        with storage.open_blob(item.blob) as handle:
            assert handle.read(8) == b"JDVAULT\x02"
    # Two files of different sizes in one Padmé bucket: the same size on disk.
    assert by_kind["file"] == [crypto.ciphertext_size(1_000_000)] * 2
    assert by_kind["message"] == [crypto.ciphertext_size(2)]


def test_newsroom_sees_the_exact_size_only_from_encrypted_metadata():
    member, newsroom = make_reader()
    data = os.urandom(70_000)
    submit(Client(), files=[SimpleUploadedFile("x.bin", data)])
    source = Source.objects.get()
    key = get_source_key_for_member(member.user, member_private_key(newsroom), source)
    item = Item.objects.get(kind="file")
    opened = open_item(key, item)
    assert opened.meta["size"] == len(data)
    assert storage.blob_path(item.blob).stat().st_size == crypto.ciphertext_size(len(data))
    assert storage.blob_path(item.blob).stat().st_size != len(data) + 32 + 2 * crypto.ABYTES
    newsroom.get("/en/newsroom/sources/key/")  # the recovery key is shown once first
    page = newsroom.get(f"/en/newsroom/sources/{source.pk}/")
    assert b"70 kB" in page.content  # jiandu.core.sizes of 70,000 bytes, from the metadata


class _Session(dict):
    modified = False


def test_resumable_upload_begun_in_version_1_finishes_in_version_1():
    """An upload in flight across the upgrade: its .part has a version-1 header and its
    session entry no 'version'; finishing must not append a version-2 tail."""
    session = _Session()
    data = os.urandom(3 * crypto.CHUNK_SIZE + 99)
    item_key = crypto.random_key()
    part, handle = storage.open_incoming()
    with handle:
        encryptor = crypto.StreamEncryptor(item_key, handle, version=1)
        state, pending = encryptor.snapshot()
        handle.flush()
        written = handle.tell()
    session[resumable.SESSION_KEY] = {
        "old": {
            "part": part.name,
            "name": "tape.mp4",
            "length": len(data),
            "offset": 0,
            "written": written,
            "key": base64.b64encode(item_key).decode(),
            "state": base64.b64encode(state).decode(),
            "pending": base64.b64encode(pending).decode(),
            "done": False,
        }
    }
    resumable.append(session, "old", 0, io.BytesIO(data), len(data))
    done = resumable.finish(session, "old")
    assert done["done"] and done["length"] == len(data)
    with part.open("rb") as blob:
        assert blob.read(8) == b"JDVAULT\x01"
        blob.seek(0)
        assert crypto.decrypt_bytes(item_key, blob) == data


def test_resumable_upload_finishes_padded():
    session = _Session()
    data = os.urandom(2 * crypto.CHUNK_SIZE + 5)
    upload_id = resumable.create(session, "tape.mp4", len(data))
    resumable.append(session, upload_id, 0, io.BytesIO(data[:70_000]), 70_000)
    resumable.append(session, upload_id, 70_000, io.BytesIO(data[70_000:]), len(data) - 70_000)
    resumable.finish(session, upload_id)
    part = storage.incoming_dir() / session[resumable.SESSION_KEY][upload_id]["part"]
    assert part.stat().st_size == crypto.ciphertext_size(len(data))
    with part.open("rb") as blob:
        assert (
            crypto.decrypt_bytes(
                base64.b64decode(session[resumable.SESSION_KEY][upload_id]["key"]), blob
            )
            == data
        )
