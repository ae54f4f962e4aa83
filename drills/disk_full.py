"""Disk drill: the vault's disk fills up while sources upload and editors publish.

    .venv/bin/python -m drills.disk_full [--size-mb 64] [--hold 15]

The vault's folder of a private cluster (staging of uploads and, with the local blob store
this drill uses, the blobs themselves) is a small filesystem of its own (tmpfs, so the drill
needs root; without it the drill says SKIP and exits 77). After some normal work:

1. full: a filler file takes every free byte; uploads must be refused (the free-space guard,
   JIANDU_MIN_FREE_BYTES, set to 4 MiB here), never acknowledged and then lost;
2. nearly full: the filler leaves the guard's amount and a few dozen KiB, so an upload passes
   the guard and then meets ENOSPC in the middle of its write;
3. the filler goes; uploads must succeed again.

Then the checks of drills/common.py.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

from drills.cluster import Cluster
from drills.common import parser, report, run_drill

MIB = 1024 * 1024
GUARD = 4 * MIB
# The local blob store, so the blobs live on the small disk too; the guard at 4 MiB.
DRILL_ENV = {
    "JIANDU_BLOB_BACKEND": "jiandu.core.blobstore.services.LocalBlobStore",
    "JIANDU_MIN_FREE_BYTES": str(GUARD),
}


def vault_dir(cluster: Cluster) -> Path:
    return Path(cluster.env["JIANDU_DATA_DIR"]) / "vault"


def mount_small_disk(size_mb: int):  # type: ignore[no-untyped-def]
    def mount(cluster: Cluster) -> None:
        target = vault_dir(cluster)
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(target)],
            check=True,
            capture_output=True,
        )

    return mount


def unmount(cluster: Cluster) -> None:
    with contextlib.suppress(subprocess.CalledProcessError, KeyError):
        subprocess.run(["umount", str(vault_dir(cluster))], check=True, capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """A filler file that leaves `leave` bytes free (0: every byte, to ENOSPC)."""
    filler = folder / "drill-filler"
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with filler.open("wb", buffering=0) as out:
        block = b"\0" * MIB
        remaining = max(0, free - leave)
        try:
            while remaining > 0:
                remaining -= out.write(block[: min(MIB, remaining)])
            if leave == 0:
                while True:
                    out.write(block[:4096])
        except OSError:
            pass  # ENOSPC: full
    return filler


def disk_fault(hold: float):  # type: ignore[no-untyped-def]
    def fault(cluster: Cluster, stop: threading.Event) -> str:
        folder = vault_dir(cluster)
        stop.wait(8)
        filler = fill(folder, 0)
        stop.wait(hold)
        filler.unlink()
        filler = fill(folder, GUARD + 40 * 1024)
        stop.wait(hold)
        filler.unlink()
        stop.wait(8)
        return f"vault disk full {hold:.0f} s, then {GUARD // MIB} MiB + 40 KiB free {hold:.0f} s"

    return fault


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--size-mb", type=int, default=64)
    p.add_argument("--hold", type=float, default=15)
    args = p.parse_args()
    if os.geteuid() != 0:
        print("SKIP: the disk drill mounts a small filesystem, which needs root.")
        return 77
    result = run_drill(
        "disk full",
        disk_fault(args.hold),
        uploaders=args.uploaders,
        keep=args.keep,
        extra_env=DRILL_ENV,
        before_prepare=mount_small_disk(args.size_mb),
        after_stop=unmount,
    )
    return report([result])


if __name__ == "__main__":
    sys.exit(main())
