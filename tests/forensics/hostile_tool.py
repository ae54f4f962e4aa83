"""A "tool" that tries to escape the forensics sandbox and reports, as JSON, what each try did.

Run by tests/forensics/test_sandbox_escape.py through `run_sandboxed`, as a decoder exploit
would run: with the tool's identity, limits and walls. Standard library only. Arguments: the
data directory, then a path in it that exists (a stand-in for the secret key), then a path in
it to create, then the pid of the test process. System calls are made by their x86-64
numbers, so any Python 3 can run it. Each entry of the report is "ok" (the escape worked) or
the error it met.
"""

import ctypes
import errno
import json
import os
import socket
import sys
import time


def attempt(action) -> str:
    try:
        action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, "error")
    return "ok"


def syscall(number: int, *args: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(number, *(ctypes.c_long(a) for a in args)) == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def vmsplice_into_a_pipe() -> None:
    """vmsplice(2) of 16 bytes of this process's memory into a pipe of its own."""
    _read_end, write_end = os.pipe()
    buffer = ctypes.create_string_buffer(b"x" * 16)
    iovec = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 16)
    syscall(278, write_end, ctypes.addressof(iovec), 1, 0)


def sched_getattr() -> None:
    """A harmless read of the scheduler's settings: on no list, so refused as unknown."""
    attr = ctypes.create_string_buffer(56)
    syscall(315, 0, ctypes.addressof(attr), 56, 0)


def listing(path: str) -> list[str] | str:
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, "error")


def words(path: str) -> list[str]:
    with open(path) as source:
        return source.read().split()


def read(path: str) -> None:
    with open(path, "rb") as source:
        source.read()


def write(path: str) -> None:
    with open(path, "wb") as target:
        target.write(b"escaped")


def fork_bomb(limit: int) -> int:
    """Fork sleeping children until the kernel refuses; how many were started."""
    started = 0
    for _ in range(limit):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
    return started


def main(argv: list[str]) -> None:
    data_dir, secret, new_file = argv[1:4]
    report: dict[str, object] = {
        "uid": os.getuid(),
        "uid_map": words("/proc/self/uid_map"),  # identity: no user namespace
        "read_secret": attempt(lambda: read(secret)),
        "list_data_dir": attempt(lambda: os.listdir(data_dir)),
        "write_data_dir": attempt(lambda: write(new_file)),
        "read_etc_shadow": attempt(lambda: read("/etc/shadow")),
        "root_home": listing("/root"),
        "etc": listing("/etc"),
        "write_root": attempt(lambda: write("/escaped")),
        "write_tmp": attempt(lambda: write("/tmp/escaped")),  # noqa: S108
        "write_dev_shm": attempt(lambda: write("/dev/shm/escaped")),  # noqa: S108
        "write_usr": attempt(lambda: write("/usr/escaped")),
        "write_own_script": attempt(lambda: write(__file__)),
        "inet_socket": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "inet6_socket": attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)),
        "netlink_socket": attempt(
            lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        ),
        "packet_socket": attempt(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)),
        "unix_socket": attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
        "unshare_user": attempt(lambda: syscall(272, 0x10000000)),  # unshare(CLONE_NEWUSER)
        "unshare_net": attempt(lambda: syscall(272, 0x40000000)),  # unshare(CLONE_NEWNET)
        "ptrace_parent": attempt(lambda: syscall(101, 16, os.getppid(), 0, 0)),  # PTRACE_ATTACH
        "mount_tmpfs": attempt(lambda: syscall(165, 0, 0, 0, 0, 0)),  # mount
        "keyctl": attempt(lambda: syscall(250, 0, -3, 0, 0)),  # KEYCTL_GET_KEYRING_ID, user
        "bpf": attempt(lambda: syscall(321, 0, 0, 0)),
        "io_uring": attempt(lambda: syscall(425, 1, 0)),
        "personality": attempt(lambda: syscall(135, 0x0040000)),  # ADDR_NO_RANDOMIZE
        "mbind": attempt(lambda: syscall(237, 0, 0, 0, 0, 0, 0)),  # nothing, MPOL_DEFAULT
        "set_mempolicy": attempt(lambda: syscall(238, 0, 0, 0)),  # MPOL_DEFAULT
        "vmsplice": attempt(vmsplice_into_a_pipe),
        "process_madvise": attempt(lambda: syscall(440, -1, 0, 0, 0, 0)),  # EBADF if it ran
        "unlisted_call": attempt(sched_getattr),
        "kill_host_init": attempt(lambda: os.kill(int(argv[4]), 0)),
        "forks": fork_bomb(200),
    }
    sys.stdout.write(json.dumps(report))
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
