"""`jiandu verify-mirror DIR_OR_URL [--key VKEY] [--state DIR]`: check a static mirror against
its signed manifest and name every file that was changed, removed or added.

Whose key: --key if given; else this installation's own log key where its key file exists (the
newsroom's machine); else the key pinned for this mirror's address or for the log's name on
first use (in --state, the directory `jiandu verify` keeps its pins and checkpoints in). A mirror
whose `log/key` is another key, even under the same name, is refused: a host that re-signed its
copy holds a key of its own, never the newsroom's.

A verifier holds nothing: no system checks (they open the database), no key made, and
jiandu/cli.py runs this command without making a secret key; only --state is written.

Exit status: 0 every file matches, 1 a file differs, is missing or is not listed (every one,
temporary files included), 2 the key differs from the pinned or local one or the manifest is
not signed by it, 3 the mirror's log does not extend the one seen before (split view). A mirror
whose log is older than one seen before is reported with a warning.
"""

import urllib.error
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.public import mirror
from jiandu.tlog import client, keys, note
from jiandu.tlog.management.commands.verify import default_state_dir


class Command(BaseCommand):
    help = "Check a static mirror's files against its signed manifest."
    requires_system_checks: list[str] = []  # they would open (and create) the database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the mirror's directory or base URL")
        parser.add_argument("--key", default="", help="the newsroom's log vkey (…/log/key)")
        parser.add_argument("--state", default="", help="where pins and checkpoints are kept")

    def handle(self, *args: object, **options: object) -> None:
        source = str(options["source"])
        if source.startswith(("http://", "https://")):
            read, listing = client.http_reader(source), None
            address = source.rstrip("/")
        else:
            root = Path(source)
            if not root.is_dir():
                raise CommandError(f"{source} is not a directory")
            read, listing = client.dir_reader(root), mirror.list_dir(root)
            address = str(root.resolve())
        state = Path(str(options["state"])) if options["state"] else default_state_dir()
        try:
            log = self._log_key(read, str(options["key"]), address, state)
        except client.KeyChangedError as exc:
            self.stderr.write(f"REFUSED: {exc}")
            raise SystemExit(2) from exc
        report = mirror.verify_mirror(read, log, listing)
        for problem in report.problems:
            self.stdout.write(problem)
        if report.checked == 0 and not report.ok:
            raise SystemExit(2 if report.problems[0].startswith(mirror.MANIFEST) else 1)
        with client.exits_on_failure(self.stderr):
            found, warning = mirror.check_checkpoint(read, log, state)
        if warning:
            self.stderr.write(warning)
        if not report.ok:
            raise SystemExit(1)
        if report.legacy:
            self.stderr.write(
                "This manifest was signed before manifests had a key name of their own "
                f"({keys.manifest_name(log.name)}); it is accepted: its first line can never "
                "be a checkpoint's."
            )
        self.stdout.write(
            f"OK: {report.checked} files match the manifest signed by {log.name} "
            f"(generated {report.generated}); {found}"
        )

    def _log_key(self, read: client.Reader, given: str, address: str, state: Path) -> note.Verifier:
        """The key to check against (see the module docstring); KeyChangedError when the key
        the mirror serves is not it."""
        try:
            served: note.Verifier | None = note.parse_vkey(read("log/key").decode())
        except (KeyError, UnicodeDecodeError, note.NoteError, urllib.error.URLError):
            served = None
        if given:
            return note.parse_vkey(given)
        local = keys.existing_log_verifier()
        if local is not None:
            if served is not None and served != local:
                raise client.KeyChangedError(
                    f"the mirror's log/key is {served.vkey}, this installation's key is "
                    f"{local.vkey}: the mirror was re-signed by someone else"
                )
            return local
        if served is None:
            raise CommandError("the mirror serves no usable log/key; pass --key")
        trusted, message = client.pin_key(state, address, served)
        self.stderr.write(message)
        return trusted
