"""New members reach sources without a hidden second step (issue 18, item 7): the add-member
page offers the sources the admin's key opens, by designation; the ones ticked are sealed to
the new member's key (wrapped by the one-time password) in the same transaction, each grant
a custody record, and the member reads them at their first sign-in. Before, a new member saw
"ask a colleague to grant you access" and someone had to find the grant button afterwards."""

import secrets

import pyotp
import pytest
from django.test import Client

from jiandu.accounts.models import User
from jiandu.ledger.models import Action, CustodyRecord
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import Item, MemberKey, Source, SourceGrant
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db
URL = "/en/newsroom/members/"


def _source(text: str) -> Source:
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, text)])
    return source


def test_the_add_member_page_grants_the_ticked_sources():
    admin = make_member("boss", "admin")
    client = Client()
    sign_in(client, admin)
    client.get("/en/newsroom/sources/key/")  # the admin's recovery key, shown once
    wanted, other = _source("the ledger"), _source("something else")
    page = client.get(URL).content.decode()
    assert wanted.designation in page and other.designation in page
    assert 'name="sources"' in page

    response = client.post(
        URL, {"username": "newcomer", "role": "journalist", "sources": [str(wanted.pk)]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "sealed to their key already" in html
    newcomer = User.objects.get(username="newcomer")
    key = MemberKey.objects.get(user=newcomer)
    held = set(SourceGrant.objects.filter(member_key=key).values_list("source_id", flat=True))
    assert held == {wanted.pk}
    record = CustodyRecord.objects.filter(action=Action.GRANT).last()
    assert record.reason == "newcomer"

    # At first sign-in, the member reads the source without anyone's further step.
    password = html.split("<code>")[1].split("</code>")[0]
    member = Client()
    member.post("/en/newsroom/", {"username": "newcomer", "password": password})
    secret = User.objects.get(username="newcomer").totp_secret or ""
    if member.get("/en/newsroom/enrol/").status_code == 200 and not secret:
        secret = User.objects.get(username="newcomer").totp_secret
    member.post("/en/newsroom/enrol/", {"code": pyotp.TOTP(secret).now()})
    member.post("/en/newsroom/finish/")
    new = "plum blossom river lantern"
    member.post(
        "/en/newsroom/password/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    page = member.get(f"/en/newsroom/sources/{wanted.pk}/")
    assert page.status_code == 200 and "the ledger" in page.content.decode()


def test_a_member_added_without_sources_gets_no_key_yet_and_a_moderator_none():
    admin = make_member("boss", "admin")
    client = Client()
    sign_in(client, admin)
    source = _source("x")
    client.post(URL, {"username": "plain", "role": "journalist"})
    client.post(URL, {"username": "mod", "role": "moderator", "sources": [str(source.pk)]})
    assert not MemberKey.objects.filter(user__username__in=["plain", "mod"]).exists()
