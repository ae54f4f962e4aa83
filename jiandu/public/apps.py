from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "jiandu.public"
    label = "public"

    def ready(self) -> None:
        from jiandu.cases.signals import case_published
        from jiandu.public.pagecache import bump_generation

        def drop_cached_pages(**kwargs: object) -> None:
            bump_generation()

        case_published.connect(drop_cached_pages, weak=False, dispatch_uid="public-pages")

        from jiandu.public.tasks import update_mirror
        from jiandu.tlog.signals import log_updated

        # After each publication's cosignatures, in the log's task: the static mirror.
        log_updated.connect(update_mirror, weak=False, dispatch_uid="public-mirror")

    def on_serve(self) -> str:
        """Start each server with an empty page cache."""
        from jiandu.public.pagecache import bump_generation

        bump_generation()
        return "page cache cleared"
