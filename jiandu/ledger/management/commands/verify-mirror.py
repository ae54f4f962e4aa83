"""`jiandu verify-mirror DIR_OR_URL [--key VKEY]`: check a static mirror against its signed
manifest and name every file that was changed, removed or added. Exit status 1 if any."""

import urllib.error
import urllib.parse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.ledger import client, keys, mirror, note


class Command(BaseCommand):
    help = "Check a static mirror's files against its signed manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the mirror's directory or base URL")
        parser.add_argument("--key", default="", help="the newsroom's log vkey (…/log/key)")

    def handle(self, *args: object, **options: object) -> None:
        source = str(options["source"])
        if source.startswith(("http://", "https://")):
            read, listing = client.http_reader(source), None
        else:
            root = Path(source)
            if not root.is_dir():
                raise CommandError(f"{source} is not a directory")
            read, listing = client.dir_reader(root), mirror.list_dir(root)
        if options["key"]:
            log = note.parse_vkey(str(options["key"]))
        else:
            try:
                log = note.parse_vkey(read("log/key").decode())
            except (KeyError, UnicodeDecodeError, note.NoteError, urllib.error.URLError):
                log = keys.log_verifier()
            if log != keys.log_verifier():
                self.stderr.write(
                    f"Using the key the mirror itself names ({log.vkey}); pin the newsroom's "
                    "key with --key to rule out a mirror re-signed by someone else."
                )
        report = mirror.verify_mirror(read, log, listing)
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.ok:
            raise SystemExit(1)
        self.stdout.write(
            f"OK: {report.checked} files match the manifest signed by {log.name} "
            f"(generated {report.generated})"
        )
