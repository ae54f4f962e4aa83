from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "jiandu.ledger"
    label = "ledger"
    verbose_name = "Custody log"

    def on_serve(self) -> str:
        """Make the transparency log's signing key and the witness key (files in the data
        dir) before the first request, and say which key readers should pin."""
        from jiandu.ledger import keys

        keys.witness_signing_key()
        return f"transparency log key {keys.log_verifier().vkey}"
