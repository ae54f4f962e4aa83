"""`jiandu decrypt ITEM.jdx --key ME.jdkey --out DIR`: offline decryption of an exported item
(jiandu.vault.offline does the work; it touches no database)."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from jiandu.vault import offline


class Command(BaseCommand):
    help = "Decrypt an item exported from the newsroom, with your exported key, offline."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        offline.add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        namespace = argparse.Namespace(**options)
        if offline.run(namespace) != 0:
            raise CommandError("decryption failed")
