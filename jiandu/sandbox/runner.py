"""Run a parser or encoder on untrusted bytes in a process that may fail but cannot hurt us.

A submitted file is whatever an adversary wants it to be: a decoder exploit, a decompression
bomb, a file that loops a parser forever. Jiandu never parses one in the web or worker process.
`run_sandboxed` starts the tool through `jail.py`, which applies limits on CPU time, address
space, written file size, open files, processes and threads and drops privileges (see that
module), then through bubblewrap, which gives the tool its own namespaces, a read-only view of
its own files only and a seccomp filter (`isolation.py`, `seccomp.py`); this side enforces wall
time, input size and output size, kills the whole process group on any breach, and turns every
way of failing into a `Failure` code.

It fails closed: when those walls cannot be built on this machine (no bubblewrap, no user
namespaces, no libseccomp), nothing runs and the answer is `Failure.SANDBOX_UNAVAILABLE`, unless
the setting JIANDU_SANDBOX_ALLOW_WEAK allows the jail's limits alone, with a warning in the log
and on the newsroom's pages (`weak_isolation()`).

Plaintext never touches disk: the input goes to the tool through a pipe, or, for tools that must
seek, through an anonymous in-memory file (`MemoryFile`, memfd) given as the tool's stdin and
opened by it as `/proc/self/fd/0`. The result comes back on stdout, through a pipe or another
in-memory file when the tool must seek in its output (a WebM muxer writing its index). The
tool's stderr is kept in memory for debugging only: it can quote the file's own metadata, so it
is never logged or stored.
"""

import contextlib
import enum
import fcntl
import io
import json
import logging
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, BinaryIO, Literal, cast

from jiandu.sandbox import conf, isolation
from jiandu.sandbox.seccomp import SeccompUnavailable, seccomp_filter

logger = logging.getLogger(__name__)

JAIL = Path(__file__).with_name("jail.py")
# The modules every Python worker imports inside the walls (its exit codes, its answer, the one
# Pillow re-encoder): bound read-only into every run, beside the worker's own read paths.
INSIDE = str(Path(__file__).with_name("inside"))
CHUNK = 64 * 1024
STDERR_KEEP = 8 * 1024
# The jail enforces the wall time itself and cleans up; we kill it only if it has not ended
# this long after the limit.
GRACE_SECONDS = 5.0
TIMED_OUT = 125  # the jail's exit code when the tool ran out of wall time
NOBODY = 65534  # the tool's uid inside a user namespace, when the service is not root
# Only what the tools need: no secret from the server's environment reaches them.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


class Failure(enum.StrEnum):
    """Why a sandboxed run gave no result; stable codes, safe to store (no content in them)."""

    INPUT_TOO_LARGE = "input_too_large"
    OUTPUT_TOO_LARGE = "output_too_large"
    TIMEOUT = "timeout"
    CPU = "cpu"
    MEMORY = "memory"
    CRASHED = "crashed"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"
    CANCELLED = "cancelled"  # the caller's `on_stderr` asked to stop (a cancelled render)


class InputTooLarge(Exception):
    """The input is over the limit; raised before any tool runs."""


@dataclass(frozen=True)
class Limits:
    """What one run may use. `file_bytes` bounds any regular file the tool writes (0: none)."""

    cpu_seconds: int = 20
    wall_seconds: float = 40.0
    memory_bytes: int = 1024 * 1024 * 1024
    input_bytes: int = 64 * 1024 * 1024
    output_bytes: int = 16 * 1024 * 1024
    max_tasks: int = 16


@dataclass(frozen=True)
class Outcome:
    """The result of one run: stdout when it worked, a `Failure` when it did not."""

    returncode: int
    stdout: bytes = field(repr=False)
    failure: Failure | None
    cpu_seconds: float
    wall_seconds: float
    peak_rss_bytes: int
    # Debugging aid only: may quote the file's metadata, so never log or store it.
    stderr: bytes = field(repr=False, default=b"")

    @property
    def ok(self) -> bool:
        return self.failure is None


class MemoryFile:
    """An anonymous in-memory file (memfd) with no name on any filesystem.

    It lives in RAM (or swap: run with encrypted swap or none), vanishes when closed, and is
    sealed against changes once filled, so the tool reads exactly what we wrote.
    """

    def __init__(self) -> None:
        self.fd = os.memfd_create("jiandu-sandbox", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)

    @classmethod
    def from_stream(cls, stream: BinaryIO, max_bytes: int) -> "MemoryFile":
        """Copy a plaintext stream in, refusing (InputTooLarge) past `max_bytes`."""
        return cls.from_chunks(iter(lambda: stream.read(CHUNK), b""), max_bytes)

    @classmethod
    def from_chunks(cls, chunks: Iterable[bytes], max_bytes: int) -> "MemoryFile":
        """Copy plaintext in as it comes (a decrypting generator), one chunk held at a time,
        refusing (InputTooLarge) past `max_bytes`: the caller never holds the whole file."""
        memory = cls()
        try:
            total = 0
            for chunk in chunks:
                total += len(chunk)
                if total > max_bytes:
                    raise InputTooLarge(max_bytes)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(memory.fd, view) :]
            memory.seal()
        except BaseException:
            memory.close()
            raise
        return memory

    def seal(self) -> None:
        seals = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
        os.lseek(self.fd, 0, os.SEEK_SET)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def read_all(self) -> bytes:
        return os.pread(self.fd, self.size(), 0)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "MemoryFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@lru_cache(maxsize=64)
def _reachable_by_others(path: str, need: int) -> bool:
    """True if a user with no relation to the file's owner can use it (mode bits for others)."""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & need:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


def can_drop_to_nobody(program: str, read_paths: Sequence[str] = ()) -> bool:
    """Whether the tool still works as uid 65534: its binary and files must be world-usable.

    A developer's interpreter under /root is not, so a Python tool there keeps the service's
    identity (only when the service itself runs as root, which production should not).
    """
    return _reachable_by_others(program, stat.S_IXOTH) and all(
        _reachable_by_others(p, stat.S_IROTH) for p in read_paths
    )


def run_sandboxed(
    argv: Sequence[str],
    limits: Limits,
    *,
    stdin: BinaryIO | MemoryFile | None = None,
    output: Literal["pipe", "memory"] = "pipe",
    read_paths: Sequence[str] = (),
    on_stderr: Callable[[bytes], bool] | None = None,
) -> Outcome:
    """Run `argv` (an absolute program path first) on `stdin` within `limits`.

    `stdin` is a plaintext stream (fed through a pipe, at most `limits.input_bytes`) or a
    `MemoryFile` (the tool's stdin, seekable as /proc/self/fd/0). With `output="memory"` the
    tool's stdout is an in-memory file it may seek in (as /proc/self/fd/1), capped by the
    file-size limit; with "pipe" it is a pipe read up to `limits.output_bytes`. `read_paths`
    are files the tool reads besides its binary (a script), checked for dropping privileges.
    `on_stderr`, when given, sees each piece of the tool's stderr as it comes (a render's
    progress lines) and stops the tool by returning False (Failure.CANCELLED); whatever it
    raises is its caller's. Never raises for anything the tool or its input does.
    """
    started = time.monotonic()
    program = argv[0]
    if not os.path.isabs(program) or not os.access(program, os.X_OK):
        return _outcome(-1, b"", Failure.UNAVAILABLE, started)
    if isinstance(stdin, MemoryFile) and stdin.size() > limits.input_bytes:
        return _outcome(-1, b"", Failure.INPUT_TOO_LARGE, started)
    if isolation_problem() is None:
        isolated = True
    elif weak_isolation():
        isolated = False
        _warn_weak()
    else:
        return _outcome(-1, b"", Failure.SANDBOX_UNAVAILABLE, started)
    return _run(
        argv, limits, stdin, output, read_paths, isolated=isolated, started=started,
        on_stderr=on_stderr,
    )  # fmt: skip


def _run(
    argv: Sequence[str],
    limits: Limits,
    stdin: BinaryIO | MemoryFile | None,
    output: Literal["pipe", "memory"],
    read_paths: Sequence[str],
    *,
    isolated: bool,
    started: float,
    on_stderr: Callable[[bytes], bool] | None = None,
) -> Outcome:
    """One run through the jail, inside bubblewrap when `isolated`."""
    read_paths = [*read_paths, INSIDE, *isolation.python_paths(argv[0])]
    # Without bubblewrap (weak), the jail itself drops to the run's user when the tool allows it.
    drop = not isolated and can_drop_to_nobody(argv[0], read_paths)
    program = list(argv)
    seccomp_file = None
    # As root, a user of its own for this run (isolation.TRANSIENT_IDS): the process limit
    # then counts this run's tasks only, never another sandbox's.
    run_id = isolation.transient_id() if os.geteuid() == 0 else NOBODY
    if isolated:
        try:
            seccomp_file = MemoryFile.from_stream(io.BytesIO(seccomp_filter()), 1 << 20)
            program = isolation.bwrap_argv(argv, read_paths, seccomp_file.fd, run_id)
        except (SeccompUnavailable, isolation.IsolationRefused, OSError) as exc:
            logger.error("sandbox refused to start: %s", type(exc).__name__)
            if seccomp_file:
                seccomp_file.close()
            return _outcome(-1, b"", Failure.SANDBOX_UNAVAILABLE, started)
    out_file = MemoryFile() if output == "memory" else None
    jail_limits = {
        "cpu_seconds": limits.cpu_seconds,
        "memory_bytes": limits.memory_bytes,
        "file_bytes": limits.output_bytes if out_file else 0,
        "max_tasks": limits.max_tasks,
        "wall_seconds": limits.wall_seconds,
        "drop_to_nobody": drop,
        "uid": run_id,
        "isolated": isolated,
    }
    command = [sys.executable, "-I", "-S", str(JAIL), json.dumps(jail_limits), *program]
    try:
        if isinstance(stdin, MemoryFile):
            os.lseek(stdin.fd, 0, os.SEEK_SET)
        process = subprocess.Popen(
            command,
            stdin=stdin.fd if isinstance(stdin, MemoryFile) else subprocess.PIPE,
            stdout=out_file.fd if out_file else subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=CLEAN_ENV,
            cwd="/",
            start_new_session=True,
            close_fds=True,
            pass_fds=(seccomp_file.fd,) if seccomp_file else (),
        )
    except OSError:
        if out_file:
            out_file.close()
        return _outcome(-1, b"", Failure.UNAVAILABLE, started)
    finally:
        if seccomp_file:
            seccomp_file.close()
    try:
        feed = None if isinstance(stdin, MemoryFile) else stdin
        stdout, stderr, failure = _pump(process, feed, limits, started, on_stderr)
        returncode, usage = _reap(process, started + limits.wall_seconds + GRACE_SECONDS)
        if returncode is None or returncode == TIMED_OUT:
            failure = failure or Failure.TIMEOUT
            returncode = -signal.SIGKILL if returncode is None else returncode
        if out_file:
            size = out_file.size()
            if size >= limits.output_bytes and returncode != 0:
                failure = failure or Failure.OUTPUT_TOO_LARGE
            stdout = out_file.read_all() if returncode == 0 and not failure else b""
    finally:
        if process.returncode is None:
            _kill(process)
        if out_file:
            out_file.close()
    failure = failure or _classify(returncode, usage, limits, stderr, isolated)
    return Outcome(
        returncode=returncode,
        stdout=stdout if failure is None else b"",
        failure=failure,
        cpu_seconds=(usage.ru_utime + usage.ru_stime) if usage else 0.0,
        wall_seconds=time.monotonic() - started,
        peak_rss_bytes=(usage.ru_maxrss * 1024) if usage else 0,
        stderr=stderr,
    )


def _pump(
    process: subprocess.Popen,
    feed: BinaryIO | None,
    limits: Limits,
    started: float,
    on_stderr: Callable[[bytes], bool] | None = None,
) -> tuple[bytes, bytes, Failure | None]:
    """Feed stdin and drain stdout/stderr together until the tool closes them or a limit hits."""
    deadline = started + limits.wall_seconds
    stdout, stderr = bytearray(), bytearray()
    pending = memoryview(b"")
    fed = 0
    selector = selectors.DefaultSelector()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            os.set_blocking(stream.fileno(), False)
            selector.register(stream, selectors.EVENT_READ)
    if process.stdin is not None:
        if feed is None:
            process.stdin.close()
        else:
            os.set_blocking(process.stdin.fileno(), False)
            selector.register(process.stdin, selectors.EVENT_WRITE)
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _stop(process)
                return bytes(stdout), bytes(stderr), Failure.TIMEOUT
            for key, _ in selector.select(timeout=min(remaining, 1.0)):
                pipe = cast(IO[bytes], key.fileobj)  # only the process's pipes are registered
                if pipe is process.stdin:
                    if not pending:
                        chunk = feed.read(CHUNK) if feed else b""
                        fed += len(chunk)
                        if fed > limits.input_bytes:
                            _stop(process)
                            return bytes(stdout), bytes(stderr), Failure.INPUT_TOO_LARGE
                        if not chunk:
                            selector.unregister(pipe)
                            pipe.close()
                            continue
                        pending = memoryview(chunk)
                    try:
                        pending = pending[os.write(pipe.fileno(), pending) :]
                    except BlockingIOError:
                        pass
                    except (BrokenPipeError, OSError):
                        # The tool stopped reading (it gave up on the input): not our failure.
                        selector.unregister(pipe)
                        pipe.close()
                    continue
                try:
                    data = os.read(pipe.fileno(), CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(pipe)
                    continue
                if pipe is process.stdout:
                    stdout += data
                    if len(stdout) > limits.output_bytes:
                        _stop(process)
                        return b"", bytes(stderr), Failure.OUTPUT_TOO_LARGE
                else:
                    stderr += data
                    del stderr[:-STDERR_KEEP]
                    if on_stderr is not None and on_stderr(data) is False:
                        _stop(process)
                        return b"", bytes(stderr), Failure.CANCELLED
    finally:
        selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
    return bytes(stdout), bytes(stderr), None


def _reap(
    process: subprocess.Popen, deadline: float
) -> tuple[int | None, resource.struct_rusage | None]:
    """Wait for the tool with its resource usage (os.wait4), or give up at the deadline."""
    while True:
        try:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        except ChildProcessError:
            return process.returncode, None
        if pid:
            returncode = os.waitstatus_to_exitcode(status)
            process.returncode = returncode  # so Popen does not wait for it again
            return returncode, usage
        if time.monotonic() >= deadline:
            _kill(process)
            pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return None, usage
        time.sleep(0.01)


def _stop(process: subprocess.Popen) -> None:
    """Ask the jail to kill the tool and everything it started, and to reap them."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)


def _kill(process: subprocess.Popen) -> None:
    """Last resort when the jail itself does not end: kill its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _classify(
    returncode: int,
    usage: resource.struct_rusage | None,
    limits: Limits,
    stderr: bytes,
    isolated: bool,
) -> Failure | None:
    if returncode == 0:
        return None
    # bubblewrap (or setpriv) could not build the walls: it says so and exits 1 (127 when it
    # could not start the next step). A tool could print the same: it would only change why
    # it gave no result.
    if isolated and returncode in (1, 127) and stderr.startswith((b"bwrap: ", b"setpriv: ")):
        return Failure.SANDBOX_UNAVAILABLE
    cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
    # Killed by SIGXCPU, by the hard limit's SIGKILL, or exiting on its own after catching
    # SIGXCPU (ffmpeg does): whatever the exit, the CPU time says why.
    if cpu >= limits.cpu_seconds - 0.1:
        return Failure.CPU
    if returncode in (126, 127):
        return Failure.UNAVAILABLE
    lowered = stderr.lower()
    if b"cannot allocate memory" in lowered or b"memoryerror" in lowered:
        return Failure.MEMORY
    if returncode < 0:
        return Failure.CRASHED
    return Failure.FAILED


def _outcome(returncode: int, stdout: bytes, failure: Failure | None, started: float) -> Outcome:
    return Outcome(returncode, stdout, failure, 0.0, time.monotonic() - started, 0)


PROBE_LIMITS = Limits(cpu_seconds=5, wall_seconds=20, memory_bytes=512 * 1024 * 1024, max_tasks=4)


def _probe() -> str | None:
    """Run a tool that does nothing inside the walls: None if it works, else why not."""
    if not os.access(isolation.BWRAP, os.X_OK):
        return f"{isolation.BWRAP} is not installed"
    try:
        seccomp_filter()
    except SeccompUnavailable as exc:
        return f"no seccomp filter: {exc}"
    outcome = _run(
        ["/bin/true"], PROBE_LIMITS, None, "pipe", (), isolated=True, started=time.monotonic()
    )
    if outcome.ok:
        return None
    reason = outcome.stderr.decode(errors="replace").strip()[:300]  # bwrap's, not a file's
    return f"bubblewrap failed ({outcome.failure}): {reason}"


PROBE_RETRY_SECONDS = 60.0
_probed: dict[str, tuple[str | None, float]] = {}


def isolation_problem() -> str | None:
    """None when bubblewrap and the seccomp filter work here; else why not (for operators).

    Checked with the identity the service runs as: once per process when it works, again after
    a minute when it did not (a failure under load, bubblewrap installed meanwhile).
    """
    now = time.monotonic()
    known = _probed.get("result")
    if known is not None and (known[0] is None or now - known[1] < PROBE_RETRY_SECONDS):
        return known[0]
    problem = _probe()
    _probed["result"] = (problem, now)
    return problem


def forget_probe() -> None:
    """Probe again at the next run (tests change the machine under the sandbox)."""
    _probed.clear()
    _warn_weak.done = False  # type: ignore[attr-defined]


def weak_isolation() -> bool:
    """True when untrusted tools run without bubblewrap: it cannot run here and the setting
    JIANDU_SANDBOX_ALLOW_WEAK allows the weaker isolation. Shown as a warning."""
    return isolation_problem() is not None and conf.sandbox_allow_weak()


def _warn_weak() -> None:
    if not getattr(_warn_weak, "done", False):
        _warn_weak.done = True  # type: ignore[attr-defined]
        logger.warning(
            "WEAK SANDBOX: untrusted files are parsed without namespaces or seccomp (%s); "
            "JIANDU_SANDBOX_ALLOW_WEAK is set. Install bubblewrap and unset it.",
            isolation_problem(),
        )
