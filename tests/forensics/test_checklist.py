"""The verification checklist: entries with who, when and a sealed note, each in the custody log,
and the derived status (unverified, partly verified, verified, disputed)."""

import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import actions, checklist
from jiandu.forensics.models import CheckEntry
from jiandu.ledger.models import CustodyRecord
from jiandu.vault import crypto
from jiandu.vault.models import Item, Source
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db
TOPICS = CheckEntry.Topic.values


def test_derived_status_rules():
    assert checklist.derive_status({}) == "unverified"
    assert checklist.derive_status({"origin": "confirmed"}) == "partly"
    assert checklist.derive_status(dict.fromkeys(TOPICS, "confirmed")) == "verified"
    disputed = {**dict.fromkeys(TOPICS, "confirmed"), "official": "disputed"}
    assert checklist.derive_status(disputed) == "disputed"
    assert checklist.derive_status({"origin": "open"}) == "unverified"


def test_ticking_entries_writes_custody_and_the_latest_entry_counts(isolated_data_dir):
    member, _client = make_reader()
    submit(
        Client(), message="m", files=[SimpleUploadedFile("a.jpg", b"\xff\xd8\xff", "image/jpeg")]
    )
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    for topic in TOPICS:
        actions.do_record_check(member.user, item, topic, "confirmed", f"checked {topic}")
    assert checklist.get_verification_status(item.pk) == "verified"
    actions.do_record_check(member.user, item, "official", "disputed", "ministry denies it")
    assert checklist.get_verification_status(item.pk) == "disputed"
    records = CustodyRecord.objects.filter(subject=f"item:{item.pk}", action="status")
    assert records.count() == len(TOPICS) + 1
    assert records.last().reason == "checklist official: disputed"
    entry = checklist.get_latest_entries(item.pk)["official"]
    assert entry.author == member.user and entry.created is not None
    assert b"ministry" not in bytes(entry.sealed_note)  # sealed to the source's public key
    with pytest.raises(ValueError):
        actions.do_record_check(member.user, item, "astrology", "confirmed", "")
    with pytest.raises(crypto.VaultCryptoError):
        crypto.unseal(crypto.new_keypair()[0], bytes(entry.sealed_note))


class _Selects(HTMLParser):
    """Each <select>'s options as (value, selected) pairs, by the select's name."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: dict[str, list[tuple[str, bool]]] = {}
        self._current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "select":
            self._current = named.get("name") or ""
            self.selects[self._current] = []
        elif tag == "option" and self._current:
            self.selects[self._current].append((named.get("value") or "", "selected" in named))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._current = ""


def _what_a_browser_submits(options: list[tuple[str, bool]]) -> str:
    """The value a browser sends for a select nobody touched: the selected option, else the
    first one."""
    chosen = [value for value, selected in options if selected]
    return chosen[-1] if chosen else options[0][0]


@pytest.mark.parametrize(
    ("language", "advice"),
    [
        ("/en", "Choose a conclusion"),
        ("", "请为这个问题选择一个结论"),
        ("/zh-hant", "請為這個問題選擇"),
    ],
)
def test_no_verdict_is_preselected_and_recording_needs_an_explicit_one(
    isolated_data_dir, language, advice
):
    """One careless click on "Record" must not confirm anything: every topic's form starts on
    an empty choice, reads as open, and a post without a verdict records nothing and says what
    to do, in the reader's language."""
    _member, client = make_reader()
    submit(
        Client(), message="m", files=[SimpleUploadedFile("a.jpg", b"\xff\xd8\xff", "image/jpeg")]
    )
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    url = f"{language}/newsroom/forensics/items/{item.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    parser = _Selects()
    parser.feed(page.content.decode())
    for topic in TOPICS:
        options = parser.selects[f"{topic}-outcome"]
        assert _what_a_browser_submits(options) == ""
        assert not any(selected for value, selected in options if value)
    assert not re.search(r"<input[^>]*\schecked", page.content.decode())  # no radio either
    assert page.content.decode().count('data-outcome="open"') == len(TOPICS)

    refused = client.post(url, {"topic": "origin", "origin-outcome": "", "origin-note": "x"})
    assert refused.status_code == 200
    assert advice in refused.content.decode()
    assert not CheckEntry.objects.exists()
    assert checklist.get_verification_status(item.pk) == "unverified"

    recorded = client.post(url, {"topic": "origin", "origin-outcome": "confirmed"})
    assert recorded.status_code == 302
    assert checklist.get_latest_entries(item.pk)["origin"].outcome == "confirmed"
