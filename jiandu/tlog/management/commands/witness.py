"""`jiandu witness URL --key VKEY`: ask another newsroom's Jiandu (its witness prefix, e.g.
https://other.example/log/witness) to cosign this log's current checkpoint. Exits 3, loudly,
if the witness reports a split view."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.tlog import note, witness


class Command(BaseCommand):
    help = "Get this log's checkpoint cosigned by a witness (C2SP tlog-witness)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the witness's submission prefix (…/log/witness)")
        parser.add_argument("--key", required=True, help="the witness's vkey (…/log/witness/key)")

    def handle(self, *args: object, **options: object) -> None:
        try:
            verifier = note.parse_vkey(str(options["key"]))
        except note.NoteError as exc:
            raise CommandError(f"bad witness key: {exc}") from exc
        try:
            cosignature = witness.do_request_cosignature(str(options["url"]), verifier)
        except witness.WitnessRefused as exc:
            if exc.split:
                self.stderr.write("!" * 72 + f"\n{exc}\n" + "!" * 72)
                raise SystemExit(3) from exc
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot reach the witness: {exc}") from exc
        self.stdout.write(
            f"Cosigned by {cosignature.witness} at size {cosignature.size}: {cosignature.line}"
        )
