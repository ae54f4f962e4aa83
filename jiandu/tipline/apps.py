from django.apps import AppConfig

# A file's name arrives in its part's headers. Django refuses a part whose headers pass 1 KiB,
# which a long name (a few hundred Chinese characters in UTF-8) does, and the source then sees
# "your upload did not arrive complete". The tip line accepts any name (jiandu.vault.uploads
# shortens it), so parts may carry up to 32 KiB of headers: still bounded, per part.
MULTIPART_HEADER_BYTES = 32 * 1024


class TiplineConfig(AppConfig):
    name = "jiandu.tipline"
    label = "tipline"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.http import multipartparser

        from jiandu.tipline import defaults

        post_migrate.connect(defaults.ensure_default, sender=self)

        multipartparser.MAX_TOTAL_HEADER_SIZE = max(  # type: ignore[attr-defined]
            multipartparser.MAX_TOTAL_HEADER_SIZE,  # type: ignore[attr-defined]
            MULTIPART_HEADER_BYTES,
        )
