"""`jiandu demo`: the demo newsroom that `make run` serves.

Creates the admin (printing a one-time password and the TOTP enrolment as a link and a QR
code) and asks every room with demo content to load it. Safe to run again.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jiandu.accounts import actions, totp


class Command(BaseCommand):
    help = "Create the demo newsroom: an admin with a one-time login, and the demo case."

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        for config in apps.get_app_configs():
            loader = getattr(config, "load_demo", None)
            if loader is not None:
                self.stdout.write(f"Demo content ({config.label}): {loader()}")
        member = actions.do_prepare_demo_admin()
        if member is None:
            self.stdout.write(
                "The demo admin has already signed in; its login is theirs now.\n"
                "Add members with: .venv/bin/jiandu createuser NAME --role ROLE"
            )
            return
        uri = totp.provisioning_uri(member.user.totp_secret, member.user.username)
        self.stdout.write(
            "\n=== One-time admin login (shown once) ===\n"
            f"  username: {member.user.username}\n"
            f"  password: {member.one_time_password}\n"
            "  Two-factor: scan this QR code with an authenticator app, or open the link on your\n"
            "  phone; the newsroom shows the same code again at first sign-in.\n"
            f"  {uri}\n"
        )
        self.stdout.write(totp.qr_terminal(uri))
