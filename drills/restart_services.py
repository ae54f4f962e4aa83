"""Service drill: PostgreSQL and Redis restart in the middle of the work.

    .venv/bin/python -m drills.restart_services [--rounds 3] [--down 3]

The cluster's own PostgreSQL is stopped in immediate mode (a crash for every client: no
checkpoint, recovery at the next start) and started again after `--down` seconds; then its own
Redis is killed (SIGKILL; it runs without persistence, so every throttle count goes) and
started again. Each round between normal work, while sources upload and editors publish.
Then the checks of drills/common.py.
"""

from __future__ import annotations

import sys
import threading

from drills.cluster import Cluster
from drills.common import parser, report, run_drill


def restarts(rounds: int, down: float):  # type: ignore[no-untyped-def]
    def fault(cluster: Cluster, stop: threading.Event) -> str:
        stop.wait(8)
        done = {"postgresql": 0, "redis": 0}
        for _ in range(rounds):
            cluster.stop_postgres("immediate")
            stop.wait(down)
            cluster.start_postgres()
            done["postgresql"] += 1
            stop.wait(8)
            cluster.stop_redis()
            stop.wait(down)
            cluster.start_redis()
            done["redis"] += 1
            stop.wait(8)
        return f"PostgreSQL {done['postgresql']}x, Redis {done['redis']}x restarted"

    return fault


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--down", type=float, default=3)
    args = p.parse_args()
    result = run_drill(
        "restart services",
        restarts(args.rounds, args.down),
        uploaders=args.uploaders,
        keep=args.keep,
    )
    return report([result])


if __name__ == "__main__":
    sys.exit(main())
