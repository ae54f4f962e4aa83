from django.apps import AppConfig


class ForensicsConfig(AppConfig):
    """What submitted files say about themselves, read in a sandbox: previews first."""

    name = "jiandu.forensics"
    label = "forensics"
