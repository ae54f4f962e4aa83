"""Uploads survive a closed browser (issue 19, item 2), against a real `jiandu serve`.

A source sends a message first and gets its codename (the order the page advises), then, signed
in, starts a file with tuspy (a stock tus client) and stops a third of the way. The browser is
closed (the client's cookie is dropped) and the server is stopped and started again (a new
process: nothing in memory survives). A new cookie jar signs in with the codename; the page
lists the unfinished upload; the same URL resumes from the server's offset once the client
shows the file's first bytes' SHA-256; a different file of the same name and size is refused
without a byte kept. After the form is sent, the newsroom (the demo admin's key, in a separate
process over the same data dir) decrypts the exact bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from bench.tus_drill import ROOT, Server, browser_session, free_port

pytestmark = pytest.mark.timeout(300)

MIB = 1024 * 1024


def _request(
    base: str, method: str, path: str, cookie: str, body: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str, str]:
    """(status, headers, page, cookie after it): one form request as a browser makes it."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    for value in response.headers.get_all("Set-Cookie") or []:
        if value.startswith("jiandu_session="):
            cookie = value.split(";")[0]
    answer = (response.status, dict(response.getheaders()), page, cookie)
    conn.close()
    return answer


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _tus(base: str, method: str, path: str, headers: dict[str, str], data: bytes = b""):
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    conn.request(method, path, body=data, headers={"Tus-Resumable": "1.0.0", **headers})
    response = conn.getresponse()
    response.read()
    answer = (response.status, dict(response.getheaders()))
    conn.close()
    return answer


NEWSROOM_READS = r"""
import hashlib, json, os, re, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
django.setup()
from jiandu.accounts.models import User
from jiandu.vault import access, crypto
from jiandu.vault.models import Item, MemberKey
username, password = sys.argv[1], sys.argv[2]
user = User.objects.get(username=username)
member = crypto.unwrap_with_password(MemberKey.objects.get(user=user).password_wrapped, password)
found = []
for item in Item.objects.filter(kind=Item.Kind.FILE):
    key = access.get_source_key_for_member(user, member, item.source)
    digest = hashlib.sha256()
    for block in access.open_item(key, item).stream():
        digest.update(block)
    found.append(digest.hexdigest())
print(json.dumps(found))
"""


def test_an_upload_resumes_after_the_browser_and_the_server_restart(tmp_path: Path):
    content = os.urandom(12 * MIB)
    expected = hashlib.sha256(content).hexdigest()
    name = "证据-recording.bin"
    path = tmp_path / name
    path.write_bytes(content)
    server = Server(tmp_path / "data", free_port(), tmp_path / "serve.log")
    base = f"http://127.0.0.1:{server.port}"
    try:
        printed = server.command("demo")
        username = re.search(r"username: (\S+)", printed).group(1)
        password = re.search(r"password: (\S+)", printed).group(1)
        server.start()

        # Codename first: a short message, the receipt, the codename noted.
        cookie, token = browser_session(base)
        status, headers, _page, cookie = _request(
            base,
            "POST",
            "/en/submit/",
            cookie,
            {"csrfmiddlewaretoken": token, "message": "files follow", "style": "en"},
        )
        assert status == 302, status
        _status, _headers, page, cookie = _request(base, "GET", "/en/receipt/", cookie)
        codename = html.unescape(re.search(r'<p class="codename"[^>]*>([^<]+)</p>', page)[1])
        _status, _headers, _page, cookie = _request(
            base,
            "POST",
            "/en/codename/noted/",
            cookie,
            {"csrfmiddlewaretoken": _token(page), "noted": "1"},
        )

        # Signed in: the sending page says what survives a closed browser.
        _status, _headers, page, cookie = _request(base, "GET", "/en/submit/", cookie)
        assert "sign in again with your codename and choose the same file" in page, page[-3000:]
        from tusclient.client import TusClient

        headers = {"Cookie": cookie, "X-CSRFToken": _token(page)}
        first = TusClient(f"{base}/en/upload/", headers=headers).uploader(
            file_path=str(path),
            chunk_size=2 * MIB,
            metadata={"filename": name, "filetype": "application/octet-stream"},
            retries=0,
        )
        first.upload(stop_at=4 * MIB)
        url = first.url
        stopped_at = first.get_offset()
        assert stopped_at == 4 * MIB

        # The browser is closed (its cookie is gone) and the server starts again.
        server.stop()
        server.start()
        stranger, _stranger_token = browser_session(base)
        status, _headers = _tus(base, "HEAD", urllib.parse.urlsplit(url).path, {"Cookie": stranger})
        assert status == 404  # a session without the codename finds nothing

        # A new browser: sign in with the codename; the page lists the unfinished upload.
        _status, _headers, page, cookie = _request(base, "GET", "/en/return/", "")
        status, _headers, _page, cookie = _request(
            base,
            "POST",
            "/en/return/",
            cookie,
            {"csrfmiddlewaretoken": _token(page), "codename": codename},
        )
        assert status == 302, status
        _status, _headers, page, cookie = _request(base, "GET", "/en/conversation/", cookie)
        listed = re.search(r'<section class="panel unfinished-uploads".*?</section>', page, re.S)
        assert listed, page[:6000]
        assert name in listed[0] and "(33%)" in listed[0]
        _status, _headers, page, cookie = _request(base, "GET", "/en/submit/", cookie)
        held = re.search(r"<li data-held-upload[^>]*>", page)[0]
        assert f'data-url="{urllib.parse.urlsplit(url).path}"' in held
        head_length = int(re.search(r'data-head-length="(\d+)"', held)[1])
        assert 0 < head_length <= 2 * MIB
        headers = {"Cookie": cookie, "X-CSRFToken": _token(page)}
        token = headers["X-CSRFToken"]

        # Another file of the same name and size is refused, and nothing of it is kept.
        other = bytes(64) + content[64:]
        wrong = base64.b64encode(hashlib.sha256(other[:head_length]).digest()).decode()
        status, answer = _tus(
            base,
            "PATCH",
            urllib.parse.urlsplit(url).path,
            {
                **headers,
                "Upload-Offset": str(stopped_at),
                "Content-Type": "application/offset+octet-stream",
                "Upload-Head-Checksum": f"sha256 {wrong}",
            },
            other[stopped_at : stopped_at + MIB],
        )
        assert status == 422 and answer["Upload-Offset"] == str(stopped_at)
        status, _headers = _tus(
            base,
            "PATCH",
            urllib.parse.urlsplit(url).path,
            {
                **headers,
                "Upload-Offset": str(stopped_at),
                "Content-Type": "application/offset+octet-stream",
            },
            content[stopped_at : stopped_at + MIB],
        )
        assert status == 422  # without the proof, nothing either

        # The same file: tuspy asks the offset (HEAD) and sends the rest.
        right = base64.b64encode(hashlib.sha256(content[:head_length]).digest()).decode()
        resumed = TusClient(
            f"{base}/en/upload/", headers={**headers, "Upload-Head-Checksum": f"sha256 {right}"}
        ).uploader(file_path=str(path), url=url, chunk_size=2 * MIB, upload_checksum=True)
        assert resumed.offset == stopped_at
        resumed.upload()

        status, _headers, _page, cookie = _request(
            base,
            "POST",
            "/en/submit/",
            cookie,
            {"csrfmiddlewaretoken": token, "uploads": url, "message": "", "style": "en"},
        )
        assert status == 302, status
        _status, _headers, page, cookie = _request(base, "GET", "/en/receipt/", cookie)
        assert expected in page
    finally:
        server.stop()
    env = dict(server.env)
    read = subprocess.run(
        [sys.executable, "-c", NEWSROOM_READS, username, password],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(read.stdout.strip().splitlines()[-1]) == [expected]
