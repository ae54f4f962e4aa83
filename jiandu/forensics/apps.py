from django.apps import AppConfig


class ForensicsConfig(AppConfig):
    """What submitted files say about themselves, read in a sandbox: previews first."""

    name = "jiandu.forensics"
    label = "forensics"

    def ready(self) -> None:
        from jiandu.forensics import receivers  # noqa: F401  (removes blobs with their rows)

    def on_serve(self) -> str:
        """Before serving: drop unfinished preview files and previews no row refers to."""
        from jiandu.forensics import actions

        removed = actions.do_clean_preview_leftovers()
        retired = actions.do_expire_stale_workers()
        return f"removed {removed} preview leftover(s), retired {retired} stopped worker(s)"
