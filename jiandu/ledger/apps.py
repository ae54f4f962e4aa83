from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "jiandu.ledger"
    label = "ledger"
    verbose_name = "Custody log"
