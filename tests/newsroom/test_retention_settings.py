"""The retention page: a floor (vault.retention.FLOOR_DAYS) refused with a clear message, and a
second confirmation, bound to the new number, before the period is lowered."""

import secrets
from datetime import timedelta

import pytest
from django.test import Client

from jiandu.newsroom import actions
from jiandu.vault import actions as vault
from jiandu.vault import conf as vault_conf
from jiandu.vault import crypto
from jiandu.vault.models import Item, RetentionSetting, Source
from jiandu.vault.retention import FLOOR_DAYS, Refusal, RetentionRefused
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db

URL = "/en/newsroom/sources/retention/"


@pytest.fixture
def admin():
    member = make_member("chief", "admin")
    client = Client()
    sign_in(client, member)
    client.get("/en/newsroom/sources/key/")  # the recovery key, shown once
    return member, client


def _idle_source(days: int) -> Source:
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, "x")])
    Source.objects.filter(pk=source.pk).update(
        last_active_hour=vault.hour_now() - timedelta(days=days)
    )
    return source


@pytest.mark.parametrize("days", ["1", "0", "6", "-5"])
def test_below_the_floor_is_refused_with_a_clear_message(admin, days):
    _member, client = admin
    response = client.post(URL, {"days": days, "confirmed_days": days})
    assert response.status_code == 200
    assert "Retention cannot be shorter than 7 days" in response.content.decode()
    assert not RetentionSetting.objects.exists()
    assert vault_conf.retention_days() == 90


def test_the_page_states_the_floor(admin):
    _member, client = admin
    html = client.get(URL).content.decode()
    assert "At least 7 days." in html and 'min="7"' in html


def test_lowering_needs_the_second_confirmation(admin):
    _member, client = admin
    _idle_source(40)
    _idle_source(10)
    asked = client.post(URL, {"days": "30"})
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "You are lowering retention from 90 to 30 days." in html
    assert "1 source is idle for longer than that" in html
    assert 'name="confirmed_days" value="30"' in html
    assert not RetentionSetting.objects.exists()  # nothing saved yet
    assert Source.objects.count() == 2
    done = client.post(URL, {"days": "30", "confirmed_days": "30"})
    assert done.status_code == 302
    assert vault_conf.retention_days() == 30
    assert RetentionSetting.objects.get().changed_by.username == "chief"


@pytest.mark.parametrize("confirmed", ["31", "90", "", "abc", "30.5", "1e3", "-30"])
def test_a_confirmation_of_anything_else_does_not_count(admin, confirmed):
    _member, client = admin
    response = client.post(URL, {"days": "30", "confirmed_days": confirmed})
    assert response.status_code == 200
    assert not RetentionSetting.objects.exists()


def test_a_confirmation_for_another_number_never_lowers(admin):
    """A confirmation page left open for 200 cannot be replayed to lower to 100."""
    member, client = admin
    actions.do_set_retention(member.user, 365)
    assert client.post(URL, {"days": "100", "confirmed_days": "200"}).status_code == 200
    assert vault_conf.retention_days() == 365


def test_raising_needs_no_confirmation(admin):
    _member, client = admin
    assert client.post(URL, {"days": "120"}).status_code == 302
    assert vault_conf.retention_days() == 120


@pytest.mark.parametrize("days", ["", "seven", "7.5", "99999999999999999999999", "3651"])
def test_hostile_numbers_are_refused(admin, days):
    _member, client = admin
    response = client.post(URL, {"days": days, "confirmed_days": days})
    assert response.status_code == 200
    assert not RetentionSetting.objects.exists()


def test_the_action_holds_the_rules_for_every_caller(admin):
    member, _client = admin
    with pytest.raises(RetentionRefused) as low:
        actions.do_set_retention(member.user, 3, confirmed_days=3)
    assert low.value.code == Refusal.BELOW_FLOOR
    with pytest.raises(RetentionRefused) as unconfirmed:
        actions.do_set_retention(member.user, 30)
    assert unconfirmed.value.code == Refusal.NEEDS_CONFIRMATION
    actions.do_set_retention(member.user, FLOOR_DAYS, confirmed_days=FLOOR_DAYS)
    assert vault_conf.retention_days() == FLOOR_DAYS


def test_only_admins_reach_the_page():
    client = Client()
    sign_in(client, make_member("ed", "editor"))
    assert client.post(URL, {"days": "365"}).status_code == 403
    assert not RetentionSetting.objects.exists()
