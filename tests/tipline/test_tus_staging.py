"""Issue 17, item 4 and item 12 (uploads): what resumable uploads may hold on the disk.

- `Upload-Length` is reserved at creation against a per-session quota (413) and a staging quota
  for everyone together (507), each refusal with a message in the source's language; a stock
  client (tuspy) against the live server sees the same;
- an upload not sent to for JIANDU_STAGING_IDLE_HOURS is removed by the hourly job (its `.part`
  and its reservation), while a fresh one stays;
- below the free-space floor a text-only tip is still taken (only files are refused);
- admins see what is staged (bytes, uploads, quota, oldest hour) and nothing that names an
  upload or a source;
- two PATCHes to one upload at once: the second is refused while the first holds the upload
  (the offset is checked again under the lock), and the file is not corrupted.
"""

import hashlib
import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from bench.tus_drill import browser_session
from jiandu.vault import resumable, storage
from jiandu.vault.actions import hour_now
from jiandu.vault.models import Item, Source, StagedUpload
from jiandu.vault.sessions import SessionStore
from jiandu.vault.tasks import purge_idle_sources
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit
from tests.tipline.test_tus import DATA, create, patch, session

pytestmark = pytest.mark.django_db


def _parts() -> list:
    return sorted(p.name for p in storage.incoming_dir().glob("*.part"))


def test_creation_past_the_session_quota_is_413_with_a_message(settings):
    settings.JIANDU_STAGING_SESSION_BYTES = 100_000
    client, headers = session()
    assert create(client, headers, length=60_000).status_code == 201
    refused = create(client, headers, length=60_000, name="second.mp4")
    assert refused.status_code == 413 and refused["Tus-Resumable"] == "1.0.0"
    text = refused.content.decode()
    assert "second.mp4" in text and "the most we hold for one conversation" in text
    assert StagedUpload.objects.count() == 1 and len(_parts()) == 1
    # Removing the first upload frees its reservation.
    first = client.session[resumable.SESSION_KEY]
    url = f"/en/upload/{next(iter(first))}/"
    assert client.delete(url, headers=headers).status_code == 204
    assert create(client, headers, length=60_000).status_code == 201


def test_creation_past_the_staging_quota_is_507_in_the_sources_language(settings):
    settings.JIANDU_STAGING_TOTAL_BYTES = 100_000
    client, headers = session()
    assert create(client, headers, length=60_000).status_code == 201
    other = Client(enforce_csrf_checks=True)
    other.get("/zh-hant/submit/")
    other_headers = {**headers, "X-CSRFToken": other.session["_csrftoken"]}
    refused = other.post(
        "/zh-hant/upload/",
        headers={**other_headers, "Upload-Length": "60000", "Upload-Metadata": ""},
    )
    assert refused.status_code == 507
    assert "沒有開始上傳" in refused.content.decode() and "爆料通道" in refused.content.decode()
    assert StagedUpload.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_stock_tus_client_sees_the_quota_refusal_with_its_message(
    live_server, settings, tmp_path
):
    settings.JIANDU_STAGING_SESSION_BYTES = 150_000
    make_reader()
    cookie, token = browser_session(live_server.url)
    client = TusClient(
        f"{live_server.url}/en/upload/", headers={"Cookie": cookie, "X-CSRFToken": token}
    )
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(DATA[:100_000])
    big.write_bytes(DATA[:100_000])
    client.uploader(file_path=str(small), chunk_size=40_000, retries=0).upload()
    with pytest.raises(TusCommunicationError) as refused:
        client.uploader(file_path=str(big), chunk_size=40_000, retries=0).upload()
    assert refused.value.status_code == 413
    assert b"the most we hold for one conversation" in refused.value.response_content


def test_an_idle_upload_is_removed_by_the_hourly_job_and_a_fresh_one_stays(settings):
    settings.JIANDU_STAGING_IDLE_HOURS = 3
    client, headers = session()
    idle_url = create(client, headers)["Location"]
    assert patch(client, headers, idle_url, 0, DATA[:70_000]).status_code == 204
    fresh_url = create(client, headers)["Location"]
    assert len(_parts()) == 2
    idle = StagedUpload.objects.get(offset=70_000)
    assert idle.touched_hour == hour_now()  # times to the hour only
    StagedUpload.objects.filter(pk=idle.pk).update(
        touched_hour=hour_now() - timedelta(hours=4), created_hour=hour_now() - timedelta(hours=4)
    )
    purge_idle_sources.call()
    assert _parts() == [StagedUpload.objects.get().part]
    assert client.head(idle_url, headers=headers).status_code == 404
    assert client.head(fresh_url, headers=headers).status_code == 200


def test_below_the_free_space_floor_a_text_tip_is_taken_and_files_are_refused(settings):
    make_reader()
    settings.JIANDU_MIN_FREE_BYTES = 10**18
    client = Client()
    response = submit(client, message="the minister's diary is in the safe")
    assert response.status_code == 302
    assert Item.objects.filter(kind="message").count() == 1
    # A file is still refused below the floor, over tus as well.
    client, headers = session(reader=False)
    refused = create(client, headers)
    assert refused.status_code == 507 and "nearly out of space" in refused.content.decode()


def test_admins_see_staging_use_without_anything_that_names_an_upload(settings):
    settings.JIANDU_STAGING_TOTAL_BYTES = 5 * 1024**3
    client, headers = session()
    admin_client = Client()
    sign_in(admin_client, make_member("chief", "admin"))
    url = create(client, headers)["Location"]
    create(client, headers, length=1000)
    page = admin_client.get("/en/newsroom/sources/keys/").content.decode()
    assert "Uploads being sent" in page
    assert f"{len(DATA) + 1000:,} bytes" in page and "5.0 GiB" in page
    assert timezone.localtime(hour_now()).strftime("%Y-%m-%d %H:00") in page
    upload_id = url.rstrip("/").rsplit("/", 1)[1]
    assert upload_id not in page
    assert not any(part.removesuffix(".part") in page for part in _parts())
    newsroom = Client()
    sign_in(newsroom, make_member("jing", "journalist"))
    assert newsroom.get("/en/newsroom/sources/keys/").status_code == 403


class SlowBody:
    """A request body that sends its first half, then waits until told to go on."""

    def __init__(self, data: bytes) -> None:
        self.data, self.sent = data, 0
        self.half_sent, self.go_on = threading.Event(), threading.Event()

    def read(self, size: int = -1) -> bytes:
        half = len(self.data) // 2
        if self.sent >= half and not self.go_on.is_set():
            self.half_sent.set()
            self.go_on.wait(10)
        limit = len(self.data) if self.go_on.is_set() else half
        end = limit if size < 0 else min(limit, self.sent + size)
        piece, self.sent = self.data[self.sent : end], end
        return piece


@pytest.mark.django_db(transaction=True)
def test_a_second_patch_while_the_first_is_sending_is_refused_and_nothing_is_mixed():
    client, headers = session()
    url = create(client, headers)["Location"]
    upload_id = url.rstrip("/").rsplit("/", 1)[1]
    first_body = SlowBody(DATA[:100_000])
    # The first PATCH, as a worker thread of the server runs it: its own copy of the session.
    first_session = SessionStore(client.cookies["jiandu_session"].value)
    outcome = {}

    def first_patch() -> None:
        try:
            outcome["offset"] = resumable.append(
                first_session, upload_id, 0, first_body, len(first_body.data)
            )
        except resumable.ResumableError as exc:
            outcome["error"] = exc.code

    thread = threading.Thread(target=first_patch)
    thread.start()
    assert first_body.half_sent.wait(10)
    # The second, over HTTP, at the same offset while the first is half way.
    second = patch(client, headers, url, 0, b"\0" * 100_000)
    first_body.go_on.set()
    thread.join(10)
    assert second.status_code == 409 and second["Upload-Offset"] == "0"
    assert outcome == {"offset": 100_000}
    # The upload goes on from where the first PATCH left it, and arrives whole.
    assert client.head(url, headers=headers)["Upload-Offset"] == "100000"
    rest = patch(client, headers, url, 100_000, DATA[100_000:])
    assert rest.status_code == 204
    response = client.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": headers["X-CSRFToken"], "uploads": url, "style": "en"},
    )
    assert response.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()
    assert Source.objects.count() == 1
