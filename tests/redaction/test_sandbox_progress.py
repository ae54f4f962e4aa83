"""The sandbox's stderr callback (added for render progress): it sees the tool's stderr as it
comes, and returning False stops the tool at once with Failure.CANCELLED."""

import time

from jiandu.sandbox.runner import Failure, Limits, run_sandboxed

LIMITS = Limits(cpu_seconds=10, wall_seconds=20, memory_bytes=512 * 1024 * 1024, max_tasks=4)
SCRIPT = "for i in 1 2 3 4 5 6 7 8 9 10; do echo P $i >&2; sleep 0.3; done; echo done"


def test_the_callback_sees_progress_and_the_tool_finishes():
    seen = []
    outcome = run_sandboxed(
        ["/bin/sh", "-c", SCRIPT], LIMITS, on_stderr=lambda data: seen.append(data) or True
    )
    assert outcome.ok and outcome.stdout == b"done\n"
    assert b"".join(seen).count(b"P ") == 10 and len(seen) > 1  # piece by piece, not at the end


def test_returning_false_stops_the_tool():
    started = time.monotonic()
    outcome = run_sandboxed(["/bin/sh", "-c", SCRIPT], LIMITS, on_stderr=lambda data: False)
    assert outcome.failure is Failure.CANCELLED and outcome.stdout == b""
    assert time.monotonic() - started < 2.5
