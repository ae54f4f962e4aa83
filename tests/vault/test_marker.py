"""The marker test: a message and a file carrying a unique marker, a file name nobody else uses,
and a reply; then the data dir, every database table, the logs and the task queue are searched
for the marker (raw, hex, base64 at every alignment) and the file name. Zero hits."""

import base64
import logging
import secrets

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from jiandu.vault import actions as vault
from jiandu.vault.models import Source
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db(transaction=True)


def encodings(needle: bytes) -> list[bytes]:
    """The needle raw, in hex, and in base64 at each of the three byte alignments (the inner
    characters that do not depend on neighbouring bytes)."""
    forms = [needle, needle.hex().encode(), needle.hex().upper().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + needle)
        start = (shift * 4 + 2) // 3 + (1 if shift else 0)
        end = len(encoded) - 4
        forms.append(encoded[start:end])
        forms.append(base64.urlsafe_b64encode(b"\0" * shift + needle)[start:end])
    return [form for form in forms if len(form) >= 8]


def database_dump() -> bytes:
    """Every row of every table, as text and raw bytes (works on SQLite and PostgreSQL)."""
    out = bytearray()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        out += bytes(value)
                    else:
                        out += str(value).encode()
                    out += b"\n"
    return bytes(out)


def test_marker_appears_nowhere(isolated_data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    marker = b"JIANDU-MARKER-" + secrets.token_hex(12).encode()
    file_name = f"leak-{secrets.token_hex(6)}-雷.mp4"
    member, newsroom = make_reader()
    source = Client()
    content = b"head " + marker + b" tail " + secrets.token_bytes(100_000) + marker
    response = submit(
        source,
        message=f"message with {marker.decode()}",
        files=[SimpleUploadedFile(file_name, content, "video/mp4")],
        who=f"answer {marker.decode()}",
    )
    assert response.status_code == 302
    source.get("/en/receipt/")
    vault.do_add_reply(Source.objects.get(), member.user, f"reply {marker.decode()}")
    from jiandu.vault.tasks import schedule_retention

    schedule_retention()  # the task queue holds something to search
    assert apps.get_model("django_tasks_database", "DBTaskResult").objects.exists()

    # The newsroom can read it all (so the marker really went in).
    row = Source.objects.get()
    newsroom.get("/en/newsroom/sources/key/")  # the recovery key, shown once
    page = newsroom.get(f"/en/newsroom/sources/{row.pk}/").content.decode()
    assert marker.decode() in page and file_name in page

    haystacks = {
        str(path): path.read_bytes() for path in isolated_data_dir.rglob("*") if path.is_file()
    }
    haystacks["database"] = database_dump()
    haystacks["logs"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
    ).encode()
    assert len(haystacks["database"]) > 1000
    needles = encodings(marker) + encodings(file_name.encode())
    hits = [
        (where, needle) for where, data in haystacks.items() for needle in needles if needle in data
    ]
    assert hits == []


def test_encodings_find_what_they_should():
    needle = b"JIANDU-MARKER-abcdef"
    for shift in range(3):
        blob = base64.b64encode(b"x" * shift + needle + b"yy")
        assert any(form in blob for form in encodings(needle)[3:])
