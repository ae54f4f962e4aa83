"""The public room's background work: the static mirror brought up to date after each
publication (JIANDU_MIRROR_DIR, docs/mirrors.md).

The transparency log's task (jiandu/tlog/tasks.py) asks the witnesses to cosign the new
checkpoint first and then sends `tlog.signals.log_updated`; `update_mirror` runs on it, in the
same task, so the mirror's checkpoint carries the cosignatures. A side effect only: nothing is
refused or rolled back by it.
"""

from pathlib import Path

from jiandu.tlog.tasks import mirror_dir


def update_mirror(**kwargs: object) -> int:
    """Export the mirror (incrementally) when one is configured; how many files were written."""
    from jiandu.public import mirror

    root = mirror_dir()
    if not root:
        return 0
    return len(mirror.export_mirror(Path(root)).written)
