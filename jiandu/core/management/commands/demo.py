"""`jiandu demo`: the demo newsroom that `make run` serves.

Asks every room with demo content (an AppConfig with `load_demo()`) to load it: the newsroom
issues the admin's one-time login and a second editor's (so one newcomer can try the
two-person publication in two browsers), the cases room publishes the case of docs/case.md.
The logins are printed last, where a terminal leaves them in view. Safe to run again.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Printed after the others: the one-time login is what the person at the terminal needs.
LAST = "newsroom"


class Command(BaseCommand):
    help = (
        "Create the demo newsroom: an admin and a second editor with one-time logins, and the "
        "demo case."
    )

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        configs = sorted(
            (c for c in apps.get_app_configs() if hasattr(c, "load_demo")),
            key=lambda c: c.label == LAST,
        )
        for config in configs:
            self.stdout.write(f"Demo ({config.label}): {config.load_demo()}")
