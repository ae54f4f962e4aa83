"""`jiandu export-mirror DIR [--full]`: write or update the signed static mirror of the public
site (see jiandu/public/mirror.py and docs/mirrors.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.public import mirror


class Command(BaseCommand):
    help = "Write the public site as static files with a signed manifest (incremental)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--full", action="store_true", help="re-render every page")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes that render pages (default: one per CPU, two at most)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        try:
            result = mirror.export_mirror(
                Path(str(options["directory"])),
                full=bool(options["full"]),
                workers=None if options["workers"] is None else int(str(options["workers"])),
            )
        except mirror.MirrorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{len(result.files)} files, {len(result.written)} written, {result.unchanged} "
            f"unchanged, in {result.seconds:.1f} s"
        )
        if options["verbosity"] > 1:
            for path in result.written:
                self.stdout.write(f"written {path}")
