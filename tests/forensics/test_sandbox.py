"""The sandbox: every limit is enforced, and no way of failing escapes as an exception."""

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import pytest

from jiandu.sandbox.runner import Failure, InputTooLarge, Limits, MemoryFile, run_sandboxed

FAST = Limits(cpu_seconds=2, wall_seconds=5, memory_bytes=512 * 1024 * 1024)
AS_ROOT = os.geteuid() == 0


def sh(script: str, limits: Limits = FAST, **kwargs):
    return run_sandboxed(["/bin/sh", "-c", script], limits, **kwargs)


def test_pipes_carry_input_and_output():
    outcome = run_sandboxed(["/bin/cat"], FAST, stdin=io.BytesIO(b"abc" * 100_000))
    assert outcome.ok
    assert outcome.stdout == b"abc" * 100_000


def test_memory_file_is_seekable_stdin_and_sealed():
    with MemoryFile.from_stream(io.BytesIO(b"hello"), max_bytes=10) as memory:
        # The tool reopens its stdin by path, twice: only a real (in-memory) file allows that.
        outcome = sh("cat /proc/self/fd/0 /proc/self/fd/0; readlink /proc/self/fd/0", stdin=memory)
        assert outcome.ok
        assert outcome.stdout.startswith(b"hellohello")
        assert b"memfd:" in outcome.stdout  # not a path on any disk
        with pytest.raises(PermissionError):
            os.write(memory.fd, b"x")  # sealed: the tool reads exactly what we wrote


def test_memory_file_refuses_more_than_its_limit():
    with pytest.raises(InputTooLarge):
        MemoryFile.from_stream(io.BytesIO(b"x" * 11), max_bytes=10)


def test_seekable_output_in_memory():
    outcome = sh("printf 'abcdef' > /proc/self/fd/1", output="memory")
    assert outcome.ok
    assert outcome.stdout == b"abcdef"


def test_cpu_limit_stops_an_endless_loop():
    outcome = sh("while :; do :; done", Limits(cpu_seconds=1, wall_seconds=10))
    assert outcome.failure is Failure.CPU
    assert outcome.wall_seconds < 5


def test_wall_time_limit_stops_a_tool_that_waits_forever():
    started = time.monotonic()
    outcome = sh("sleep 60", Limits(cpu_seconds=5, wall_seconds=1))
    assert outcome.failure is Failure.TIMEOUT
    assert time.monotonic() - started < 5


def test_memory_limit():
    limits = Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=256 * 1024 * 1024)
    outcome = run_sandboxed([sys.executable, "-c", "x = bytearray(1 << 31)"], limits)
    assert outcome.failure is Failure.MEMORY


def test_input_limit_on_a_pipe():
    limits = Limits(input_bytes=1024 * 1024)
    outcome = run_sandboxed(["/bin/cat"], limits, stdin=io.BytesIO(b"x" * (2 * 1024 * 1024)))
    assert outcome.failure is Failure.INPUT_TOO_LARGE
    assert outcome.stdout == b""


def test_input_limit_on_a_memory_file():
    with MemoryFile.from_stream(io.BytesIO(b"x" * 2000), max_bytes=4000) as memory:
        outcome = sh("cat", Limits(input_bytes=1000), stdin=memory)
    assert outcome.failure is Failure.INPUT_TOO_LARGE


def test_output_limit_on_a_pipe():
    outcome = sh("head -c 50000000 /dev/zero", Limits(output_bytes=1024 * 1024))
    assert outcome.failure is Failure.OUTPUT_TOO_LARGE
    assert outcome.stdout == b""


def test_output_limit_on_a_memory_file():
    outcome = sh(
        "head -c 50000000 /dev/zero > /proc/self/fd/1",
        Limits(output_bytes=1024 * 1024),
        output="memory",
    )
    assert outcome.failure is Failure.OUTPUT_TOO_LARGE


def test_the_tool_cannot_write_files(tmp_path):
    tmp_path.chmod(0o777)
    target = tmp_path / "leak"
    outcome = sh(f"printf secret > {target}; echo done")
    assert outcome.ok
    assert not target.exists() or target.stat().st_size == 0


def test_a_crash_is_reported_not_raised():
    outcome = sh("kill -SEGV $$")
    assert outcome.failure is Failure.CRASHED


def test_a_missing_program_is_unavailable():
    outcome = run_sandboxed(["/nonexistent/tool"], FAST)
    assert outcome.failure is Failure.UNAVAILABLE
    assert run_sandboxed(["relative-tool"], FAST).failure is Failure.UNAVAILABLE


def test_process_count_is_capped():
    outcome = sh("for i in $(seq 200); do sleep 5 & done; wait", Limits(max_tasks=16))
    assert not outcome.ok
    assert outcome.wall_seconds < 5  # the fork failed long before the sleeps would end


def test_leftover_processes_are_killed_and_reaped():
    # The tool's PIDs are those of its own namespace: look for it by its arguments.
    outcome = sh("sleep 31.4159 & echo started")
    assert outcome.ok
    assert outcome.stdout == b"started\n"
    time.sleep(0.2)
    for name in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            assert b"31.4159" not in Path(f"/proc/{name}/cmdline").read_bytes()


def test_environment_holds_no_server_secret(monkeypatch):
    monkeypatch.setenv("JIANDU_SECRET_KEY", "do-not-leak")
    outcome = run_sandboxed(["/usr/bin/env"], FAST)
    assert outcome.ok
    assert b"do-not-leak" not in outcome.stdout
    names = {line.split(b"=", 1)[0] for line in outcome.stdout.splitlines()}
    assert names <= {b"PATH", b"LC_ALL", b"PWD"}


def test_no_new_privileges_and_no_core_dumps():
    outcome = sh("grep NoNewPrivs /proc/self/status; ulimit -c")
    assert outcome.ok
    assert outcome.stdout.split() == [b"NoNewPrivs:", b"1", b"0"]


@pytest.mark.skipif(not AS_ROOT, reason="identity and network are dropped when run as root")
def test_as_root_the_tool_runs_as_a_user_of_its_own_without_network():
    from jiandu.sandbox.isolation import TRANSIENT_IDS

    ids = set()
    for _run in range(3):
        outcome = sh("id -u; id -g; id -G; tail -n +3 /proc/net/dev")
        assert outcome.ok
        lines = outcome.stdout.decode().splitlines()
        assert int(lines[0]) in TRANSIENT_IDS and lines[1] == lines[2] == lines[0]
        assert [line.split(":")[0].strip() for line in lines[3:]] == ["lo"]
        ids.add(lines[0])
    assert len(ids) == 3  # a new identity each run


def test_the_jail_counts_the_tasks_a_user_already_has():
    """RLIMIT_NPROC counts every process and thread of the user: the jail adds its allowance to
    what the (non-root) service already runs, so the web server's own threads never starve."""
    from jiandu.sandbox.jail import _tasks_of_uid

    assert _tasks_of_uid(os.getuid()) >= 1  # at least this test process
    assert _tasks_of_uid(2**31 - 7) == 0


@pytest.mark.skipif(not AS_ROOT, reason="capabilities are dropped when run as root")
def test_as_root_a_tool_that_keeps_uid_0_has_no_capability():
    # The interpreter of this venv may not be reachable by `nobody`; whichever identity the
    # tool ends with, it holds no capability, so it cannot raise its own limits.
    script = (
        "import resource, sys\n"
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n"
        "    print('raised')\n"
        "except (ValueError, OSError):\n"
        "    print('refused')\n"
    )
    outcome = run_sandboxed([sys.executable, "-c", script], FAST)
    assert outcome.ok, outcome.stderr
    assert outcome.stdout.split() == [b"0000000000000000", b"refused"]


@pytest.mark.skipif(not AS_ROOT, reason="as an ordinary user the tasks are the service's own")
def test_one_sandbox_full_of_threads_never_starves_another():
    """A video render starts dozens of threads while a preview or a still runs beside it: each
    run is a user of its own to the kernel, so RLIMIT_NPROC counts only its own tasks and one
    run's threads never stop another from starting its few."""
    import threading

    crowd = Limits(cpu_seconds=20, wall_seconds=20, memory_bytes=1024**3, max_tasks=64)
    small = Limits(cpu_seconds=5, wall_seconds=20, memory_bytes=512 * 1024**2, max_tasks=8)
    busy: dict = {}
    # The small run starts first (its limit is set then), the crowd grows while it waits.
    waiter = "sleep 2; for n in 1 2 3 4 5; do sleep 1 & done; wait; echo started; id -u"
    crowd_script = "for n in $(seq 40); do sleep 4 & done; wait; id -u"
    runner = threading.Thread(target=lambda: busy.update(out=sh(crowd_script, crowd)))
    small_run: dict = {}
    first = threading.Thread(target=lambda: small_run.update(out=sh(waiter, small)))
    first.start()
    time.sleep(0.5)
    runner.start()
    first.join()
    runner.join()
    assert busy["out"].ok, busy["out"]
    assert small_run["out"].ok, small_run["out"]
    assert b"started" in small_run["out"].stdout
    ids = {busy["out"].stdout.split()[-1], small_run["out"].stdout.split()[-1]}
    assert len(ids) == 2 and b"0" not in ids  # two identities, neither root
