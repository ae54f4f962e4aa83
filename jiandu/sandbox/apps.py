from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Runs untrusted parsers under limits, namespaces and seccomp; no models, no pages."""

    name = "jiandu.sandbox"
    label = "sandbox"

    def ready(self) -> None:
        from jiandu.sandbox import checks  # noqa: F401  (says at start when it is unavailable or weak)
