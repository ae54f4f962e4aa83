"""Roles are groups with permissions; views check permissions."""

import pytest
from django.core.management import call_command

from jiandu.accounts import actions
from jiandu.accounts.models import User
from jiandu.accounts.roles import ROLE_PERMISSIONS
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("admin", ["manage_newsroom", "publish_cases"], []),
        ("editor", ["publish_cases", "moderate_comments"], ["manage_newsroom"]),
        ("journalist", ["read_submissions", "edit_cases"], ["publish_cases", "manage_newsroom"]),
        ("moderator", ["moderate_comments"], ["read_submissions", "edit_cases"]),
    ],
)
def test_role_permissions(role, allowed, denied):
    user = make_member(f"user-{role}", role).user
    user = User.objects.get(pk=user.pk)  # fresh permission cache
    assert user.role == role
    for perm in allowed:
        assert user.has_perm(f"accounts.{perm}")
    for perm in denied:
        assert not user.has_perm(f"accounts.{perm}")


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("editor", 403), ("journalist", 403), ("moderator", 403)]
)
def test_members_page_is_for_admins(client, role, status):
    sign_in(client, make_member(f"m-{role}", role))
    assert client.get("/en/newsroom/members/").status_code == status


def test_admin_adds_member_with_one_time_password(client):
    sign_in(client, make_member("boss", "admin"))
    response = client.post(
        "/en/newsroom/members/", {"username": "li", "role": "moderator", "email": ""}
    )
    assert response.status_code == 200
    assert b"can now sign in" in response.content
    user = User.objects.get(username="li")
    assert user.role == "moderator" and user.must_change_password
    duplicate = client.post("/en/newsroom/members/", {"username": "LI", "role": "editor"})
    assert b"already exists" in duplicate.content


def test_unknown_role_is_refused():
    with pytest.raises(actions.AccountError):
        actions.do_create_member("x", "superhero")


def test_createuser_command(capsys):
    call_command("createuser", "chen", "--role", "journalist")
    out = capsys.readouterr().out
    assert "One-time password:" in out
    assert User.objects.get(username="chen").role == "journalist"


def test_roles_resync_after_migrate():
    from django.contrib.auth.models import Group

    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert sorted(p.codename for p in group.permissions.all()) == sorted(perms)


def test_demo_admin_is_reissued_until_first_sign_in(capsys):
    first = actions.do_prepare_demo_admin()
    second = actions.do_prepare_demo_admin()
    assert first and second and first.one_time_password != second.one_time_password
    user = User.objects.get(username="admin")
    assert user.role == "admin" and user.must_change_password and not user.totp_confirmed
    from django.utils import timezone

    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    assert actions.do_prepare_demo_admin() is None


def test_admin_clears_failures_resets_and_deactivates(client, settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 3
    sign_in(client, make_member("boss", "admin"))
    target = make_member("liu", "journalist").user
    User.objects.filter(pk=target.pk).update(failed_logins=4)
    page = client.get(f"/en/newsroom/members/{target.pk}/")
    assert b"sign-in guarded after failed attempts" in page.content
    client.post(f"/en/newsroom/members/{target.pk}/", {"action": "clear_failures"})
    target.refresh_from_db()
    assert target.failed_logins == 0

    client.post(f"/en/newsroom/members/{target.pk}/", {"action": "role", "role": "editor"})
    assert User.objects.get(pk=target.pk).role == "editor"

    response = client.post(f"/en/newsroom/members/{target.pk}/", {"action": "reset"})
    assert b"New one-time password" in response.content
    target.refresh_from_db()
    assert target.must_change_password and not target.totp_confirmed

    client.post(f"/en/newsroom/members/{target.pk}/", {"action": "deactivate"})
    assert not User.objects.get(pk=target.pk).is_active


def test_deactivated_member_loses_open_session(client):
    member = make_member("gao", "journalist")
    sign_in(client, member)
    assert client.get("/en/newsroom/home/").status_code == 200
    actions.do_set_active(member.user, False)
    assert client.get("/en/newsroom/home/").status_code == 302


def test_last_admin_cannot_be_demoted_or_deactivated():
    admin = make_member("only", "admin").user
    with pytest.raises(actions.AccountError):
        actions.do_set_role(admin, "editor")
    with pytest.raises(actions.AccountError):
        actions.do_set_active(admin, False)


def test_non_admin_cannot_open_member_page(client):
    other = make_member("target", "journalist").user
    sign_in(client, make_member("ed", "editor"))
    assert client.get(f"/en/newsroom/members/{other.pk}/").status_code == 403
    assert client.post(f"/en/newsroom/members/{other.pk}/", {"action": "reset"}).status_code == 403
