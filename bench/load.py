"""Load benchmark of the scaled mode: 500 concurrent public readers and 20 concurrent uploads
for 60 s, through nginx.

    .venv/bin/python -m bench.load [--readers 500] [--uploads 20] [--seconds 60]
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000     # a running make run-scaled

Without --url it starts a scaled cluster of its own (drills/cluster.py: the machine's
PostgreSQL and Redis where they answer, moto's S3, nginx, 2 web processes, 2 workers) with the
demo loaded and its signed mirror exported, and the intake guard raised
(JIANDU_INTAKE_PER_MINUTE), since 20 uploaders would otherwise meet the guard of 30
submissions a minute by design; a running instance given by --url needs the same.

Readers: `--reader-procs` processes of asyncio HTTP/1.1 keep-alive clients (the standard
library only), each reading the public pages in turn (homes in three languages, the case
pages, the API), as anonymous readers do: nginx answers them from the signed mirror where it
has the page, the web processes otherwise (searches with a query: through nginx's one-second
cache of public answers, drills/cluster.py). Uploads: threads in another process, each a new
source sending a message and a PNG through the tip line (drills/workload.py's Uploader); an
upload counts as ok on the receipt's redirect.

Errors: any reader answer other than 200, any failed connection, any upload not acknowledged.
The last line is one JSON object: rps, p50_ms, p99_ms (readers), errors, uploads_ok (goal:
0 errors).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINK = re.compile(r'href="(/(?:en/|zh-hant/)?cases/[^"?#]*)"')


# Searches readers make, in each language (the demo's case: 重庆 is two characters, which
# only the PostgreSQL trigram index serves without a scan; "lei" a name in Latin letters).
SEARCHES = ["重庆", "lei"]


def discover(base: str) -> list[str]:
    """The public pages a reader would open: the homes and every case and person page linked
    from them (read live, with a query string so the mirror does not answer), and searches
    with a query in each language (which no static copy holds)."""
    homes = ["/cases/", "/en/cases/", "/zh-hant/cases/"]
    paths = list(homes)
    for home in homes:
        with urllib.request.urlopen(f"{base}{home}?from=bench", timeout=30) as answer:
            page = answer.read().decode()
        paths += [p for p in LINK.findall(page) if "/feed" not in p and "/export/" not in p]
    paths += [f"{home}search/?q={urllib.parse.quote(term)}" for home in homes for term in SEARCHES]
    return list(dict.fromkeys(paths))


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, keep the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


async def _reader(host: str, port: int, paths: list[str], offset: int, deadline: float,
                  latencies: list[tuple[float, int]], failures: list[int]) -> None:  # fmt: skip
    n = offset
    stream = None
    while time.monotonic() < deadline:
        index = n % len(paths)
        path = paths[index]
        n += 1
        begin = time.perf_counter()
        try:
            if stream is None:
                stream = await asyncio.open_connection(host, port)
            reader, writer = stream
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n\r\n"
            writer.write(request.encode())
            status, keep = await _response(reader)
            latencies.append(((time.perf_counter() - begin) * 1000, index))
            if status != 200:
                failures.append(status)
            if not keep:
                writer.close()
                stream = None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            failures.append(0)
            if stream is not None:
                stream[1].close()
            stream = None
            await asyncio.sleep(0.05)
    if stream is not None:
        stream[1].close()


def readers_process(host: str, port: int, paths: list[str], count: int, first: int,
                    seconds: float, out: multiprocessing.Queue) -> None:  # fmt: skip
    latencies: list[tuple[float, int]] = []
    failures: list[int] = []
    deadline = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(
                _reader(host, port, paths, first + i, deadline, latencies, failures)
                for i in range(count)
            )
        )

    asyncio.run(main())
    out.put((latencies, failures))


def uploads_process(base: str, count: int, seconds: float, out: multiprocessing.Queue) -> None:
    from drills.workload import Tally, Uploader

    tally = Tally()
    stop = threading.Event()
    uploaders = [Uploader(base, tally, stop, pause=0) for _ in range(count)]
    for uploader in uploaders:
        uploader.start()
    time.sleep(seconds)
    stop.set()
    for uploader in uploaders:
        uploader.join(timeout=120)
    out.put((len(tally.acked_uploads), sum(tally.errors.values()), tally.errors))


def run(base: str, readers: int, uploads: int, seconds: float, reader_procs: int) -> dict:
    host, port = base.split("//", 1)[1].split(":")
    paths = discover(base)
    print(f"{len(paths)} public paths, e.g. {paths[:4]}", flush=True)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = []
    share = [readers // reader_procs + (i < readers % reader_procs) for i in range(reader_procs)]
    first = 0
    for count in share:
        procs.append(
            multiprocessing.Process(
                target=readers_process,
                args=(host, int(port), paths, count, first, seconds, queue),
            )
        )
        first += count
    upload_queue: multiprocessing.Queue = multiprocessing.Queue()
    if uploads:
        procs.append(
            multiprocessing.Process(
                target=uploads_process, args=(base, uploads, seconds, upload_queue)
            )
        )
    began = time.monotonic()
    for proc in procs:
        proc.start()
    timed: list[tuple[float, int]] = []
    failures: list[int] = []
    for _ in share:
        got_latencies, got_failures = queue.get(timeout=seconds + 180)
        timed += got_latencies
        failures += got_failures
    uploads_ok, upload_errors, upload_kinds = (
        upload_queue.get(timeout=seconds + 300) if uploads else (0, 0, {})
    )
    for proc in procs:
        proc.join(timeout=30)
    elapsed = max(seconds, time.monotonic() - began)
    latencies = sorted(ms for ms, _path in timed)
    by_path: dict[int, list[float]] = {}
    for ms, path in timed:
        by_path.setdefault(path, []).append(ms)
    for index, values in sorted(by_path.items()):
        values.sort()
        print(
            f"{len(values):7d} requests  p50 {statistics.median(values):8.1f} ms  "
            f"p99 {values[int(0.99 * (len(values) - 1))]:8.1f} ms  {paths[index]}"
        )
    statuses: dict[str, int] = {}
    for status in failures:
        statuses[str(status or "connection")] = statuses.get(str(status or "connection"), 0) + 1
    print(f"reader failures by status: {statuses}; upload errors: {upload_kinds}")
    return {
        "readers": readers,
        "uploaders": uploads,
        "seconds": seconds,
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1)
        if latencies
        else None,
        "errors": len(failures) + upload_errors,
        "uploads_ok": uploads_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running scaled Jiandu (default: start one)")
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reader-procs", type=int, default=2)
    parser.add_argument("--private", action="store_true", help="own PostgreSQL and Redis")
    args = parser.parse_args()
    if args.url:
        result = run(args.url.rstrip("/"), args.readers, args.uploads, args.seconds,
                     args.reader_procs)  # fmt: skip
    else:
        from drills.cluster import Cluster

        with tempfile.TemporaryDirectory(prefix="jiandu-bench-load-") as tmp:
            cluster = Cluster(
                Path(tmp),
                private=args.private,
                extra_env={"JIANDU_INTAKE_PER_MINUTE": "100000"},
            )
            try:
                cluster.start_services()
                cluster.prepare(demo=True)
                cluster.export_mirror()
                cluster.start_processes()
                cluster.supervise()
                print(f"scaled cluster: {cluster.services}", flush=True)
                result = run(cluster.base_url, args.readers, args.uploads, args.seconds,
                             args.reader_procs)  # fmt: skip
            finally:
                cluster.stop()
                cluster.drop_database()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
