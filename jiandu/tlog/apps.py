from django.apps import AppConfig


class TlogConfig(AppConfig):
    name = "jiandu.tlog"
    label = "tlog"
    verbose_name = "Transparency log"

    def on_serve(self) -> str:
        """Make the transparency log's signing key and the witness key (files in the data
        dir) before the first request, and say which key readers should pin."""
        from jiandu.tlog import keys

        keys.witness_signing_key()
        message = f"transparency log key {keys.log_verifier().vkey}"
        warning = keys.origin_warning()  # after the key: a new key records the derived name
        return f"{message}\n{warning}" if warning else message
