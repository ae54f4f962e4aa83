"""The demo newsroom's admin, for `jiandu demo` (and so `make run`)."""

from django.db import transaction

from jiandu.accounts import actions, signals, totp


def prepare_demo_admin_text() -> str:
    """Issue the demo admin's one-time login and say how to use it, with a terminal QR code.

    While the admin has never signed in, every run issues a fresh login (the last printout may
    be lost); afterwards the account is theirs and nothing changes. Other rooms hear of the
    one-time password in the same transaction (`signals.demo_admin_issued`): the vault wraps
    the admin's key with it, so the tip line takes submissions before anyone has signed in.
    """
    with transaction.atomic():
        member = actions.do_prepare_demo_admin()
        extra = []
        if member is not None:
            replies = signals.demo_admin_issued.send(
                sender=None, user=member.user, password=member.one_time_password
            )
            extra = [str(text) for _receiver, text in replies if text]
    if member is None:
        return (
            "the demo admin has already signed in; its login is theirs now.\n"
            "Add members with: .venv/bin/jiandu createuser NAME --role ROLE"
        )
    uri = totp.provisioning_uri(member.user.totp_secret, member.user.username)
    return (
        "\n=== One-time admin login (shown once) ===\n"
        f"  username: {member.user.username}\n"
        f"  password: {member.one_time_password}\n"
        "  Two-factor: scan this QR code with an authenticator app, or open the link on your\n"
        "  phone; the newsroom shows the same code again at first sign-in.\n"
        f"  {uri}\n" + totp.qr_terminal(uri) + "".join(f"\n{line}" for line in extra)
    )
