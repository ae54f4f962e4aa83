"""Uploads through the encrypting handler: bad input and limits get a readable page and lose
nothing else; no plaintext and no leftovers reach the disk."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.vault import storage
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source
from jiandu.vault.session_keys import member_private_key
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


def _files_on_disk(data_dir):
    return [p for p in (data_dir / "vault").rglob("*") if p.is_file()]


def _open_names(member, newsroom):
    class Request:
        session = newsroom.session

    source = Source.objects.get()
    key = get_source_key_for_member(member.user, member_private_key(Request()), source)
    return sorted(open_item(key, i).meta["name"] for i in source.items.filter(kind="file"))


def test_empty_file_and_path_names(isolated_data_dir):
    member, newsroom = make_reader()
    client = Client()
    files = [
        SimpleUploadedFile("empty.txt", b""),
        SimpleUploadedFile("../../x", b"path traversal attempt"),
        SimpleUploadedFile("..\\..\\evil.bat", b"windows path"),
    ]
    response = submit(client, message="kept", files=files)
    assert response.status_code == 302
    page = client.get("/en/receipt/").content.decode()
    assert "“\u2068empty.txt\u2069” was empty, so it was not kept." in page
    assert _open_names(member, newsroom) == ["evil.bat", "x"]
    # Nothing outside the vault's blob directory, nothing named after the upload.
    names = [p.name for p in _files_on_disk(isolated_data_dir)]
    assert all(storage.BLOB_NAME.match(n) for n in names) and len(names) == 3


def test_broken_multipart_body_is_a_readable_page(isolated_data_dir):
    make_reader()
    client = Client()
    client.get("/en/submit/")
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64!!!\r\n--XyZ--\r\n"
    )
    response = client.generic(
        "POST", "/en/submit/", body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status_code == 400
    assert b"did not arrive complete" in response.content
    assert _files_on_disk(isolated_data_dir) == []
    assert not Source.objects.exists()


def test_too_many_files_keeps_the_first_ones(settings):
    settings.JIANDU_MAX_FILES_PER_SUBMISSION = 2
    member, newsroom = make_reader()
    client = Client()
    files = [SimpleUploadedFile(f"f{i}.txt", b"data %d" % i) for i in range(3)]
    submit(client, message="three files", files=files)
    page = client.get("/en/receipt/").content.decode()
    assert "“\u2068f2.txt\u2069” was not kept: a submission holds at most 2 files." in page
    assert _open_names(member, newsroom) == ["f0.txt", "f1.txt"]


def test_oversize_file_is_skipped_with_a_message(settings, isolated_data_dir):
    settings.JIANDU_MAX_FILE_BYTES = 1024
    member, newsroom = make_reader()
    client = Client()
    files = [SimpleUploadedFile("big.bin", b"x" * 5000), SimpleUploadedFile("ok.txt", b"ok")]
    submit(client, message="m", files=files)
    page = client.get("/en/receipt/").content.decode()
    assert "“\u2068big.bin\u2069” is larger than" in page
    assert _open_names(member, newsroom) == ["ok.txt"]
    assert not list((isolated_data_dir / "vault" / "incoming").iterdir())


def test_oversize_request_is_refused_before_reading(settings):
    settings.JIANDU_MAX_FILE_BYTES = 1024
    settings.JIANDU_MAX_FILES_PER_SUBMISSION = 1
    make_reader()
    client = Client()
    files = [SimpleUploadedFile("big.bin", b"x" * (11 * 1024 * 1024))]
    response = submit(client, message="m", files=files)
    assert response.status_code == 413
    assert b"larger than we accept at once" in response.content
    assert not Source.objects.exists()


def test_disk_nearly_full_refuses_files_only_and_harms_nothing(settings):
    """Below the floor a file is refused (a large body before it is read, a small one by the
    handler) and the text beside it is still taken (issue 17: the floor guards file bytes)."""
    member, newsroom = make_reader()
    client = Client()
    submit(client, message="first", files=[SimpleUploadedFile("a.txt", b"a")])
    settings.JIANDU_MIN_FREE_BYTES = 10**18
    big = SimpleUploadedFile("big.bin", b"x" * (3 * 1024 * 1024))
    response = submit(client, message="second", files=[big])
    assert response.status_code == 507
    assert b"nearly out of space" in response.content
    assert Item.objects.count() == 2
    response = submit(client, message="third", files=[SimpleUploadedFile("b.txt", b"b")])
    assert response.status_code == 302
    assert (
        "was not kept: the server is nearly out of space"
        in client.get("/en/receipt/").content.decode()
    )
    assert Item.objects.filter(kind="message").count() == 2
    assert _open_names(member, newsroom) == ["a.txt"]


def test_no_global_intake_guard_pauses_new_sources(settings):
    """Issue 17: a count of everyone's stored submissions let any visitor pause the tip line;
    the disk is guarded in bytes (the free-space floor above) and nothing counts sessions
    together (tests/tipline/test_flood.py)."""
    settings.JIANDU_INTAKE_PER_MINUTE = 1
    make_reader()
    assert submit(Client(), message="one").status_code == 302
    assert submit(Client(), message="two").status_code == 302
    assert Source.objects.count() == 2


def test_ciphertext_only_on_disk(isolated_data_dir):
    make_reader()
    marker = b"PLAINTEXT-MARKER-0123456789"
    submit(Client(), files=[SimpleUploadedFile("m.bin", marker * 5000)])
    blobs = _files_on_disk(isolated_data_dir)
    assert blobs
    for path in blobs:
        assert marker not in path.read_bytes()
        assert path.read_bytes()[:8] == b"JDVAULT\x02"


def test_clean_leftovers_removes_parts_and_orphans(isolated_data_dir):
    from jiandu.vault.actions import do_clean_leftovers

    make_reader()
    submit(Client(), files=[SimpleUploadedFile("keep.txt", b"keep")])
    part, handle = storage.open_incoming()
    handle.write(b"half")
    handle.close()
    old = time.time() - storage.PART_KEEP_SECONDS - 3600
    os.utime(part, (old, old))
    young, handle = storage.open_incoming()  # a resumable upload goes on after a restart
    handle.close()
    orphan = storage.blobs_dir() / ("0" * 32 + ".jdv")
    orphan.write_bytes(b"orphan")
    assert do_clean_leftovers() == (1, 1)
    assert not part.exists() and not orphan.exists() and young.exists()
    assert Item.objects.count() == 1 and storage.blob_path(Item.objects.get().blob).exists()


@pytest.mark.parametrize("name", ["../x.jdv", "a" * 32 + ".jdv/..", "", "A" * 32 + ".jdv"])
def test_blob_names_are_checked(name):
    with pytest.raises(storage.StorageError):
        storage.blob_path(name)


def test_stale_parts_are_removed_fresh_ones_kept():
    import os
    import time

    stale, handle = storage.open_incoming()
    handle.close()
    fresh, handle = storage.open_incoming()
    handle.close()
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    assert storage.clean_stale_parts(24 * 3600) == 1
    assert not stale.exists() and fresh.exists()
