"""The newsroom's inbox for the tip line: triage of sources, their conversations, previews,
replies, exports and notifications. Decryption happens only on a source's own pages, with the
member's key from their session; the inbox list reads only workflow fields and counts."""

from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "jiandu.newsroom"
    label = "newsroom"

    def ready(self) -> None:
        from jiandu.newsroom import receivers  # noqa: F401  (triage rows, notifications)
