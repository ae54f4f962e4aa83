"""Background work of the transparency log: bringing the static mirror up to date after a
publication, when JIANDU_MIRROR_DIR names a directory."""

from pathlib import Path

from django.conf import settings
from django.tasks import task

from jiandu.conf import env_str


def mirror_dir() -> str:
    return getattr(settings, "JIANDU_MIRROR_DIR", "") or env_str("JIANDU_MIRROR_DIR", "")


@task
def export_mirror() -> int:
    """Incremental export; returns the number of files written (nothing secret in it)."""
    from jiandu.ledger import mirror

    directory = mirror_dir()
    if not directory:
        return 0
    return len(mirror.export_mirror(Path(directory)).written)
