"""Floods must not close the doors: only stored submissions count, and only toward their own
conversation's hourly limit (nothing counts everyone together: tests/tipline/test_flood.py);
and a first submission is one transaction."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from jiandu.tipline import actions
from jiandu.vault import actions as vault
from jiandu.vault import storage
from jiandu.vault.models import Item, Source, Submission
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


def test_sixty_junk_posts_then_a_real_submission_is_received():
    make_reader()
    for _ in range(20):  # no CSRF token at all
        Client(enforce_csrf_checks=True).post("/en/submit/", {"message": "x"})
    for _ in range(20):  # a valid form that holds nothing
        assert submit(Client(), message="   ").status_code == 200
    for _ in range(20):  # the honeypot filled in
        assert submit(Client(), message="spam", website="http://x").status_code == 400
    assert not Source.objects.exists()

    response = submit(Client(), message="the real tip")
    assert response.status_code == 302
    assert Submission.objects.count() == 1


def test_broken_bodies_do_not_count_toward_the_intake_limit(settings):
    settings.JIANDU_INTAKE_PER_SOURCE_HOUR = 1
    make_reader()
    client = Client()
    for _ in range(5):
        client.get("/en/submit/")
        response = client.generic(
            "POST", "/en/submit/", b"--XyZ\r\ngarbage", content_type="multipart/form-data"
        )
        assert response.status_code == 400
    assert submit(client, message="received").status_code == 302


def test_one_source_is_limited_per_hour_and_others_are_not(settings):
    settings.JIANDU_INTAKE_PER_SOURCE_HOUR = 2
    make_reader()
    busy = Client()
    assert submit(busy, message="one").status_code == 302
    assert submit(busy, message="two").status_code == 302
    response = submit(busy, message="three")
    assert response.status_code == 429
    assert b"2 submissions within the hour" in response.content
    assert b"put several files into one submission" in response.content
    assert Submission.objects.count() == 2
    # Another conversation is untouched.
    assert submit(Client(), message="someone else").status_code == 302


def test_the_per_source_limit_lifts_after_an_hour(settings, monkeypatch):
    from jiandu.core import throttle

    moment = [1_800_000_000.0]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    settings.JIANDU_INTAKE_PER_SOURCE_HOUR = 1
    make_reader()
    busy = Client()
    assert submit(busy, message="a").status_code == 302
    assert submit(busy, message="b").status_code == 429
    moment[0] += 3601
    assert submit(busy, message="b").status_code == 302


def test_no_count_of_everyone_together_refuses_a_new_source(settings):
    """The old global guard (stored submissions a minute from everyone) let any visitor pause
    the tip line; the setting is gone and nothing else counts all sessions together."""
    settings.JIANDU_INTAKE_PER_MINUTE = 1
    make_reader()
    for number in range(5):
        assert submit(Client(), message=f"tip {number}").status_code == 302


def test_resumable_uploads_check_the_limits_but_do_not_count(settings):
    settings.JIANDU_INTAKE_PER_SOURCE_HOUR = 1
    make_reader()
    client = Client()
    client.get("/en/submit/")
    for _ in range(3):
        assert _create_upload(client).status_code == 201
    assert submit(client, message="received").status_code == 302
    response = _create_upload(client)
    assert response.status_code == 429 and response["Tus-Resumable"] == "1.0.0"
    assert "submissions within the hour" in response.content.decode()


def _create_upload(client):
    """tus creation (jiandu.tipline.tus)."""
    return client.post(
        "/en/upload/",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": "filename YS50eHQ=",
        },
    )


def test_intake_counts_are_not_kept_in_the_database():
    make_reader()
    submit(Client(), message="tip")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM jiandu_cache")
        assert [k for (k,) in cursor.fetchall() if "intake" in k] == []


def test_a_failed_first_submission_leaves_no_source(monkeypatch, isolated_data_dir):
    make_reader()
    prepared = [vault.prepare_text(Item.Kind.MESSAGE, "a tip")]

    def disk_fails(part):
        raise OSError("no space left on device")

    monkeypatch.setattr(storage, "publish", disk_fails)
    with pytest.raises(OSError):
        actions.do_first_submission("en", prepared)
    assert not Source.objects.exists()
    assert not [p for p in (isolated_data_dir / "vault").rglob("*") if p.is_file()]


def test_a_failed_first_submission_through_the_page_leaves_no_source(monkeypatch):
    make_reader()

    def rows_fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Item.objects, "bulk_create", rows_fail)
    client = Client(raise_request_exception=False)
    response = submit(client, message="tip", files=[SimpleUploadedFile("a.txt", b"a")])
    assert response.status_code == 500
    assert not Source.objects.exists()
