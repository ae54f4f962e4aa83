"""The newsroom's inbox for the tip line: triage of sources, their conversations, previews,
replies, exports and notifications. Decryption happens only on a source's own pages, with the
member's key from their session; the inbox list reads only workflow fields and counts."""

from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "jiandu.newsroom"
    label = "newsroom"

    def ready(self) -> None:
        from jiandu.newsroom import receivers  # noqa: F401  (triage rows, notifications)

    def waiting(self, member: object) -> list:
        """New tips and unread replies for the navigation's counts (core/waiting.py)."""
        from jiandu.newsroom.waiting import waiting

        return waiting(member)  # type: ignore[arg-type]

    def load_demo(self) -> str:
        """The admin's and a second editor's one-time logins, with the admin's vault key."""
        from jiandu.newsroom.demo import prepare_demo_admin_text

        return prepare_demo_admin_text()

    def on_serve(self) -> str:
        """Before serving: make sure the hourly notification run is queued."""
        from jiandu.newsroom import notify

        notify.schedule_hourly()
        return "hourly notification run scheduled"
