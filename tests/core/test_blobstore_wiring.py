"""The rooms' blobs go through the blob store: with the S3 backend selected, a source's files
and messages and a preview made by the worker live in the bucket only, encrypted, are read
back from it, and go with their source; leftovers in the bucket are cleaned. (The contract
itself: test_blobstore_contract.py.)
"""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jiandu.forensics import actions, handoff
from jiandu.forensics.models import Preview
from jiandu.newsroom.archive import source_archive
from jiandu.vault import actions as vault
from jiandu.vault import crypto, storage
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source, SourceGrant
from tests.forensics.test_handoff import request, run_worker, source_with_file
from tests.tipline.helpers import make_reader, submit

MARKER = b"JD-BLOBSTORE-MARKER-51c2"

pytestmark = pytest.mark.django_db


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "darkgreen").save(buffer, "JPEG")
    return buffer.getvalue()


def local_files(root) -> list[str]:
    return [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]


def test_a_submission_lives_in_the_bucket_encrypted_and_goes_with_its_source(
    s3_blobs, isolated_data_dir, django_capture_on_commit_callbacks
):
    member, _client = make_reader()
    document = MARKER * 200_000  # 4.8 MB: more than one part would be with a smaller part size
    response = submit(
        Client(),
        message=f"a message {MARKER.decode()}",
        files=[SimpleUploadedFile("leak.txt", document, "text/plain")],
    )
    assert response.status_code == 302
    source = Source.objects.get()
    items = list(source.items.order_by("pk"))
    keys = sorted(f"jiandu/vault/blobs/{item.blob}" for item in items)
    assert sorted(s3_blobs.objects()) == keys
    assert not any((isolated_data_dir / "vault" / "blobs").glob("*"))
    assert not any((isolated_data_dir / "vault" / "incoming").glob("*"))  # the part went too
    for key in keys:
        stored = s3_blobs.read(key)
        assert stored[:8] == crypto.FILE_HEADER and MARKER not in stored

    member_private = vault.do_unlock_member_key(member.user, member.password).private_key
    source_key = get_source_key_for_member(member.user, member_private, source)
    file_item = source.items.get(kind=Item.Kind.FILE)
    assert b"".join(open_item(source_key, file_item).stream()) == document
    grant = SourceGrant.objects.get(source=source, member_key__user=member.user)
    archive = b"".join(source_archive(grant, source, member_private))
    assert MARKER not in archive and len(archive) > storage.blob_size(file_item.blob)

    with django_capture_on_commit_callbacks(execute=True):
        vault.do_delete_source(source)
    assert s3_blobs.objects() == []


def test_vault_leftovers_in_the_bucket_are_cleaned(s3_blobs, isolated_data_dir):
    part, handle = storage.open_incoming()  # an upload cut off by a crash a day ago
    handle.write(crypto.FILE_HEADER + b"half")
    handle.close()
    old = time.time() - storage.PART_KEEP_SECONDS - 3600
    os.utime(part, (old, old))
    young, handle = storage.open_incoming()  # a resumable upload goes on after a restart
    handle.close()
    adopting = storage.store().writer()  # a hand-over to the bucket cut off (moto dates
    adopting.write(crypto.FILE_HEADER + bytes(6 * 1024 * 1024))  # every upload 2010)
    orphan_part, handle = storage.open_incoming()
    handle.write(crypto.FILE_HEADER + b"whole, but its row never committed")
    storage.seal_incoming(handle)
    orphan = storage.publish(orphan_part)
    assert f"jiandu/vault/blobs/{orphan}" in s3_blobs.objects()

    assert vault.do_clean_leftovers() == (2, 1)
    assert s3_blobs.objects() == [] and s3_blobs.unfinished() == 0
    assert not part.exists() and young.exists()


def test_plaintext_never_reaches_the_bucket(s3_blobs):
    part, handle = storage.open_incoming()
    handle.write(b"a plaintext file that skipped the encrypting handler")
    storage.seal_incoming(handle)
    with pytest.raises(storage.StorageError):
        storage.publish(part)
    assert s3_blobs.objects() == [] and s3_blobs.unfinished() == 0


def test_a_preview_lives_in_the_bucket_encrypted_and_goes_with_its_source(
    s3_blobs, isolated_data_dir, django_capture_on_commit_callbacks
):
    member, source, source_key, item = source_with_file(photo())
    handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    run_worker()
    preview.refresh_from_db()
    assert preview.state == Preview.State.READY

    key = f"jiandu/previews/{preview.blob}"
    assert key in s3_blobs.objects()
    assert not (isolated_data_dir / "previews").exists()  # nothing of it on the local disk
    stored = s3_blobs.read(key)
    assert stored[:8] == crypto.FILE_HEADER
    data = b"".join(actions.open_preview(source_key, preview).stream())
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"
    assert data not in stored

    with django_capture_on_commit_callbacks(execute=True):
        vault.do_delete_source(source)
    assert s3_blobs.objects() == []  # the preview and the vault's own blobs
    assert s3_blobs.unfinished() == 0


def test_preview_leftovers_in_the_bucket_are_cleaned(s3_blobs):
    from jiandu.forensics import storage

    orphan = storage.write_blob(crypto.random_key(), [b"no row points here"])
    crashed = storage.store().writer()
    crashed.write(crypto.FILE_HEADER + bytes(6 * 1024 * 1024))  # a multipart upload under way
    assert s3_blobs.unfinished() == 1

    assert actions.do_clean_preview_leftovers() == 2
    assert f"jiandu/previews/{orphan}" not in s3_blobs.objects()
    assert s3_blobs.unfinished() == 0
