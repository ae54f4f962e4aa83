"""The newsroom minimum: sources by designation, items decrypted, a streamed download that is
byte-identical, replies the source can read, an export that `jiandu decrypt` opens offline, and
re-granting to a member whose key was reset."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.newsroom import actions as member_flows
from jiandu.vault.models import Item, Source, SourceGrant
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db

CONTENT = os.urandom(200_000)


def _source_with_file():
    member, newsroom = make_reader()
    source = Client()
    submit(
        source,
        message="第一条消息",
        files=[SimpleUploadedFile("雷政富 clip.mp4", CONTENT, "video/mp4")],
        when="2012-11",
    )
    source.post("/en/codename/noted/", {"noted": "1"})
    return member, newsroom, source, Source.objects.get()


def _first_visit(newsroom):
    """The first page after the first sign-in shows the recovery key once."""
    response = newsroom.get("/en/newsroom/sources/")
    assert response.status_code == 302 and response["Location"].endswith("/sources/key/")
    page = newsroom.get("/en/newsroom/sources/key/").content.decode()
    assert "Your recovery key" in page
    assert "Your recovery key" not in newsroom.get("/en/newsroom/sources/key/").content.decode()


def test_list_read_download_reply():
    _member, newsroom, source, row = _source_with_file()
    _first_visit(newsroom)
    page = newsroom.get("/en/newsroom/sources/").content.decode()
    assert row.designation in page
    detail = newsroom.get(f"/en/newsroom/sources/{row.pk}/").content.decode()
    assert "第一条消息" in detail and "雷政富 clip.mp4" in detail and "2012-11" in detail
    assert hashlib.sha256(CONTENT).hexdigest() in detail
    item = row.items.get(kind=Item.Kind.FILE)
    response = newsroom.get(f"/en/newsroom/sources/{row.pk}/items/{item.pk}/")
    assert response.streaming
    assert b"".join(response.streaming_content) == CONTENT
    assert "filename*=UTF-8''%E9%9B%B7" in response["Content-Disposition"]
    response = newsroom.post(f"/en/newsroom/sources/{row.pk}/reply/", {"text": "收到，谢谢"})
    assert response.status_code == 302
    assert "收到，谢谢" in source.get("/en/conversation/").content.decode()


def test_members_without_read_access_are_refused():
    _source_with_file()
    moderator = make_member("mod", "moderator")
    client = Client()
    sign_in(client, moderator)
    assert client.get("/en/newsroom/sources/").status_code == 403
    assert client.get(f"/en/newsroom/sources/{Source.objects.get().pk}/").status_code == 403


def test_reset_member_gets_access_back_from_a_colleague(django_capture_on_commit_callbacks):
    member, newsroom, _source, row = _source_with_file()
    other = make_member("wang", "journalist")
    other_client = Client()
    sign_in(other_client, other)
    # wang signed in after the source wrote: no grant yet, then zhu grants.
    assert not SourceGrant.objects.filter(member_key__user=other.user).exists()
    _first_visit(newsroom)
    assert "wang" in newsroom.get("/en/newsroom/sources/").content.decode()
    newsroom.post("/en/newsroom/sources/grant/")
    assert SourceGrant.objects.filter(member_key__user=other.user, source=row).exists()

    # zhu loses password and recovery key: reset, new key, wang re-grants.
    with django_capture_on_commit_callbacks(execute=True):
        reset = member_flows.do_reset_credentials(member.user)
    fresh = Client()
    response = fresh.post("/en/newsroom/", {"username": "zhu", "password": reset.one_time_password})
    assert response.status_code == 302
    member.user.refresh_from_db()
    member.user.totp_confirmed = True
    member.user.must_change_password = False
    member.user.save()
    import pyotp

    fresh.post("/en/newsroom/verify/", {"code": pyotp.TOTP(member.user.totp_secret).now()})
    assert fresh.get("/en/newsroom/sources/")["Location"].endswith("/sources/key/")
    fresh.post("/en/newsroom/sources/key/", {"password": reset.one_time_password, "new_key": "1"})
    assert not SourceGrant.objects.filter(member_key__user=member.user).exists()
    other_client.get("/en/newsroom/sources/key/")  # wang's recovery key page
    other_client.post("/en/newsroom/sources/grant/")
    assert "Your recovery key" in fresh.get("/en/newsroom/sources/key/").content.decode()
    assert "第一条消息" in fresh.get(f"/en/newsroom/sources/{row.pk}/").content.decode()


def test_export_decrypts_offline_byte_identical(tmp_path):
    member, newsroom, _source, row = _source_with_file()
    _first_visit(newsroom)
    item = row.items.get(kind=Item.Kind.FILE)
    bundle = newsroom.get(f"/en/newsroom/sources/{row.pk}/items/{item.pk}/export/")
    (tmp_path / "item.jdx").write_bytes(b"".join(bundle.streaming_content))
    key = newsroom.get("/en/newsroom/sources/key/export/")
    (tmp_path / "zhu.jdkey").write_bytes(key.content)
    (tmp_path / "pw").write_text(member.password)
    assert CONTENT not in (tmp_path / "item.jdx").read_bytes()
    env = {"PATH": os.environ["PATH"], "JIANDU_DATA_DIR": str(tmp_path / "offline-data")}
    jiandu = os.path.join(os.path.dirname(sys.executable), "jiandu")
    result = subprocess.run(
        [
            jiandu,
            "decrypt",
            str(tmp_path / "item.jdx"),
            "--key",
            str(tmp_path / "zhu.jdkey"),
            "--out",
            str(tmp_path / "out"),
            "--password-file",
            str(tmp_path / "pw"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "雷政富 clip.mp4").read_bytes() == CONTENT
    (tmp_path / "pw").write_text("wrong password")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jiandu.vault.offline",
            str(tmp_path / "item.jdx"),
            "--key",
            str(tmp_path / "zhu.jdkey"),
            "--out",
            str(tmp_path / "out2"),
            "--password-file",
            str(tmp_path / "pw"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "password does not open" in result.stderr
