"""What every drill shares: a private scaled cluster, the workload, the fault, the checks, and
the summary table.

A drill (`drills/kill.py`, `drills/disk_full.py`, `drills/restart_services.py`) is one
function, its fault, given the running cluster and a stop event. `run_drill` does the rest:

1. a private cluster (its own PostgreSQL, Redis, S3 server, nginx, 2 web processes, 2 workers)
   in a fresh directory under var/drills/ (kept on failure, removed on success);
2. the drill's members and case (`drills.djangoside setup`);
3. uploaders and the editors at work through nginx (`drills.workload`), the fault alongside;
4. the work stops, the processes settle (those killed are already restarted), then stop;
5. the checks (`drills.djangoside verify`), then `jiandu serve`'s start-up clean-up, then the
   checks again: blobs left by a kill between the store and the commit must be gone, and
   everything else the same;
6. one row of the summary table; exit status 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from drills.cluster import ROOT, Cluster
from drills.workload import Editors, Tally, Uploader

RESULTS = ROOT / "var" / "drills"
COLUMNS = [
    ("drill", "drill"),
    ("faults", "faults"),
    ("uploads", "uploads acked/tried"),
    ("publications", "publications acked/tried"),
    ("items", "items"),
    ("previews_ready", "previews ready"),
    ("lost", "acked lost"),
    ("half", "half published"),
    ("orphans", "orphan blobs (after clean-up)"),
    ("custody", "custody chain"),
    ("client_errors", "client errors"),
    ("seconds", "s"),
    ("ok", "result"),
]


@dataclass
class DrillResult:
    drill: str
    faults: str
    row: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


Fault = Callable[[Cluster, threading.Event], str]


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--uploaders", type=int, default=3, help="concurrent uploading sources")
    p.add_argument("--keep", action="store_true", help="keep the drill's directory")
    return p


def run_drill(
    name: str,
    fault: Fault,
    *,
    uploaders: int = 3,
    extra_env: dict[str, str] | None = None,
    keep: bool = False,
    before_prepare: Callable[[Cluster], None] | None = None,
    after_stop: Callable[[Cluster], None] | None = None,
    settle_seconds: float = 20,
) -> DrillResult:
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    folder = RESULTS / f"{name.replace(' ', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    env = {
        "JIANDU_INTAKE_PER_MINUTE": "100000",  # the drill, not the intake guard, is the limit
        "JIANDU_KDF_OPSLIMIT": "1",
        "JIANDU_LOGIN_CLIENT_LIMIT": "1000",
        **(extra_env or {}),
    }
    cluster = Cluster(folder, private=True, extra_env=env)
    password = f"drill {secrets.token_hex(8)} password"
    tally = Tally()
    result = DrillResult(name, "")
    try:
        cluster.start_services()
        if before_prepare is not None:
            before_prepare(cluster)
        cluster.prepare()
        setup = json.loads(cluster.python("drills.djangoside", "setup", password))
        cluster.start_processes()
        cluster.supervise()
        stop = threading.Event()
        clients = [Uploader(cluster.base_url, tally, stop) for _ in range(uploaders)]
        clients.append(Editors(cluster.base_url, tally, stop, password, setup))
        for client in clients:
            client.start()
        try:
            result.faults = fault(cluster, stop)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=150)
        cluster.resume()
        cluster.wait_all_webs()
        time.sleep(settle_seconds)  # workers finish what was queued
        cluster.quiesce()
        acked = folder / "acked.json"
        with tally.lock:
            acked.write_text(
                json.dumps(
                    {
                        "password": password,
                        "uploads": tally.acked_uploads,
                        "publications": tally.acked_publications,
                    }
                )
            )
        before = json.loads(cluster.python("drills.djangoside", "verify", str(acked)))
        cluster.run_startup_hooks()
        after = json.loads(cluster.python("drills.djangoside", "verify", str(acked)))
        result.problems = sorted(set(before["problems"]) | set(after["problems"]))
        if after["orphan_blobs"]:
            result.problems.append(f"{after['orphan_blobs']} orphan blob(s) after the clean-up")
        for key in ("items", "lost_uploads"):
            if before[key] != after[key]:
                result.problems.append(f"{key} changed across the clean-up")
        half = [p for p in result.problems if "not in the log" in p or "without items" in p]
        result.details = {
            "before_cleanup": before,
            "after_cleanup": after,
            "attempts": tally.attempts,
            "errors": tally.errors,
            "processes": {p.name: {"starts": p.starts, "kills": p.kills} for p in cluster.procs},
            "services": cluster.services,
        }
        result.row = {
            "drill": name,
            "faults": result.faults,
            "uploads": f"{len(tally.acked_uploads)}/{tally.attempts.get('upload', 0)}",
            "publications": (
                f"{len(tally.acked_publications)}/{tally.attempts.get('publication', 0)}"
            ),
            "items": after["items"],
            "previews_ready": after["previews_ready"],
            "lost": after["lost_uploads"],
            "half": len(half),
            "orphans": f"{before['orphan_blobs']} ({after['orphan_blobs']})",
            "custody": f"ok, {after['custody_records']} records"
            if not any("custody" in p for p in result.problems)
            else "BROKEN",
            "client_errors": sum(tally.errors.values()),
            "seconds": round(time.monotonic() - started),
            "ok": "PASS" if result.ok else "FAIL",
        }
    except Exception as exc:
        result.problems.append(f"the drill itself failed: {type(exc).__name__}: {exc}"[:2000])
        result.row = {"drill": name, "faults": result.faults, "ok": "FAIL"}
    finally:
        cluster.stop()
        if after_stop is not None:
            after_stop(cluster)
    (folder / "result.json").write_text(
        json.dumps({"row": result.row, "problems": result.problems, **result.details}, indent=1)
    )
    if result.ok and not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def table(results: list[DrillResult]) -> str:
    """The summary table, one row per drill (plain text, aligned)."""
    header = [label for _key, label in COLUMNS]
    rows = [[str(r.row.get(key, "")) for key, _label in COLUMNS] for r in results]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    out = [
        " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    for r in results:
        for problem in r.problems:
            out.append(f"{r.drill}: {problem}")
    return "\n".join(out)


def report(results: list[DrillResult]) -> int:
    """Print the table and the details' pointers; the exit status (0 only if all passed)."""
    print(table(results))
    for r in results:
        print(f"{r.drill}: errors seen by the clients: {json.dumps(r.details.get('errors', {}))}")
        print(f"{r.drill}: processes: {json.dumps(r.details.get('processes', {}))}")
    print(json.dumps({r.drill: r.row for r in results}))
    return 0 if all(r.ok for r in results) else 1
