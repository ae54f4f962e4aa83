"""The demo newsroom's admin, for `jiandu demo` (and so `make run`)."""

from jiandu.accounts import actions, totp


def prepare_demo_admin_text() -> str:
    """Issue the demo admin's one-time login and say how to use it, with a terminal QR code.

    While the admin has never signed in, every run issues a fresh login (the last printout may
    be lost); afterwards the account is theirs and nothing changes.
    """
    member = actions.do_prepare_demo_admin()
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
        f"  {uri}\n" + totp.qr_terminal(uri)
    )
