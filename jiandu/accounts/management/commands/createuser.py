"""`jiandu createuser NAME --role ROLE`: add a newsroom member and print a one-time password."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.accounts import actions
from jiandu.accounts.roles import ROLE_PERMISSIONS


class Command(BaseCommand):
    help = "Create a newsroom member with a role and print a one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_PERMISSIONS))
        parser.add_argument("--email", default="")

    def handle(self, *args: object, **options: str) -> None:
        try:
            member = actions.do_create_member(
                options["username"], options["role"], email=options["email"]
            )
        except actions.AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created {member.user.username} ({options['role']}).\n"
            f"One-time password: {member.one_time_password}\n"
            "They set up two-factor sign-in and their own password at first sign-in."
        )
        if member.user.has_perm("accounts.read_submissions"):
            # Only `jiandu demo` makes a key before the first sign-in (docs/operations.md).
            self.stdout.write(
                "The tip line opens once a member who may read submissions has signed in: "
                "that first sign-in makes their vault key."
            )
