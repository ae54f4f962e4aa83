"""`jiandu purge_sources`: delete sources idle longer than the retention period now (never
less than vault.retention.FLOOR_DAYS)."""

from django.core.management.base import BaseCommand

from jiandu.vault import retention
from jiandu.vault.actions import do_purge_idle_sources


class Command(BaseCommand):
    help = "Delete (crypto-shred) sources idle longer than JIANDU_RETENTION_DAYS."

    def handle(self, *args: object, **options: object) -> None:
        count = do_purge_idle_sources()
        self.stdout.write(f"Deleted {count} source(s) idle over {retention.effective_days()} days.")
