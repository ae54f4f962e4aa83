"""The newsroom's minimum for the tip line: sources by designation, their items decrypted,
streamed downloads, replies, and the member's vault key page. The full inbox builds on it."""

from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "jiandu.newsroom"
    label = "newsroom"
