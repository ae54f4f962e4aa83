"""The marker test, after previews: files carrying a marker (in their metadata and in their
names) are previewed by the worker; then the data dir, every table, the logs and the task queue
hold no trace of the marker, the names or the previews' plaintext."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import actions, handoff
from jiandu.forensics.models import Preview
from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.forensics.conftest import MARKER, make_worker
from tests.tipline.helpers import make_reader, submit
from tests.vault.test_marker import database_dump, encodings

pytestmark = pytest.mark.django_db(transaction=True)


def test_previews_leave_no_marker(media, isolated_data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    names = {
        "photo.jpg": f"{MARKER}-photo.jpg",
        "clip.mp4": f"{MARKER}-clip.mp4",
        "notes.pdf": f"{MARKER}-notes.pdf",
        "call.wav": f"{MARKER}-call.wav",
    }
    member, _client = make_reader()
    files = [
        SimpleUploadedFile(names[key], media[key], "application/octet-stream") for key in names
    ]
    assert submit(Client(), message="files", files=files).status_code == 302
    source = Source.objects.get()
    member_private = vault.do_unlock_member_key(member.user, member.password).private_key
    source_key = get_source_key_for_member(member.user, member_private, source)

    worker = handoff.start_worker_key()
    for item in source.items.filter(kind=Item.Kind.FILE):
        actions.do_request_preview(member.user, source_key, item)
    make_worker("marker-test", (worker.queue_name,)).run()

    previews = list(Preview.objects.all())
    assert [p.state for p in previews] == [Preview.State.READY] * 4
    opened = [actions.open_preview(source_key, p) for p in previews]
    assert {o.content_type for o in opened} == {
        "image/webp",
        "video/webm",
        "image/png",
        "audio/webm",
    }
    plaintexts = [b"".join(o.stream()) for o in opened]

    haystacks = {
        str(path): path.read_bytes() for path in isolated_data_dir.rglob("*") if path.is_file()
    }
    haystacks["database"] = database_dump()
    haystacks["logs"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
    ).encode()
    needles = encodings(MARKER.encode())
    for name in names.values():
        needles += encodings(name.encode())
    for plaintext in plaintexts:
        needles.append(plaintext[100:164])  # a slice of each preview's plaintext
    hits = [
        (where, needle[:20])
        for where, data in haystacks.items()
        for needle in needles
        if needle in data
    ]
    assert hits == []
