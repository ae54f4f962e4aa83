"""`jiandu onion`: the onion service for a local Tor (docs/operations.md, "Onion service").

1. Writes the Tor configuration (HiddenServiceDir, the port to `jiandu serve`, the
   proof-of-work and introduction defences) to a file to include from /etc/tor/torrc.
2. Once Tor has started the service, reads the onion address back from
   `<HiddenServiceDir>/hostname` (or takes `--address`), checks it (v3, checksum), and stores
   it in the data dir. At its next start `jiandu serve` accepts that host, sends
   `Onion-Location` on the clearnet site, and, with JIANDU_TIPLINE_ONION_ONLY=true, serves the
   tip line only there.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiandu.tipline import onion

DEFAULT_SERVICE_DIR = Path("/var/lib/tor/jiandu")


class Command(BaseCommand):
    help = "Write the Tor configuration for the onion service and read its address back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hidden-service-dir",
            type=Path,
            default=DEFAULT_SERVICE_DIR,
            help=f"Tor's HiddenServiceDir (default {DEFAULT_SERVICE_DIR}; Tor's user owns it)",
        )
        parser.add_argument(
            "--torrc",
            type=Path,
            help="where to write the configuration (default: tor/jiandu.torrc in the data dir)",
        )
        parser.add_argument("--port", type=int, default=settings.JIANDU_PORT)
        parser.add_argument("--virtual-port", type=int, default=80)
        parser.add_argument("--address", help="the onion address, when hostname is unreadable")

    def handle(self, *args: object, **options: object) -> None:
        data_dir = Path(settings.DATA_DIR)
        service_dir = Path(str(options["hidden_service_dir"])).resolve()
        torrc = Path(str(options["torrc"] or data_dir / "tor" / "jiandu.torrc"))
        config = onion.TorConfig(
            hidden_service_dir=service_dir,
            target_port=int(str(options["port"])),
            virtual_port=int(str(options["virtual_port"])),
        )
        torrc.parent.mkdir(parents=True, exist_ok=True)
        torrc.write_text(config.text(), encoding="ascii")
        os.chmod(torrc, 0o644)  # Tor's own user reads it
        self.stdout.write(
            f"Wrote {torrc}.\n"
            f"Add this line to /etc/tor/torrc:  %include {torrc}\n"
            "then reload Tor (systemctl reload tor) and run `jiandu onion` again to read the "
            "address."
        )
        try:
            if options["address"]:
                address = onion.valid_address(str(options["address"]))
            else:
                address = onion.read_hostname(service_dir)
        except onion.OnionError as exc:
            if options["address"]:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"No onion address yet: {exc}")
            return
        target = onion.address_file(data_dir)
        target.write_text(address + "\n", encoding="ascii")
        os.chmod(target, 0o644)
        self.stdout.write(
            f"Onion address: {address}\n"
            f"Stored in {target}. Restart `jiandu serve`: it then accepts this host, sends "
            "Onion-Location on the clearnet site, and with JIANDU_TIPLINE_ONION_ONLY=true "
            "serves the tip line only on the onion address."
        )
