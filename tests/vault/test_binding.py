"""Public keys in the database are bound to the server's secret key file: someone who can only
write to the database cannot have a new source, a grant or a reply sealed to a key of their
own. A row whose MAC fails is never sealed to, and the refusal is logged with a code, the table
and the row id, never a key or any content."""

import logging

import pytest
from django.apps import apps as django_apps
from django.test import Client

from jiandu.vault import actions as vault
from jiandu.vault import binding, crypto
from jiandu.vault.models import MemberKey, Source, SourceGrant
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


def _attacker_key() -> tuple[bytes, bytes]:
    return crypto.new_keypair()


def _assert_logged_without_content(caplog, table: str, row_id: int, *secrets: bytes) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == "jiandu.vault.binding"]
    assert any(
        binding.MISMATCH in line and f"table={table}" in line and f"id={row_id}" in line
        for line in lines
    ), lines
    text = "\n".join(lines)
    for secret in secrets:
        assert secret.hex() not in text and repr(secret) not in text


def test_swapped_member_key_is_not_sealed_to_and_the_problem_is_logged(caplog):
    zhu, _ = make_reader("zhu")
    wang, _ = make_reader("wang")
    attacker_private, attacker_public = _attacker_key()
    MemberKey.objects.filter(user=wang.user).update(public_key=attacker_public)
    wang_key = MemberKey.objects.get(user=wang.user)

    with caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"):
        assert submit(Client(), message="for the newsroom only").status_code == 302
    source = Source.objects.get()
    grants = SourceGrant.objects.filter(source=source)
    assert [g.member_key.user_id for g in grants] == [zhu.user.pk]
    for grant in grants:
        with pytest.raises(crypto.VaultCryptoError):
            crypto.unseal(attacker_private, bytes(grant.sealed_private_key))
    _assert_logged_without_content(caplog, "vault_memberkey", wang_key.pk, attacker_public)


def test_key_copied_from_another_members_row_is_refused(caplog):
    """The MAC covers the member too: a genuine key and MAC moved to another row fail."""
    zhu, _ = make_reader("zhu")
    wang, _ = make_reader("wang")
    genuine = MemberKey.objects.get(user=zhu.user)
    MemberKey.objects.filter(user=wang.user).update(
        public_key=bytes(genuine.public_key), key_mac=genuine.key_mac
    )
    assert [key.user_id for key in vault.reader_keys()] == [zhu.user.pk]


def test_only_reader_swapped_closes_the_tip_line_instead_of_sealing(caplog):
    zhu, _ = make_reader("zhu")
    _private, attacker_public = _attacker_key()
    MemberKey.objects.filter(user=zhu.user).update(public_key=attacker_public)
    with caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"):
        assert not vault.readers_are_ready()
        with pytest.raises(vault.VaultError):
            vault.do_create_source("0" * 64, crypto.new_keypair()[1])
    assert not SourceGrant.objects.exists()
    assert binding.MISMATCH in caplog.text


def test_regrant_skips_a_swapped_key(caplog):
    zhu, _client = make_reader("zhu")
    submit(Client(), message="x")
    li = make_member("li", "journalist")
    sign_in(Client(), li)  # li's key exists now, with no grant yet
    _private, attacker_public = _attacker_key()
    MemberKey.objects.filter(user=li.user).update(public_key=attacker_public)
    zhu_private = vault.do_unlock_member_key(zhu.user, zhu.password).private_key
    with caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"):
        assert vault.do_grant_missing(zhu.user, zhu_private) == 0
    assert not SourceGrant.objects.filter(member_key__user=li.user).exists()
    assert binding.MISMATCH in caplog.text


def test_swapped_source_key_refuses_new_items_and_replies(caplog):
    zhu, _ = make_reader("zhu")
    submit(Client(), message="first")
    source = Source.objects.get()
    _private, attacker_public = _attacker_key()
    Source.objects.filter(pk=source.pk).update(reply_public_key=attacker_public)
    source.refresh_from_db()
    items = source.items.count()
    with (
        caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"),
        pytest.raises(binding.KeyBindingError),
    ):
        vault.do_add_reply(source, zhu.user, "sealed to whom?")
    assert source.items.count() == items
    _assert_logged_without_content(caplog, "vault_source", source.pk, attacker_public)


def test_rows_made_by_the_server_carry_a_valid_mac():
    zhu, _ = make_reader("zhu")
    submit(Client(), message="x")
    binding.check_member_key(MemberKey.objects.get(user=zhu.user))
    binding.check_source_keys(Source.objects.get())


def test_mac_depends_on_the_secret_key_file_not_on_the_database(settings):
    zhu, _ = make_reader("zhu")
    key = MemberKey.objects.get(user=zhu.user)
    settings.SECRET_KEY = "another server's secret key, not this one's"
    with pytest.raises(binding.KeyBindingError):
        binding.check_member_key(key)


def test_migration_binds_rows_that_existed_before():
    from importlib import import_module

    migration = import_module("jiandu.vault.migrations.0003_key_binding_and_codename_kdf")
    zhu, _ = make_reader("zhu")
    submit(Client(), message="x")
    MemberKey.objects.update(key_mac="")
    Source.objects.update(key_mac="", kdf_opslimit=9)
    assert vault.reader_keys() == []
    migration.bind_existing_rows(django_apps, None)
    assert [key.user_id for key in vault.reader_keys()] == [zhu.user.pk]
    binding.check_source_keys(Source.objects.get())
    assert Source.objects.get().kdf_opslimit == 1  # the test settings' cost


def test_binding_mac_vectors():
    """docs/crypto.md, "Test vectors": HMAC-SHA256 under SHA-256("jiandu.vault.key-binding"
    0x00 | secret key), over purpose 0x00 | (u32 length | part)..., computed independently."""
    import hashlib
    import hmac

    secret = "jiandu-test-secret"
    public = bytes(range(32, 64))
    key = hashlib.sha256(b"jiandu.vault.key-binding\x00" + secret.encode()).digest()

    def framed(*parts: bytes) -> bytes:
        return b"".join(len(p).to_bytes(4, "big") + p for p in parts)

    member = hmac.new(key, b"member-key\x00" + framed(b"1", public), "sha256").hexdigest()
    assert binding.member_key_mac(1, public, secret_key=secret) == member
    assert member == "43445e8049946bc475dcb8d4503dfd0fed337bd48f77f23fdbcb1f3c945d4919"
    worker = hmac.new(key, b"worker-key\x00" + framed(public), "sha256").hexdigest()
    assert binding.worker_key_mac(public, secret_key=secret) == worker
    assert worker == "c61346f8e50b942b10f921c71466ef969dff31b21b52ebfb14c4dc24521f8dcd"
    lookup, reply = "ab" * 32, bytes(range(32))
    source = hmac.new(
        key, b"source-keys\x00" + framed(lookup.encode(), public, reply), "sha256"
    ).hexdigest()
    assert binding.source_key_mac(lookup, public, reply, secret_key=secret) == source
    assert source == "b96a809e7064116521e8654ed1503a89e46678897ccbbc8f4701236a9775d42a"
