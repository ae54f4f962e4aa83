"""The marker test of the tip line, run again after everything the inbox does with evidence:
previews made by the worker and looked at, downloads, encrypted item and source exports, the
CSV, triage and custody records. The data dir, every table, the logs and the task queue still
hold no trace of the marker, the file names or the previews' plaintext."""

import logging
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import handoff
from jiandu.forensics.models import Preview
from jiandu.vault.models import Item, Source
from tests.forensics.conftest import make_worker
from tests.tipline.helpers import make_reader, submit
from tests.vault.test_marker import database_dump, encodings

pytestmark = pytest.mark.django_db(transaction=True)


def test_marker_appears_nowhere_after_previews_and_exports(media, isolated_data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    marker = "JIANDU-MARKER-" + secrets.token_hex(12)
    photo_name = f"leak-{secrets.token_hex(6)}-雷.jpg"
    video_name = f"leak-{secrets.token_hex(6)}-tape.mp4"
    _member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    photo = media["photo.jpg"] + marker.encode()  # trailing bytes after the JPEG's end
    files = [
        SimpleUploadedFile(photo_name, photo, "image/jpeg"),
        SimpleUploadedFile(video_name, media["clip.mp4"], "video/mp4"),
    ]
    assert submit(Client(), message=f"note {marker}", files=files, who=marker).status_code == 302
    source = Source.objects.get()
    base = f"/en/newsroom/sources/{source.pk}"

    handoff.start_worker_key()
    assert marker in client.get(f"{base}/").content.decode()
    items = list(source.items.filter(kind=Item.Kind.FILE).order_by("pk"))
    for item in items:
        client.post(f"{base}/items/{item.pk}/preview/")
    make_worker("marker").run()
    assert set(Preview.objects.values_list("state", flat=True)) == {"ready"}
    previews = []
    for item in items:
        assert "preview/0/" in client.get(f"{base}/items/{item.pk}/preview/").content.decode()
        previews.append(
            b"".join(client.get(f"{base}/items/{item.pk}/preview/0/").streaming_content)
        )
        downloaded = b"".join(client.get(f"{base}/items/{item.pk}/").streaming_content)
        assert downloaded in (photo, media["clip.mp4"])
        b"".join(client.get(f"{base}/items/{item.pk}/export/").streaming_content)
    b"".join(client.get(f"{base}/export/").streaming_content)
    b"".join(client.get("/en/newsroom/sources/export.csv").streaming_content)
    client.post(f"{base}/triage/", {"status": "in_review", "assignee": "", "starred": "on"})
    client.post(f"{base}/reply/", {"text": f"reply {marker}"})

    haystacks = {
        str(path): path.read_bytes() for path in isolated_data_dir.rglob("*") if path.is_file()
    }
    haystacks["database"] = database_dump()
    haystacks["logs"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
    ).encode()
    assert any(path.endswith(".jdp") for path in haystacks)  # previews are on disk, encrypted
    needles = encodings(marker.encode()) + encodings(photo_name.encode())
    needles += encodings(video_name.encode())
    needles += [preview[200:264] for preview in previews]
    hits = [
        (where, needle[:24]) for where, data in haystacks.items() for needle in needles
        if needle in data
    ]  # fmt: skip
    assert hits == []
