"""Static-mirror benchmark: `jiandu export-mirror` of many generated cases, full and incremental.

    .venv/bin/python bench/mirror.py [--cases 1000]

It makes a throw-away data dir, publishes N generated cases (each with two people, three dated
events and a citation) through the cases room's actions, exports the whole public site in
every language, then publishes an update of one case and exports again. The last line printed
is one JSON object: cases, files, full_s, incremental_s, incremental_written, the CPU seconds
of each export, the workers and the load average. Goals: full < 60 s, incremental < 5 s after
one change. `--profile PATH` writes cProfile stats of each export to PATH.full and
PATH.incremental (run with JIANDU_MIRROR_WORKERS=1 to see the rendering itself); `--data DIR`
keeps the data dir, so a second run with the same --cases times only the exports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (the workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run[T](function: Callable[..., T], *args: Any, profile: str = "") -> T:
    """`function(*args)`, under cProfile (stats written to `profile`) when a path is given."""
    if not profile:
        return function(*args)
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function, *args)
    finally:
        profiler.dump_stats(profile)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--profile", default="", help="write cProfile stats of each export")
    parser.add_argument(
        "--data",
        default="",
        help="keep the data dir here and, when it already holds the cases, time only the exports",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.data:
            tmp = args.data
            Path(tmp).mkdir(parents=True, exist_ok=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="jiandu-bench-mirror-"))
        os.environ["JIANDU_DATA_DIR"] = str(Path(tmp) / "var")
        os.environ["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from jiandu.accounts.actions import do_create_member
        from jiandu.accounts.models import User
        from jiandu.cases import actions
        from jiandu.cases.models import Case
        from jiandu.public.mirror import default_workers, export_mirror

        cases = list(Case.objects.order_by("pk"))
        if len(cases) == args.cases:  # --data: published by an earlier run
            writer = User.objects.get(username="bench-writer")
            editor = User.objects.get(username="bench-editor")
        elif cases:
            raise SystemExit(f"{tmp} holds {len(cases)} cases, not {args.cases}")
        else:
            writer = do_create_member("bench-writer", "journalist", password="x" * 20).user
            editor = do_create_member("bench-editor", "editor", password="x" * 20).user
        started = time.monotonic()
        base = datetime(2020, 1, 1, tzinfo=UTC)
        for i in range(len(cases), args.cases):
            case = actions.do_create_case(
                writer,
                title_en=f"Case {i}: a county official's watch",
                title_zh=f"案件{i}：县官的名表",
                summary_en=f"Generated case number {i}, " + "with a summary. " * 8,
                summary_zh=f"第{i}号生成案件，" + "这是摘要。" * 8,
            )
            for j in range(2):
                person = actions.do_create_person(
                    writer, name_en=f"Official {i}-{j}", name_zh=f"官员{i}之{j}"
                )
                actions.do_link_person(writer, case, person, "subject")
            for k, kind in enumerate(("spread_online", "denial", "confirmed")):
                actions.do_add_event(
                    writer,
                    case,
                    type=kind,
                    occurred_at=base + timedelta(days=i % 300, hours=10 * k),
                    precision="day",
                    description_en=f"Event {k} of case {i}.",
                    description_zh=f"案件{i}的第{k}个事件。",
                )
            actions.do_add_citation(
                writer,
                case,
                outlet="Example Daily",
                title=f"Report {i}",
                url="https://example.org/",
            )
            actions.do_submit_for_review(writer, case, "First publication")
            actions.do_publish_case(editor, case)
            cases.append(case)
        print(f"published {args.cases} cases in {time.monotonic() - started:.1f} s", flush=True)
        mirror = Path(tmp) / "mirror"
        shutil.rmtree(mirror, ignore_errors=True)
        cpu = cpu_seconds()
        full = run(export_mirror, mirror, profile=args.profile and args.profile + ".full")
        full_cpu = cpu_seconds() - cpu
        print(f"full export: {len(full.files)} files in {full.seconds:.1f} s", flush=True)
        changed = cases[len(cases) // 2]
        actions.do_update_case(writer, changed, summary_en="Corrected summary.")
        actions.do_submit_for_review(writer, changed, "Correction")
        actions.do_publish_case(editor, changed)
        cpu = cpu_seconds()
        incremental = run(
            export_mirror, mirror, profile=args.profile and args.profile + ".incremental"
        )
        incremental_cpu = cpu_seconds() - cpu
        print(
            f"incremental export: {len(incremental.written)} files written in "
            f"{incremental.seconds:.1f} s",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "cases": args.cases,
                    "files": len(full.files),
                    "full_s": round(full.seconds, 2),
                    "incremental_s": round(incremental.seconds, 2),
                    "incremental_written": len(incremental.written),
                    # CPU seconds (this process and its workers): on a shared machine the
                    # wall-clock times above depend on the load, these much less.
                    "full_cpu_s": round(full_cpu, 2),
                    "incremental_cpu_s": round(incremental_cpu, 2),
                    "workers": default_workers(),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
        )


if __name__ == "__main__":
    main()
