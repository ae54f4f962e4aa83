"""`make run-scaled`: the demo newsroom as a scaled deployment on this machine.

    .venv/bin/python scripts/run_scaled.py [--port 8000] [--data-dir var/scaled] [--seconds N]

PostgreSQL and Redis: the machine's where they answer on 127.0.0.1 (a database and a Redis
database of the run's own), started privately where they do not; an S3 server (moto's, in
memory, unless JIANDU_S3_ENDPOINT_URL names one) for the vault's blobs; two web processes
(gunicorn, one worker of 8 threads each), two task workers, and nginx on 127.0.0.1:PORT in
front: static files from disk, the signed static mirror for anonymous readers, the web
processes for everyone else. A web process or worker that dies is started again within half a
second. With moto's in-memory S3 each start is a fresh demo (database and data dir made anew).
Ctrl+C (or --seconds) stops everything it started. See drills/cluster.py for the pieces and
docs/operations.md, "Scaled deployment", for the production version.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drills.cluster import Cluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("JIANDU_PORT", "8000")))
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "scaled"))
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long")
    parser.add_argument("--private", action="store_true", help="own PostgreSQL and Redis")
    parser.add_argument("--no-demo", action="store_true", help="an empty newsroom")
    args = parser.parse_args()

    # Fresh at each start: moto's S3 server keeps the blobs in memory only, so a database
    # kept from the last run would point to blobs that are gone.
    cluster = Cluster(
        Path(args.data_dir),
        port=args.port,
        private=args.private,
        database_name="jiandu_scaled",
        fresh=not os.environ.get("JIANDU_S3_ENDPOINT_URL"),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        cluster.start_services()
        print(cluster.prepare(demo=not args.no_demo).strip(), flush=True)
        print(cluster.export_mirror().strip(), flush=True)
        cluster.start_processes()
        cluster.supervise()
        print("\nJiandu (scaled) is running:")
        for name, how in cluster.services.items():
            print(f"  {name:<11} {how}")
        for proc in cluster.procs:
            print(
                f"  {proc.name:<11} pid {proc.popen.pid}"
                + (f", port {proc.port}" if proc.port else "")
            )
        base = cluster.base_url
        print(f"  Tip line    {base}/\n  Newsroom    {base}/newsroom/\n  Public site {base}/cases/")
        print(f"Logs in {cluster.logs}. Press Ctrl+C to stop.", flush=True)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        while not stop.wait(0.5):
            if deadline is not None and time.monotonic() > deadline:
                break
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
