"""File and folder times that say no more than the hour (docs/threat-model.md, "Times").

The tip line promises that a source's actions are kept only to the hour. A file's modification
and access times would say more, to the second, to whoever holds the disk: so every file and
folder the vault or the previews write is set back to the start of the current hour as soon as
the write is done (`settle`). A change time (ctime) cannot be set by anyone but the kernel; the
hourly job (`jiandu.vault.tasks`) calls `settle_tree` on the whole data dir, which touches
everything changed since the previous run again, so afterwards even the ctimes only say "some
time before this run". What remains between two runs is written down in the threat model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from jiandu.conf import hour_floor

# How far back the hourly run looks for changed entries: two hours, so a run that starts late
# or a run that was missed still covers the hour before it.
LOOK_BACK_SECONDS = 2 * 3600


def settle(*paths: Path | int) -> None:
    """Set the access and modification times of each path (or open file descriptor) to the
    start of the current hour. A path that has gone already is skipped."""
    hour = hour_floor()
    for path in paths:
        try:
            os.utime(path, (hour, hour))
        except FileNotFoundError:
            continue


def open_quietly(path: Path) -> BinaryIO:
    """Open a file for reading without updating its access time (O_NOATIME, allowed to the
    file's owner, which the server is), so a read by a source (a reply) or of a secret leaves
    no time behind. Where the flag is refused, a plain open."""
    flags = os.O_RDONLY | getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        fd = os.open(path, os.O_RDONLY)
    return os.fdopen(fd, "rb")


def make_dir(path: Path) -> Path:
    """Create `path` (0700) and any missing parents, settling each folder it had to create
    and the folder that received it; return `path`."""
    if path.is_dir():
        return path
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    settle(*missing, missing[-1].parent if missing else path.parent)
    return path


def settle_tree(root: Path, now: float | None = None) -> int:
    """Set every file and folder under `root` (and `root` itself) changed in the last two
    hours back to the hour of its modification time. Returns how many were touched.

    Touching an entry makes its ctime the moment of this run, the same for all of them, so an
    hour's writes no longer differ by their ctimes. Symbolic links are not followed.
    """
    cutoff = (hour_floor(now) if now is not None else hour_floor()) - LOOK_BACK_SECONDS
    touched = 0
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in [*files, *dirs]:
            touched += _settle_entry(Path(folder) / name, cutoff)
    return touched + _settle_entry(root, cutoff)


def _settle_entry(path: Path, cutoff: int) -> int:
    try:
        info = path.lstat()
        if path.is_symlink() or max(info.st_ctime, info.st_mtime) < cutoff:
            return 0
        hour = hour_floor(info.st_mtime)
        os.utime(path, (hour, hour), follow_symlinks=False)
    except FileNotFoundError:  # removed while we walked
        return 0
    return 1
