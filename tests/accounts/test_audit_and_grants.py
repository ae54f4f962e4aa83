"""Account changes leave an audit row in their own transaction (issue #8, item 9); members
who lose read access lose their grants (item 10)."""

import pytest

from jiandu.accounts import actions
from jiandu.accounts.models import AccountEvent, User
from jiandu.newsroom import actions as flows
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import SourceGrant
from tests.factories import PASSWORD, make_member, sign_in

pytestmark = pytest.mark.django_db

Kind = AccountEvent.Kind


def kinds(user):
    return list(AccountEvent.objects.filter(member=user).values_list("kind", flat=True))


def reader(name):
    member = make_member(name, "journalist")
    vault.do_create_member_key(member.user, PASSWORD)
    return member


def source(lookup="x" * 64):
    return vault.do_create_source(lookup, crypto.new_keypair()[1])


def grants_of(member):
    return SourceGrant.objects.filter(member_key__user=member.user).count()


def test_every_admin_change_is_recorded_with_who_did_it(client):
    admin = make_member("boss", "admin")
    sign_in(client, admin)
    client.post("/en/newsroom/members/", {"username": "li", "role": "journalist"})
    target = User.objects.get(username="li")
    url = f"/en/newsroom/members/{target.pk}/"
    client.post(url, {"action": "role", "role": "editor"})
    User.objects.filter(pk=target.pk).update(failed_logins=2)
    client.post(url, {"action": "clear_failures"})
    client.post(url, {"action": "reset"})
    client.post(url, {"action": "deactivate"})
    client.post(url, {"action": "activate"})
    events = list(AccountEvent.objects.filter(member=target))
    assert [e.kind for e in events] == [
        Kind.CREATE,
        Kind.ROLE,
        Kind.CLEAR_FAILURES,
        Kind.RESET,
        Kind.DEACTIVATE,
        Kind.ACTIVATE,
    ]
    assert {e.actor_id for e in events} == {admin.user.pk}
    assert {e.actor_name for e in events} == {"boss"}
    assert events[1].detail == "journalist -> editor"
    page = client.get(url).content.decode()
    assert "Account history" in page and "role changed" in page
    # No event holds a password.
    assert not AccountEvent.objects.filter(detail__icontains=PASSWORD).exists()


def test_a_member_s_own_changes_are_recorded(client):
    member = make_member("zhu", enrolled=False)
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    client.post("/en/newsroom/enrol/", {"code": member.code()})
    actions.do_regenerate_recovery_codes(member.user)
    assert kinds(member.user) == [Kind.CREATE, Kind.TWO_FACTOR, Kind.RECOVERY_CODES]


def test_a_refused_change_leaves_no_record():
    admin = make_member("only", "admin").user
    with pytest.raises(actions.AccountError):
        flows.do_set_role(admin, "editor")
    assert kinds(admin) == [Kind.CREATE]


def test_the_record_rolls_back_with_its_change(monkeypatch):
    member = make_member("zhu").user

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AccountEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        flows.do_reset_credentials(member)
    member.refresh_from_db()
    assert member.totp_confirmed and member.check_password(PASSWORD)


def test_demotion_to_a_role_without_read_access_revokes_grants():
    kept, demoted = reader("zhu"), reader("wang")
    source()
    assert grants_of(demoted) == 1
    flows.do_set_role(demoted.user, "moderator")
    assert grants_of(demoted) == 0 and grants_of(kept) == 1


def test_a_role_that_still_reads_keeps_its_grants():
    reader("zhu")
    promoted = reader("wang")
    source()
    flows.do_set_role(promoted.user, "editor")
    assert grants_of(promoted) == 1


def test_demotion_is_refused_while_the_member_holds_a_source_alone():
    alone = reader("zhu")
    source()
    with pytest.raises(actions.SoleKeyHolder):
        flows.do_set_role(alone.user, "moderator")
    assert User.objects.get(pk=alone.user.pk).role == "journalist"
    assert grants_of(alone) == 1
    assert kinds(alone.user) == [Kind.CREATE]


def test_deactivation_revokes_shared_grants_and_keeps_a_source_s_only_one(client):
    admin = make_member("boss", "admin")
    shared_with, leaving = reader("zhu"), reader("wang")
    source("a" * 64)
    SourceGrant.objects.filter(member_key__user=shared_with.user).delete()
    source("b" * 64)  # sealed to both readers
    assert grants_of(leaving) == 2
    sign_in(client, admin)
    page = client.post(
        f"/en/newsroom/members/{leaving.user.pk}/", {"action": "deactivate"}, follow=True
    )
    assert not User.objects.get(pk=leaving.user.pk).is_active
    assert grants_of(leaving) == 1  # the source only this key opens is not destroyed
    assert "1 source could be opened only with this member" in page.content.decode()
    event = AccountEvent.objects.get(member=leaving.user, kind=Kind.DEACTIVATE)
    assert event.detail == "sole grants kept: 1"


def test_a_member_who_still_reads_by_a_direct_permission_keeps_grants():
    from django.contrib.auth.models import Permission

    reader("zhu")
    direct = reader("wang")
    direct.user.user_permissions.add(
        Permission.objects.get(codename="read_submissions", content_type__app_label="accounts")
    )
    source()
    flows.do_set_role(direct.user, "moderator")
    assert grants_of(direct) == 1
