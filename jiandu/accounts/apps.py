from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "jiandu.accounts"
    label = "accounts"
    verbose_name = "Newsroom accounts"

    def ready(self) -> None:
        from jiandu.accounts.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self)
