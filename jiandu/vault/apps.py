"""The vault: encryption at rest, member and source keys, blobs on disk (docs/crypto.md)."""

from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "jiandu.vault"
    label = "vault"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from jiandu.vault import conf

        # Secrets are made at install time, never on a source's first submission.
        post_migrate.connect(conf.create_secrets, sender=self)

    def on_serve(self) -> str:
        """Before serving: make missing secrets, drop abandoned uploads and orphan blobs,
        schedule the hourly job (retention, expired sessions, finished tasks, file times)."""
        from jiandu.vault import actions, conf, tasks

        conf.create_secrets()
        parts, orphans = actions.do_clean_leftovers()
        tasks.schedule_retention()
        return f"removed {parts} abandoned upload(s) and {orphans} orphan blob(s)"
