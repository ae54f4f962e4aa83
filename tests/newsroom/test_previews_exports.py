"""A source's page with previews made in the background, downloads and exports with custody,
the whole-conversation archive opened offline, notifications without content, admin pages."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import handoff
from jiandu.forensics.models import Preview
from jiandu.ledger.models import CustodyRecord
from jiandu.newsroom import notify
from jiandu.newsroom.models import Notification
from jiandu.vault import conf as vault_conf
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import MARKER, run_tasks
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(media):
    """A journalist (key page seen) and a source with a message, a photo, a video and a reply."""
    member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    files = [
        SimpleUploadedFile("photo.jpg", media["photo.jpg"], "image/jpeg"),
        SimpleUploadedFile("片段.mp4", media["clip.mp4"], "video/mp4"),
    ]
    assert submit(Client(), message="第一条消息", files=files).status_code == 302
    source = Source.objects.get()
    client.post(f"/en/newsroom/sources/{source.pk}/reply/", {"text": "收到"})
    return member, client, source


def run_worker() -> None:
    run_tasks()


def file_item(source: Source, which: str) -> Item:
    photo, video = source.items.filter(kind=Item.Kind.FILE).order_by("pk")
    return photo if which == "photo" else video


def test_previews_through_the_pages(conversation, media, django_capture_on_commit_callbacks):
    _member, client, source = conversation
    photo, video = file_item(source, "photo"), file_item(source, "video")
    base = f"/en/newsroom/sources/{source.pk}/items"
    assert (
        "There is no preview of this file yet."
        in client.get(f"{base}/{photo.pk}/preview/").content.decode()
    )
    no_worker = client.post(f"{base}/{photo.pk}/preview/", follow=True).content.decode()
    assert "No background worker is running" in no_worker

    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}/{photo.pk}/preview/")
        client.post(f"{base}/{video.pk}/preview/")
    assert (
        "being made in the background" in client.get(f"{base}/{photo.pk}/preview/").content.decode()
    )
    source_page = client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert "Preview being made" in source_page
    run_worker()
    assert set(Preview.objects.values_list("state", flat=True)) == {"ready"}

    page = client.get(f"{base}/{photo.pk}/preview/").content.decode()
    assert f'src="{base}/{photo.pk}/preview/0/"' in page
    image = client.get(f"{base}/{photo.pk}/preview/0/")
    assert image["Content-Type"] == "image/webp"
    data = b"".join(image.streaming_content)
    assert data[8:12] == b"WEBP" and MARKER.encode() not in data
    assert data != media["photo.jpg"]  # never the original bytes

    clip = client.get(f"{base}/{video.pk}/preview/0/")
    whole = b"".join(clip.streaming_content)
    assert clip["Content-Type"] == "video/webm" and whole.startswith(b"\x1a\x45\xdf\xa3")
    ranged = client.get(f"{base}/{video.pk}/preview/0/", HTTP_RANGE="bytes=100-199")
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(ranged.streaming_content) == whole[100:200]
    assert (
        client.get(f"{base}/{video.pk}/preview/0/", HTTP_RANGE="bytes=99999999-").status_code == 416
    )
    assert client.get(f"{base}/{video.pk}/preview/3/").status_code == 403
    assert "Preview ready" in client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert CustodyRecord.objects.filter(action="preview", subject=f"item:{photo.pk}").count() >= 2


def test_download_records_custody_and_matches(conversation, media):
    _member, client, source = conversation
    photo = file_item(source, "photo")
    response = client.get(f"/en/newsroom/sources/{source.pk}/items/{photo.pk}/")
    assert (
        hashlib.sha256(b"".join(response.streaming_content)).hexdigest()
        == hashlib.sha256(media["photo.jpg"]).hexdigest()
    )
    assert CustodyRecord.objects.filter(action="download", subject=f"item:{photo.pk}").exists()


def test_source_archive_opens_offline(conversation, media, tmp_path):
    member, client, source = conversation
    response = client.get(f"/en/newsroom/sources/{source.pk}/export/")
    archive = b"".join(response.streaming_content)
    assert archive.startswith(b"JDARCHIVE2\n")
    assert media["photo.jpg"][:2000] not in archive and "第一条消息".encode() not in archive
    assert CustodyRecord.objects.filter(action="export", subject=f"source:{source.pk}").exists()
    (tmp_path / "s.jda").write_bytes(archive)
    (tmp_path / "me.jdkey").write_bytes(client.get("/en/newsroom/sources/key/export/").content)
    (tmp_path / "pw").write_text(member.password)
    result = subprocess.run(
        [sys.executable, "-m", "jiandu.vault.offline", str(tmp_path / "s.jda"), "--key",
         str(tmp_path / "me.jdkey"), "--out", str(tmp_path / "out"), "--password-file",
         str(tmp_path / "pw")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / source.designation
    assert (folder / "002-photo.jpg").read_bytes() == media["photo.jpg"]
    assert (folder / "003-片段.mp4").read_bytes() == media["clip.mp4"]
    conversation_text = (folder / "conversation.txt").read_text()
    assert "第一条消息" in conversation_text and "收到" in conversation_text
    assert conversation_text.index("第一条消息") < conversation_text.index("收到")


def test_archive_for_someone_else_does_not_open(conversation, tmp_path):
    _member, client, source = conversation
    (tmp_path / "s.jda").write_bytes(
        b"".join(client.get(f"/en/newsroom/sources/{source.pk}/export/").streaming_content)
    )
    other = make_member("wang", "journalist")
    other_client = Client()
    sign_in(other_client, other)
    (tmp_path / "wang.jdkey").write_bytes(
        other_client.get("/en/newsroom/sources/key/export/").content
    )
    from jiandu.vault.offline import OfflineError, decrypt_any

    with pytest.raises(OfflineError, match="another member"):
        decrypt_any(tmp_path / "s.jda", tmp_path / "wang.jdkey", other.password, tmp_path / "o")


def deliver_an_hour_later() -> int:
    """What the hourly run does an hour from now: close the hour, then send (at its random
    moment, here at once)."""
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now() + timedelta(hours=1)
    return notify.do_send(notify.do_close_hour(now=later), now=later)


def test_notifications_say_nothing_but_new_activity(django_capture_on_commit_callbacks):
    member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    response = client.post(
        "/en/newsroom/sources/notifications/", {"mode": "each", "email": "zhu@example.org"}
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        submit(Client(), message="first")
    run_worker()
    assert mail.outbox == []  # nothing is sent in the hour of the submission
    assert deliver_an_hour_later() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhu@example.org"]
    designation = Source.objects.get().designation
    assert designation not in message.body and "first" not in message.body
    assert not any(ch.isdigit() for ch in message.subject + message.body)
    with django_capture_on_commit_callbacks(execute=True):
        submit(Client(), message="second")
    assert deliver_an_hour_later() == 0
    assert len(mail.outbox) == 1  # at most one an hour
    assert Notification.objects.get(user=member.user).pending


def test_daily_digest_and_off():
    from datetime import timedelta

    from django.utils import timezone

    _member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    client.post("/en/newsroom/sources/notifications/", {"mode": "daily", "email": "z@example.org"})
    now = timezone.now()
    notify.note_activity()
    assert notify.do_send(notify.do_close_hour(now), now) == 1
    notify.note_activity()
    assert notify.do_close_hour(now + timedelta(hours=23)) == []  # not a day yet
    later = now + timedelta(days=1, hours=1)
    assert notify.do_send(notify.do_close_hour(later), later) == 1
    refused = client.post("/en/newsroom/sources/notifications/", {"mode": "each", "email": ""})
    assert "Give an address" in refused.content.decode()
    client.post("/en/newsroom/sources/notifications/", {"mode": "off", "email": ""})
    notify.note_activity()
    assert notify.do_close_hour(now + timedelta(days=3)) == []


def test_admin_pages(conversation):
    _member, client, _source = conversation
    assert client.get("/en/newsroom/sources/keys/").status_code == 403
    assert client.get("/en/newsroom/sources/retention/").status_code == 403
    admin = make_member("chief", "admin")
    admin_client = Client()
    sign_in(admin_client, admin)
    html = admin_client.get("/en/newsroom/sources/keys/").content.decode()
    assert "zhu" in html and "Usable" in html
    assert "No preview worker running" in html
    # Raising the period needs no second confirmation (lowering does: tests/newsroom/
    # test_retention_settings.py).
    response = admin_client.post("/en/newsroom/sources/retention/", {"days": "120"})
    assert response.status_code == 302
    assert vault_conf.retention_days() == 120
    assert "120 days" in admin_client.get("/en/newsroom/sources/retention/").content.decode()
    assert admin_client.post("/en/newsroom/sources/retention/", {"days": "0"}).status_code == 200


def test_previews_of_all_files_at_once(conversation, django_capture_on_commit_callbacks):
    _member, client, source = conversation
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/newsroom/sources/{source.pk}/previews/", follow=True)
    assert "Previews asked for: 2 file(s)." in response.content.decode()
    assert Preview.objects.filter(state="pending").count() == 2
    run_worker()
    assert Preview.objects.filter(state="ready").count() == 2
    again = client.post(f"/en/newsroom/sources/{source.pk}/previews/", follow=True)
    assert "Previews asked for: 0 file(s)." in again.content.decode()
