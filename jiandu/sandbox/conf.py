"""The sandbox's one setting, read through a function (not at import time) so tests can
override it with `settings.JIANDU_SANDBOX_ALLOW_WEAK`."""

from django.conf import settings

from jiandu.conf import env_bool


def sandbox_allow_weak() -> bool:
    """Whether untrusted files may be parsed with the jail's limits alone when bubblewrap
    cannot run (JIANDU_SANDBOX_ALLOW_WEAK, default false: they are then not analysed).

    Without bubblewrap a decoder exploit could read everything the service's user can read
    (docs/threat-model.md, "Forensics sandbox"); a warning says so at start and in the newsroom.
    """
    value = getattr(settings, "JIANDU_SANDBOX_ALLOW_WEAK", None)
    return bool(value) if value is not None else env_bool("JIANDU_SANDBOX_ALLOW_WEAK", False)
