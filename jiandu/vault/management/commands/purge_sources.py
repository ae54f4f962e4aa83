"""`jiandu purge_sources`: delete sources idle longer than JIANDU_RETENTION_DAYS now."""

from django.core.management.base import BaseCommand

from jiandu.vault import conf
from jiandu.vault.actions import do_purge_idle_sources


class Command(BaseCommand):
    help = "Delete (crypto-shred) sources idle longer than JIANDU_RETENTION_DAYS."

    def handle(self, *args: object, **options: object) -> None:
        count = do_purge_idle_sources()
        self.stdout.write(f"Deleted {count} source(s) idle over {conf.retention_days()} days.")
