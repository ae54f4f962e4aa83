"""The rooms' blobs go through the blob store: with the S3 backend selected, a preview made by
the worker lives in the bucket only, encrypted, is read back from it, and goes with its
source; leftovers in the bucket are cleaned. (The contract itself: test_blobstore_contract.py.)
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from jiandu.forensics import actions, handoff
from jiandu.forensics.models import Preview
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from tests.forensics.test_handoff import request, run_worker, source_with_file

pytestmark = pytest.mark.django_db


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "darkgreen").save(buffer, "JPEG")
    return buffer.getvalue()


def local_files(root) -> list[str]:
    return [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]


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
    assert key not in s3_blobs.objects()
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
