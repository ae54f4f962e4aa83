"""The sandbox fails closed, and a hostile tool inside it cannot reach what it should not.

`hostile_tool.py` plays a decoder exploit: it tries to read the secret key and the data
directory, write outside its output, open network sockets, leave its namespaces, use the
kernel's risky interfaces and fork-bomb. Every try must fail. And when bubblewrap cannot run,
nothing runs at all unless JIANDU_SANDBOX_ALLOW_WEAK says so.
"""

import io
import json
import logging
import os
import platform
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from jiandu.sandbox import isolation, runner
from jiandu.sandbox.runner import Failure, Limits, run_sandboxed

HOSTILE = str(Path(__file__).with_name("hostile_tool.py"))
LIMITS = Limits(cpu_seconds=5, wall_seconds=20, memory_bytes=512 * 1024 * 1024, max_tasks=8)
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")
X86_64 = pytest.mark.skipif(
    platform.machine() != "x86_64", reason="the hostile tool calls x86-64 system call numbers"
)


@pytest.fixture
def fresh_probe():
    """Forget what this process learnt about bubblewrap, before and after the test."""
    runner.forget_probe()
    yield
    runner.forget_probe()


def run_hostile(python: str, data_dir: Path) -> dict:
    secret = data_dir / "secret_key"
    secret.write_text("do-not-leak")
    (data_dir / "files").mkdir(exist_ok=True)
    target = data_dir / "files" / "blob"
    argv = [python, "-I", "-S", HOSTILE, str(data_dir), str(secret), str(target), str(os.getpid())]
    outcome = run_sandboxed(argv, LIMITS, read_paths=[HOSTILE])
    assert outcome.ok, outcome.stderr
    assert not target.exists()
    assert secret.read_text() == "do-not-leak"
    return json.loads(outcome.stdout)


def check_walls(report: dict) -> None:
    if os.geteuid() == 0:  # no user namespace: a host user of the run's own, not root
        assert report["uid"] in isolation.TRANSIENT_IDS
        assert report["uid_map"] == ["0", "0", "4294967295"]
    else:
        assert report["uid"] == 65534
    for escape in (
        "read_secret",
        "list_data_dir",
        "write_data_dir",
        "read_etc_shadow",
    ):
        assert report[escape] == "ENOENT", escape  # not even there
    # Only what the tool needs of /etc, and of /root only a Python installed there (pyenv).
    assert set(report["etc"]) <= {"ld.so.cache", "fonts", "alternatives"}
    assert report["root_home"] in ("ENOENT", [".pyenv"])
    for escape in ("write_root", "write_tmp", "write_dev_shm", "write_usr", "write_own_script"):
        assert report[escape] in ("EROFS", "ENOENT", "EACCES"), escape
    for family in ("inet_socket", "inet6_socket", "netlink_socket", "packet_socket"):
        assert report[family] == "EAFNOSUPPORT", family  # the seccomp filter
    assert report["unix_socket"] == "ok"  # allowed: tools may use socketpairs
    for call in ("unshare_user", "unshare_net", "ptrace_parent", "mount_tmpfs", "keyctl", "bpf"):
        assert report[call] == "EPERM", call
    assert report["io_uring"] == "EPERM"
    # Issue 17: NUMA policy, persona changes, zero-copy page gifts, other processes' memory.
    for call in ("personality", "mbind", "set_mempolicy", "vmsplice", "process_madvise"):
        assert report[call] == "EPERM", (call, report[call])
    # An allow list: a call on no list (here a harmless one) is not implemented for the tool.
    assert report["unlisted_call"] == "ENOSYS"
    assert report["kill_host_init"] == "ESRCH"  # the test process is outside its PID namespace
    assert 0 < report["forks"] <= LIMITS.max_tasks  # the fork bomb hits the process limit


def no_process_left(marker: str) -> bool:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                    return False
            except OSError:
                continue
    return True


@X86_64
def test_a_hostile_tool_under_this_interpreter_cannot_escape(settings):
    started = time.monotonic()
    report = run_hostile(sys.executable, Path(settings.DATA_DIR))
    check_walls(report)
    assert time.monotonic() - started < 15
    assert no_process_left(HOSTILE)  # the fork bomb's sleeping children are all gone


@X86_64
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="needs Debian's /usr/bin/python3")
@pytest.mark.skipif(os.geteuid() != 0, reason="the service changes identity only as root")
def test_a_hostile_tool_run_as_an_unprivileged_host_user_cannot_escape(settings):
    """A tool from /usr (Debian's python3, like ffmpeg): nothing bound but the system files."""
    data_dir = Path(settings.DATA_DIR)
    report = run_hostile(SYSTEM_PYTHON, data_dir)
    check_walls(report)
    assert no_process_left(HOSTILE)


def test_the_tool_runs_under_the_seccomp_filter_and_without_capabilities():
    outcome = run_sandboxed(
        ["/bin/sh", "-c", "grep -E '^(Seccomp|CapEff|CapBnd|NoNewPrivs):' /proc/self/status"],
        LIMITS,
    )
    assert outcome.ok, outcome.stderr
    status = dict(line.split(":\t") for line in outcome.stdout.decode().splitlines())
    assert status == {
        "NoNewPrivs": "1",
        "Seccomp": "2",  # filter mode
        "CapEff": "0000000000000000",
        "CapBnd": "0000000000000000",
    }


def test_a_path_holding_the_data_dir_is_never_shown_to_the_tool(settings, fresh_probe):
    data_dir = Path(settings.DATA_DIR)
    outcome = run_sandboxed(["/bin/ls", str(data_dir)], LIMITS, read_paths=[str(data_dir.parent)])
    assert outcome.failure is Failure.SANDBOX_UNAVAILABLE
    outcome = run_sandboxed(["/bin/true"], LIMITS, read_paths=[str(data_dir / "files")])
    assert outcome.failure is Failure.SANDBOX_UNAVAILABLE


def test_without_bubblewrap_nothing_runs(settings, monkeypatch, tmp_path, fresh_probe):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    witness = tmp_path / "ran"
    tmp_path.chmod(0o777)
    outcome = run_sandboxed(["/bin/sh", "-c", f"touch {witness}; echo ran"], LIMITS)
    assert outcome.failure is Failure.SANDBOX_UNAVAILABLE
    assert outcome.stdout == b""
    assert not witness.exists()
    assert "not installed" in runner.isolation_problem()
    assert not runner.weak_isolation()


def test_a_broken_bubblewrap_is_caught_by_the_probe(settings, monkeypatch, fresh_probe):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    monkeypatch.setattr(isolation, "NAMESPACES", ("--no-such-option",))  # bwrap refuses it
    outcome = run_sandboxed(["/bin/echo", "hello"], LIMITS)
    assert outcome.failure is Failure.SANDBOX_UNAVAILABLE
    assert "bubblewrap failed" in runner.isolation_problem()


def test_weak_isolation_only_when_allowed_and_loudly(settings, monkeypatch, caplog, fresh_probe):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = True
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    with caplog.at_level(logging.WARNING, logger="jiandu.sandbox.runner"):
        outcome = run_sandboxed(["/bin/cat"], LIMITS, stdin=io.BytesIO(b"weak"))
        run_sandboxed(["/bin/true"], LIMITS)
    assert outcome.ok
    assert outcome.stdout == b"weak"
    assert runner.weak_isolation()
    warnings = [r for r in caplog.records if "WEAK SANDBOX" in r.getMessage()]
    assert len(warnings) == 1  # once per process, not once per file


def test_the_setting_does_not_weaken_a_working_sandbox(settings, fresh_probe):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = True
    assert runner.isolation_problem() is None
    assert not runner.weak_isolation()
    outcome = run_sandboxed(["/bin/sh", "-c", "grep ^Seccomp: /proc/self/status"], LIMITS)
    assert outcome.stdout.split() == [b"Seccomp:", b"2"]


def test_a_failed_probe_is_retried_after_a_while(settings, monkeypatch, fresh_probe):
    """A sandbox that could not start once (under load, bwrap installed later) is not refused
    for the rest of the process's life; a working one is not probed again."""
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    assert runner.isolation_problem() is not None
    monkeypatch.undo()
    assert runner.isolation_problem() is not None  # remembered for a while
    problem, _when = runner._probed["result"]
    runner._probed["result"] = (problem, time.monotonic() - runner.PROBE_RETRY_SECONDS - 1)
    assert runner.isolation_problem() is None
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    assert runner.isolation_problem() is None  # success is kept


def test_the_system_check_warns_at_start(settings, monkeypatch, fresh_probe):
    from jiandu.sandbox.checks import check_sandbox

    assert check_sandbox() == []
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    runner.forget_probe()
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    assert [message.id for message in check_sandbox()] == ["forensics.W002"]
    settings.JIANDU_SANDBOX_ALLOW_WEAK = True
    assert [message.id for message in check_sandbox()] == ["forensics.W001"]


@X86_64
def test_a_system_call_through_another_abi_kills_the_tool():
    """x32 numbers (bit 30 set) would slip past a filter that only knows x86-64's."""
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(39), flush=True)\n"  # getpid: allowed
        "print(libc.syscall(0x40000000 | 39), flush=True)\n"  # getpid through x32
    )
    outcome = run_sandboxed([sys.executable, "-c", code], LIMITS)
    assert outcome.failure is Failure.CRASHED
    assert outcome.returncode == -signal.SIGSYS  # killed by the filter
