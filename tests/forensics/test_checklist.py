"""The verification checklist: entries with who, when and a sealed note, each in the custody log,
and the derived status (unverified, partly verified, verified, disputed)."""

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
