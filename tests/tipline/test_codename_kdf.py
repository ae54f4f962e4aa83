"""Codename KDF cost pinned per source: raising JIANDU_KDF_* locks no source out, new sources get
the new cost, and a database row cannot make a sign-in run an unbounded or absurd derivation."""

import pytest
from django.test import Client

from jiandu.tipline import actions as tipline
from jiandu.tipline import codename as codenames
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.access import open_reply_for_source
from jiandu.vault.models import Source
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db

OLD = crypto.KdfParams(opslimit=1, memlimit=8192)
NEW = crypto.KdfParams(opslimit=2, memlimit=16384)


def _new_source(message: str) -> tuple[Source, str]:
    client = Client()
    assert submit(client, message=message).status_code == 302
    return Source.objects.order_by("-pk").first(), codename_of(client)


def test_a_source_keeps_signing_in_after_the_cost_is_raised(settings):
    member, _newsroom = make_reader()
    settings.JIANDU_VAULT_KDF = OLD
    old_source, old_codename = _new_source("before the change")
    assert old_source.kdf_params == OLD
    vault.do_add_reply(old_source, member.user, "a reply sealed to the codename key")

    settings.JIANDU_VAULT_KDF = NEW
    found, reply_key = tipline.get_source_by_codename(old_codename)
    assert found.pk == old_source.pk
    # The reply key is the one the source was made with: the old reply still opens.
    reply = old_source.items.get(kind="reply")
    assert open_reply_for_source(reply_key, reply).text() == "a reply sealed to the codename key"

    new_source, new_codename = _new_source("after the change")
    assert new_source.kdf_params == NEW
    assert tipline.get_source_by_codename(new_codename)[0].pk == new_source.pk
    # Through the page too.
    returning = Client()
    response = returning.post("/en/return/", {"codename": old_codename})
    assert response.status_code == 302 and response["Location"] == "/en/conversation/"


def test_a_codename_matches_only_with_its_own_cost(settings):
    """The lookup found with one cost must belong to a source stored with that cost."""
    make_reader()
    settings.JIANDU_VAULT_KDF = OLD
    source, codename = _new_source("x")
    Source.objects.filter(pk=source.pk).update(kdf_opslimit=NEW.opslimit)
    settings.JIANDU_VAULT_KDF = NEW
    with pytest.raises(codenames.CodenameError):
        tipline.get_source_by_codename(codename)


def test_wrong_codename_is_still_not_found_with_several_costs(settings):
    make_reader()
    settings.JIANDU_VAULT_KDF = OLD
    _new_source("x")
    settings.JIANDU_VAULT_KDF = NEW
    _new_source("y")
    with pytest.raises(codenames.CodenameError):
        tipline.get_source_by_codename(codenames.generate("en"))


def test_costs_to_try_current_first_once_each_bounded_and_capped():
    current = crypto.KdfParams(3, 64 * 1024 * 1024)
    absurd = crypto.KdfParams(3, 64 * 1024 * 1024 * 1024)  # 64 GiB, from a hostile row
    many = [crypto.KdfParams(1, 8192 * k) for k in range(1, 10)]
    tried = codenames.kdf_settings_to_try(current, [absurd, current, *many])
    assert tried[0] == current
    assert absurd not in tried
    assert len(tried) == codenames.MAX_KDF_SETTINGS == len(set(tried))
    assert tried[1:] == many[: codenames.MAX_KDF_SETTINGS - 1]


def test_hostile_cost_in_the_database_is_never_derived_with(settings, monkeypatch):
    make_reader()
    settings.JIANDU_VAULT_KDF = OLD
    source, codename = _new_source("x")
    Source.objects.filter(pk=source.pk).update(kdf_memlimit=2**40)
    used = []
    real = crypto.argon2id_kdf

    def spy(secret, salt, params, size=crypto.KEY_BYTES, **options):
        used.append(params)
        return real(secret, salt, params, size, **options)

    monkeypatch.setattr(crypto, "argon2id_kdf", spy)
    with pytest.raises(codenames.CodenameError):
        tipline.get_source_by_codename(codename)
    assert used == [OLD]
