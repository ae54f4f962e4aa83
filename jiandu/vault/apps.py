"""The vault: encryption at rest, member and source keys, blobs on disk (docs/crypto.md)."""

from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "jiandu.vault"
    label = "vault"

    def ready(self) -> None:
        from jiandu.vault import receivers  # noqa: F401  (connects the accounts signals)

    def on_serve(self) -> str:
        """Before serving: drop interrupted uploads and orphan blobs; schedule retention."""
        from jiandu.vault import actions, tasks

        parts, orphans = actions.do_clean_leftovers()
        tasks.schedule_retention()
        return f"removed {parts} interrupted upload(s) and {orphans} orphan blob(s)"
