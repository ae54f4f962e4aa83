"""Every drill in turn, one summary table at the end.

    .venv/bin/python -m drills.all [--kills 100]

The kill drill (100 kills by default), the disk drill (SKIP without root), the service
restarts and the backup-and-restore drill; see each module. Exit status 1 if any failed.
"""

from __future__ import annotations

import os
import sys

from drills import backup_restore, disk_full, kill, restart_services
from drills.common import parser, report, run_drill


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=100)
    args = p.parse_args()
    results = [
        run_drill(
            "kill",
            kill.killer(args.kills, 1.0, 4.0, None),
            uploaders=args.uploaders,
            keep=args.keep,
        ),
    ]
    if os.geteuid() == 0:
        results.append(
            run_drill(
                "disk full",
                disk_full.disk_fault(15),
                uploaders=args.uploaders,
                keep=args.keep,
                extra_env=disk_full.DRILL_ENV,
                before_prepare=disk_full.mount_small_disk(64),
                after_stop=disk_full.unmount,
            )
        )
    else:
        print("disk full: SKIP (needs root to mount a small filesystem)")
    results.append(
        run_drill(
            "restart services",
            restart_services.restarts(3, 3),
            uploaders=args.uploaders,
            keep=args.keep,
        )
    )
    results.append(backup_restore.run(20, args.keep))
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
