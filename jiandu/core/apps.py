from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jiandu.core"
    label = "core"

    def ready(self) -> None:
        from jiandu.core.blobstore import checks  # noqa: F401  (registers the system check)
