"""Kill drill: SIGKILL the web processes and workers at random moments while sources upload,
editor A asks for previews (rendered by the workers) and the editors publish.

    .venv/bin/python -m drills.kill [--kills 100] [--min-gap 1] [--max-gap 4] [--seed N]

Each kill picks one of web1, web2, worker1, worker2 at random and sends SIGKILL to its whole
process group (a gunicorn master and worker, a worker and the sandboxed tool it runs); the
cluster starts it again within half a second, as systemd would. Then the checks of
drills/common.py; the last lines are the summary table and one JSON line.
"""

from __future__ import annotations

import random
import sys
import threading

from drills.cluster import Cluster
from drills.common import parser, report, run_drill


def killer(kills: int, min_gap: float, max_gap: float, seed: int | None):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)

    def fault(cluster: Cluster, stop: threading.Event) -> str:
        stop.wait(5)  # the work is under way
        names = [p.name for p in cluster.procs]
        done: dict[str, int] = {}
        for _ in range(kills):
            if stop.wait(rng.uniform(min_gap, max_gap)):
                break
            name = rng.choice(names)
            cluster.kill(name)
            done[name] = done.get(name, 0) + 1
        stop.wait(3)
        return (
            f"{sum(done.values())} kill -9 ("
            + ", ".join(f"{k} {v}" for k, v in sorted(done.items()))
            + ")"
        )

    return fault


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=100)
    p.add_argument("--min-gap", type=float, default=1.0)
    p.add_argument("--max-gap", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    result = run_drill(
        "kill",
        killer(args.kills, args.min_gap, args.max_gap, args.seed),
        uploaders=args.uploaders,
        keep=args.keep,
    )
    return report([result])


if __name__ == "__main__":
    sys.exit(main())
