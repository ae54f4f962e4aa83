"""The demo newsroom's admin and a second editor, for `jiandu demo` (and so `make run`).

Here, above accounts and the vault, because the admin's login and the admin's vault key are
made together (issue 20, item 5: a flow, not a signal the vault answered).

Two logins, so that one newcomer can try the two-person publication alone: the admin writes
and submits a case in one browser, the second editor publishes it in a private window.
"""

from django.db import transaction

from jiandu.accounts import actions, totp
from jiandu.accounts.models import User
from jiandu.newsroom.actions import do_reset_credentials
from jiandu.vault.actions import do_replace_member_key

SECOND_EDITOR = "second-editor"


def prepare_demo_admin_text() -> str:
    """Issue the demo admin's one-time login and say how to use it, with a terminal QR code.

    While the admin has never signed in, every run issues a fresh login (the last printout may
    be lost); afterwards the account is theirs and nothing changes. In the same transaction
    the vault wraps the admin's key with the one-time password (rewrapped at the forced
    password change, like any key), so the tip line takes submissions before anyone has
    signed in. A fresh login replaces the key, since nobody holds the password of the old one.
    """
    with transaction.atomic():
        member = actions.do_prepare_demo_admin()
        extra = []
        if member is not None:
            outcome = do_replace_member_key(member.user, member.one_time_password)
            extra = [
                "  Vault recovery key (write it down; it restores the vault key after a lost "
                f"password):\n  {outcome.new_recovery_key}"
            ]
    if member is None:
        return (
            "the demo admin has already signed in; its login is theirs now.\n"
            "Add members with: .venv/bin/jiandu createuser NAME --role ROLE"
        ) + _second_editor_text()
    uri = totp.provisioning_uri(member.user.totp_secret, member.user.username)
    return (
        "\n=== One-time admin login (shown once) ===\n"
        f"  username: {member.user.username}\n"
        f"  password: {member.one_time_password}\n"
        "  Two-factor: scan this QR code with an authenticator app, or open the link on your\n"
        "  phone; the newsroom shows the same code again at first sign-in.\n"
        f"  {uri}\n"
        + totp.qr_terminal(uri)
        + "".join(f"\n{line}" for line in extra)
        + _second_editor_text()
    )


def prepare_second_editor() -> actions.NewMember | None:
    """The demo's second editor, enrolled as any member is: a one-time password to replace at
    first sign-in and a TOTP enrolment (`do_create_member`, `do_reset_credentials`). A fresh
    login on each run until they have signed in; after that, nothing changes."""
    with transaction.atomic():
        user = User.objects.filter(username=SECOND_EDITOR).first()
        if user is None:
            user = actions.do_create_member(SECOND_EDITOR, "editor").user
        elif user.last_login is not None:
            return None
        return do_reset_credentials(user)


def _second_editor_text() -> str:
    member = prepare_second_editor()
    if member is None:
        return (
            f"\nThe second editor ({SECOND_EDITOR}) has already signed in; its login is theirs.\n"
        )
    uri = totp.provisioning_uri(member.user.totp_secret, member.user.username)
    return (
        "\n=== One-time login of a second editor (shown once) ===\n"
        "  To try the two-person publication alone, sign in as the admin in one browser and as\n"
        "  this editor in another (or a private window): one submits a case for review, the\n"
        "  other publishes it. Nobody may publish a version they changed or submitted.\n"
        f"  username: {member.user.username}\n"
        f"  password: {member.one_time_password}\n"
        "  Two-factor: the newsroom shows a QR code at first sign-in, or open this link:\n"
        f"  {uri}\n"
    )
