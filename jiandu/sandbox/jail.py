"""The supervisor of every sandboxed process: set the limits, run the tool, clean up after it.

Run as `python -I -S jail.py LIMITS_JSON PROGRAM ARG...` by `sandbox.run_sandboxed`, never
imported by the web process. It uses the standard library only and starts without `site`, so
nothing from the project or the environment runs before the limits are in place.

The jail forks. The child applies everything below, which survives `execv` and is inherited by
whatever the tool starts, then becomes the tool in a process group of its own:

- resource limits: CPU seconds (soft, then a hard kill one second later), address space, size
  of any file written (the tools write their results to stdout; a write to a regular file past
  the limit fails with EFBIG because SIGXFSZ is ignored), open files, no core dumps (a core file
  would hold plaintext), and a cap on the number of processes and threads;
- no new privileges (setuid binaries cannot regain any), a lower CPU priority than the server;

With `isolated` (the normal case) the program the jail starts is bubblewrap, which starts the
tool as a user of its own in its own namespaces under a seccomp filter (`isolation.py`): the
jail leaves the identity, the network and the capabilities to it (bwrap needs them to build the
namespaces when it runs as root), counts the tasks of that user for the process limit (`uid` in
LIMITS_JSON, chosen per run by the sandbox), and reads bwrap's
exit code 128+N as "killed by signal N". Without it (JIANDU_SANDBOX_ALLOW_WEAK, when bubblewrap
cannot run: the weaker, old isolation), the jail itself makes a network namespace with no
interface where the kernel allows it and, as root, empties the capability bounding set and,
when the tool's files are usable by anyone, becomes that user (with no account, like
`nobody`, but its own).

The parent stays as a subreaper: it waits for the tool, enforces the wall-clock limit (SIGALRM)
and obeys SIGTERM from the sandbox, and in every case kills and reaps whatever the tool left
behind, so no stray process or zombie outlives a run. It then ends the way the tool ended: the
same exit code, or killed by the same signal. Its own codes: 125 wall time exceeded, 126 a
mandatory step failed before the tool ran, 127 the tool could not be started.
"""

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys

NOBODY = 65534
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
LAST_KNOWN_CAP = 37  # CAP_AUDIT_READ; newer kernels know more, older ones refuse beyond theirs
TIMED_OUT = 125
BWRAP_TASKS = 2
# Signals whose default action ends a process: the jail ends by the same one as the tool.
FATAL_SIGNALS = frozenset(
    int(getattr(signal, name))
    for name in [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGSYS",
    ]
)


def _tasks_of_uid(uid: int) -> int:
    """How many processes and threads the user already has (RLIMIT_NPROC counts all of them)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as status:
                fields = dict(
                    line.split(b":", 1) for line in status.read().splitlines() if b":" in line
                )
        except OSError:
            continue
        if int(fields.get(b"Uid", b"-1").split()[0]) == uid:
            count += int(fields.get(b"Threads", b"1").strip())
    return count


def _isolate_network(as_root: bool) -> None:
    flags = os.CLONE_NEWNET if as_root else os.CLONE_NEWUSER | os.CLONE_NEWNET
    # Not allowed everywhere (documented): the tools open no sockets by themselves anyway.
    with contextlib.suppress(OSError):
        os.unshare(flags)


def _confine_and_exec(limits: dict, program: list[str]) -> int:
    """In the child: apply every limit, then become the tool (returns only on failure)."""
    as_root = os.geteuid() == 0
    isolated = bool(limits.get("isolated"))
    try:
        os.setpgid(0, 0)
        os.nice(10)
    except OSError:
        pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 126
        drop = as_root and limits["drop_to_nobody"]
        run_id = int(limits.get("uid", NOBODY))
        # RLIMIT_NPROC counts every task of the user (root is exempt): add the allowance to
        # what the user already runs. As root the tool becomes a user of its own for this run
        # (`run_id`, normally nobody's: no other task has it); bwrap's own processes stay
        # root's, which the limit does not bind. As an ordinary user, the service's own tasks
        # and bwrap's two processes count too.
        if drop or (as_root and isolated):
            existing = _tasks_of_uid(run_id)
        else:
            existing = _tasks_of_uid(os.getuid())
        allowance = limits["max_tasks"] + (BWRAP_TASKS if isolated and not as_root else 0)
        cpu = int(limits["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        resource.setrlimit(resource.RLIMIT_NPROC, (existing + allowance,) * 2)
        if not isolated:
            _isolate_network(as_root)
        if as_root and (drop or not isolated):
            # Empty the capability bounding set: whatever runs next, even as uid 0, has no
            # capability (so it cannot raise these limits or override file permissions).
            for cap in range(64):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and cap <= LAST_KNOWN_CAP:
                    return 126
        if drop:
            os.setgroups([])
            os.setgid(run_id)
            os.setuid(run_id)
    except (OSError, ValueError, KeyError):
        return 126
    try:
        os.execv(program[0], program)  # noqa: S606 - an argument list, no shell
    except OSError:
        return 127
    return 127  # not reached: execv replaces this process


def _children() -> list[int]:
    """Our direct children, including orphans of the tool adopted by this subreaper."""
    me = str(os.getpid()).encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    # The command name may hold spaces or brackets: parse after the last ')'.
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == me:
                found.append(int(name))
    return found


def _kill_and_reap_all(tool: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(tool, signal.SIGKILL)
    while True:
        for pid in _children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


class _Stop(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def _disarm() -> None:
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv: list[str]) -> int:
    limits = json.loads(argv[1])
    program = argv[2:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGALRM, _stop)
    tool = os.fork()
    if tool == 0:
        os._exit(_confine_and_exec(limits, program))
    signal.setitimer(signal.ITIMER_REAL, float(limits["wall_seconds"]))
    status = None
    try:
        _, status = os.waitpid(tool, 0)
        _disarm()
    except _Stop:
        _disarm()
    _kill_and_reap_all(tool)
    if status is None:
        return TIMED_OUT
    signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if limits.get("isolated") and os.WIFEXITED(status):
        # bubblewrap reports a tool killed by signal N as exit code 128+N.
        signum = max(0, os.WEXITSTATUS(status) - 128)
    if signum in FATAL_SIGNALS:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
