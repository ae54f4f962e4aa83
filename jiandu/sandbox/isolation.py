"""The walls around a sandboxed tool: bubblewrap namespaces and the seccomp filter.

`jail.py` sets the resource limits, then starts Debian's `bwrap`, which starts the tool:

- in new mount, PID, network, IPC, UTS and cgroup namespaces, in a session of its own, killed
  with its parent, without any capability, as a user of its own (see below);
- seeing a read-only root that holds only /usr (with the merged-/usr links), the loader cache,
  the font configuration, a private /proc and a minimal /dev, plus the paths the caller names
  (`read_paths`: a worker script, the Python prefixes), all read-only: no data directory (a
  path that is or holds the data directory is refused), no /tmp, no /home, no /etc beyond the
  above, nothing writable but the tool's stdout and stderr (a pipe or an in-memory file);
- with no network interface but a loopback that is down, and under the system-call filter of
  `seccomp.py`.

When the service runs as root (this container, a plain Debian install), bwrap builds the
namespaces as root without a user namespace and starts the tool through util-linux's
`setpriv`, which makes it a real unprivileged user to the host kernel (so RLIMIT_NPROC counts
it; root is exempt) with an empty bounding set, after which nothing in the sandbox holds a
capability. Each run gets a user id of its own, drawn from TRANSIENT_IDS (no account has one,
no file belongs to one): the kernel counts processes per user, so with one shared `nobody` a
video render's dozens of threads used up the allowance of a preview running beside it, and a
fork bomb in one run would starve every other. A run reads only world-readable files, as
`nobody` did. As an ordinary user, bwrap needs unprivileged user namespaces and the tool is
uid 65534 inside one, the service's own uid outside (it still sees none of the service's
files).

`sandbox.isolation_problem()` checks once per process that this works on this machine (a tool
that does nothing is run through it); `sandbox.run_sandboxed` refuses to run anything when it
does not, unless JIANDU_SANDBOX_ALLOW_WEAK is set (docs/threat-model.md, "Forensics sandbox").
"""

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"  # util-linux, essential in Debian
SANDBOX_ID = "65534"  # inside a user namespace (the service is not root)
# As root: one id per run, above the ranges systemd gives containers (up to 1879048191) and
# below 2^31; an id no account has, so the run is nobody to every file and alone in its count.
TRANSIENT_IDS = range(2_000_000_000, 2_000_000_000 + 2**24)
NAMESPACES = (
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
)
# What setpriv needs to change identity and empty the bounding set; gone once it has.
SETPRIV_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
SETPRIV_ARGS = ("--clear-groups", "--inh-caps=-all", "--bounding-set=-all")
# System files every tool may read; none holds a secret.
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/fonts", "/etc/alternatives")
MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class IsolationRefused(Exception):
    """A path the tool would see is, or holds, the data directory."""


def _data_dir() -> Path | None:
    from django.conf import settings

    data_dir = getattr(settings, "DATA_DIR", None)
    return Path(os.path.realpath(data_dir)) if data_dir else None


def bound_paths(read_paths: Sequence[str]) -> list[str]:
    """The distinct absolute paths to bind, parents before children, children of a bound
    directory dropped (they are visible already). Raises IsolationRefused for the data dir."""
    data_dir = _data_dir()
    chosen: list[str] = []
    for path in sorted({os.path.realpath(p) for p in ("/usr", *read_paths)}):
        if not os.path.isabs(path):
            raise IsolationRefused(path)
        real = Path(path)
        if data_dir and (real.is_relative_to(data_dir) or data_dir.is_relative_to(real)):
            raise IsolationRefused(path)
        if any(real.is_relative_to(parent) for parent in chosen):
            continue
        chosen.append(path)
    return chosen


def transient_id() -> int:
    """A user and group id for one run as root (see the module docstring)."""
    return TRANSIENT_IDS[secrets.randbelow(len(TRANSIENT_IDS))]


def bwrap_argv(
    argv: Sequence[str], read_paths: Sequence[str], seccomp_fd: int, run_id: int
) -> list[str]:
    """The command that starts `argv` inside the walls (see the module docstring); as root,
    the tool becomes user and group `run_id` (`transient_id()`)."""
    command = [BWRAP]
    if os.geteuid() == 0:
        # No user namespace: bwrap builds the others as root, then setpriv makes the tool a
        # real user of its own, with no capability, no group and an empty bounding set.
        command += [*NAMESPACES, "--cap-drop", "ALL"]
        command += [arg for cap in SETPRIV_CAPS for arg in ("--cap-add", cap)]
        ids = [f"--reuid={run_id}", f"--regid={run_id}"]
        tool = [SETPRIV, *ids, *SETPRIV_ARGS, "--", *argv]
    else:
        command += [*NAMESPACES, "--unshare-user", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID]
        command += ["--cap-drop", "ALL"]
        tool = list(argv)
    command += ["--die-with-parent", "--new-session"]
    for name in MERGED_USR:
        host = f"/{name}"
        if os.path.islink(host):
            command += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            command += ["--ro-bind", host, host]
    made = {"/"}

    def parents(path: str) -> list[str]:
        # Made world-usable first: bwrap would make them 0700, which the tool cannot enter.
        missing = [str(p) for p in reversed(Path(path).parents) if str(p) not in made]
        made.update(missing)
        return [arg for parent in missing for arg in ("--perms", "0755", "--dir", parent)]

    for path in bound_paths([*read_paths, argv[0]]):
        command += [*parents(path), "--ro-bind", path, path]
    for path in SYSTEM_FILES:
        command += [*parents(path), "--ro-bind-try", path, path]
    command += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/"]
    command += ["--chdir", "/", "--seccomp", str(seccomp_fd), "--", *tool]
    return command


def python_paths(executable: str) -> list[str]:
    """What a Python tool must see: the interpreter's prefixes (its venv and the base)."""
    import sys

    if os.path.realpath(executable) != os.path.realpath(sys.executable):
        return []
    return sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
