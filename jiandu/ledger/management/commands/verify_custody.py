"""`jiandu verify_custody`: check the custody log's MAC chain; exit 1 if it is broken."""

from django.core.management.base import BaseCommand, CommandError

from jiandu.ledger import chain


class Command(BaseCommand):
    help = "Verify that no custody record was altered, removed or inserted."

    def handle(self, *args: object, **options: object) -> None:
        report = chain.verify()
        if not report.ok:
            raise CommandError(
                f"Custody log BROKEN at record {report.first_bad_id}: {report.problem} "
                f"({report.checked} records checked before it)."
            )
        self.stdout.write(f"Custody log intact: {report.checked} records.")
