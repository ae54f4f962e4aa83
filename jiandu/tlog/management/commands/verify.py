"""`jiandu verify FILE_OR_SHA256 [--log URL_OR_DIR]`: is this file or page in the newsroom's
transparency log, since when, under which case and revision, still current or retracted?

Every answer is proved: the checkpoint must be signed by the log's key (--key, else the key
pinned in the state directory on first use, else the log's /log/key on first use), every
entry's inclusion proof is recomputed from the tiles and checked against the checkpoint's root,
and the checkpoint must extend the last one this verifier saw (kept in --state). Exit status:
0 in the log, 1 not in the log, 2 the log failed verification, 3 split view or truncation.
"""

import hashlib
import json
import os
import re
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.tlog import client, keys, note
from jiandu.tlog import read as logread

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def page_digest(path: Path) -> str:
    """For a saved JSON API answer for a case (`/cases/api/cases/<slug>.json`): the SHA-256 of
    its `case` snapshot in canonical JSON, which is what the log records for a page revision.
    Empty for any other file."""
    if path.stat().st_size > 16 * 1024 * 1024:
        return ""
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(data, dict) or not isinstance(data.get("case"), dict):
        return ""
    canonical = json.dumps(data["case"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "jiandu-verify"


class Command(BaseCommand):
    help = "Check a file or SHA-256 against a transparency log, with proofs."
    requires_system_checks: list[str] = []  # a verifier holds nothing: checks open the database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="a file, or the SHA-256 of one (64 hex digits)")
        parser.add_argument("--log", default="", help="the log's URL (…/log/) or directory")
        parser.add_argument("--key", default="", help="the log's verifier key (vkey)")
        parser.add_argument("--witness", action="append", default=[], help="a witness vkey")
        parser.add_argument("--state", default="", help="where the last checkpoint seen is kept")
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")

    def handle(self, *args: object, **options: object) -> None:
        target = str(options["target"])
        if SHA256.match(target) and not Path(target).exists():
            digest = target.lower()
        else:
            try:
                with open(target, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError as exc:
                raise CommandError(f"cannot read {target}: {exc.strerror}") from exc
            page = page_digest(Path(target))
            if page:
                self.stderr.write(f"A case from the JSON API: checking its revision ({page}).")
                digest = page
        source = str(options["log"])
        if not source:
            read: client.Reader = logread.local_reader
        elif source.startswith(("http://", "https://")):
            read = client.http_reader(source)
        else:
            read = client.dir_reader(Path(source))
        state = Path(str(options["state"])) if options["state"] else default_state_dir()
        log = self._log_key(read, str(options["key"]), source, state)
        witnesses = [note.parse_vkey(w) for w in cast("list[str]", options["witness"])]
        with client.exits_on_failure(self.stderr):
            answer = client.verify_sha256(read, digest, log, witnesses=witnesses, state_dir=state)
        self._report(answer, bool(options["json"]))
        if not answer.found:
            raise SystemExit(1)

    def _log_key(self, read: client.Reader, given: str, source: str, state: Path) -> note.Verifier:
        if given:
            return note.parse_vkey(given)
        if not source:
            return keys.log_verifier()
        try:
            served = note.parse_vkey(read("key").decode())
        except (KeyError, UnicodeDecodeError, note.NoteError) as exc:
            raise CommandError("the log serves no usable key; pass --key") from exc
        # Pinned per source and per name (client.pin_key, shared with `jiandu verify-mirror`):
        # a log that later serves another key, under its name or another, is refused.
        try:
            trusted, message = client.pin_key(state, source, served)
        except client.KeyChangedError as exc:
            self.stderr.write(f"THE LOG'S KEY CHANGED: {exc}")
            raise SystemExit(2) from exc
        if message.startswith("Trusting"):
            self.stderr.write(message)
        return trusted

    def _report(self, answer: client.Answer, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
            return
        if not answer.found:
            self.stdout.write(
                f"NOT IN THE LOG: {answer.sha256} (checked {answer.checkpoint.size} entries)"
            )
        else:
            first = answer.events[0].data
            self.stdout.write(f"IN THE LOG since {first['time']}: {answer.sha256}")
            self.stdout.write(f"status: {answer.status}")
            for event in answer.events:
                d = event.data
                self.stdout.write(
                    f"  #{event.index} {d['time']} {d['action']} {d['kind']} "
                    f"case {d['case']} revision {d['revision']} (inclusion proof checked)"
                )
        self.stdout.write(
            f"checkpoint: {answer.checkpoint.origin} size {answer.checkpoint.size}, signature "
            f"checked; {answer.consistency}"
        )
        if answer.cosigners:
            self.stdout.write("cosigned by: " + ", ".join(answer.cosigners))
