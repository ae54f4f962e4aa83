"""Issue 17, item 3: 65 text-only first submissions from fresh sessions in 11 s paused the tip
line (the next six real sources got 503) because the limit was a count of stored submissions.
Now no source is turned away because others are busy: the flood is taken (and cleared in bulk
by the newsroom, tests/newsroom/test_bulk_clear.py), a first submission is answered at once
even when every key-derivation slot is taken (its codename is finished later, from the
source's own session), and a source holding a codename is never refused for others' load."""

from __future__ import annotations

import http.client
import re
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from jiandu.tipline import actions
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import Source, Submission
from tests.tipline.helpers import codename_of, make_reader, submit

FLOOD = 80
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CODENAME = re.compile(r'<p class="codename"[^>]*>([^<]+)</p>')


class Browser:
    """A fresh session against the live server through the standard library: its own cookie,
    no redirects followed (each answer's status is the point)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 80
        self.cookie = ""

    def request(self, method: str, path: str, body: dict[str, str] | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("jiandu_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def first_submission(self, message: str) -> tuple[int, str]:
        _status, _location, page = self.request("GET", "/en/submit/")
        token = TOKEN.search(page)
        assert token, "the submission page has its CSRF token"
        status, location, _text = self.request(
            "POST",
            "/en/submit/",
            {"csrfmiddlewaretoken": token.group(1), "message": message, "style": "en"},
        )
        return status, location


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_fresh_sessions_does_not_turn_real_sources_away(live_server):
    make_reader()
    for number in range(FLOOD):  # the attack: fresh sessions, text only, as fast as it goes
        Browser(live_server.url).first_submission(f"junk {number}")
    for number in range(6):  # the next six real sources
        browser = Browser(live_server.url)
        status, location = browser.first_submission(f"the real tip {number}")
        assert status == 302 and location.endswith("/en/receipt/"), status
        _status, _location, receipt = browser.request("GET", "/en/receipt/")
        codename = CODENAME.search(receipt)
        assert codename and len(unescape(codename.group(1)).split()) == 8
    assert Submission.objects.count() == FLOOD + 6


@pytest.mark.django_db
def test_a_codename_holder_is_never_refused_for_others_load(monkeypatch):
    make_reader()
    holder = Client()
    assert submit(holder, message="my first tip").status_code == 302
    holder.post("/en/codename/noted/", {"noted": "1"})
    for number in range(40):  # others flood the tip line
        submit(Client(), message=f"junk {number}")
    monkeypatch.setattr(crypto, "KDF_WAIT_SECONDS", 0.2)
    with _every_kdf_slot_taken():  # and every key derivation is busy
        response = submit(holder, message="my second tip")
        assert response.status_code == 302
    assert Submission.objects.filter(source_id=holder.session["tipline_source"]).count() == 2


@pytest.mark.django_db
def test_a_first_submission_is_answered_at_once_when_every_kdf_slot_is_taken(monkeypatch):
    make_reader()
    monkeypatch.setattr(crypto, "KDF_WAIT_SECONDS", 0.2)
    source = Client()
    with _every_kdf_slot_taken():
        response = submit(source, message="while the server is busy")
        assert response.status_code == 302
        codename = codename_of(source)
        assert codename in source.get("/en/receipt/").content.decode()
        stored = Source.objects.get()
        assert vault.codename_pending(stored) and stored.submissions.count() == 1
        # Ticking the box while still busy keeps the codename on the page: nothing is lost.
        busy = source.post("/en/codename/noted/", {"noted": "1"}, follow=True)
        assert codename in busy.content.decode()
        assert "still busy setting up your codename" in busy.content.decode()
    # The source's own session finishes the codename once a slot is free.
    assert source.post("/en/codename/noted/", {"noted": "1"}).status_code == 302
    stored.refresh_from_db()
    assert not vault.codename_pending(stored)
    found, _reply_key = actions.get_source_by_codename(codename)
    assert found.pk == stored.pk
    returning = Client()
    assert returning.post("/en/return/", {"codename": codename}).status_code == 302


class _every_kdf_slot_taken:
    """Hold every Argon2id slot of this process, as a flood of derivations would."""

    def __enter__(self) -> None:
        self.slots = crypto._kdf_slots()
        self.held = 0
        while self.slots.acquire(blocking=False):
            self.held += 1

    def __exit__(self, *exc: object) -> None:
        for _ in range(self.held):
            self.slots.release()
