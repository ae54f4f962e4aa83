"""The system-call filter every sandboxed tool runs under, compiled with libseccomp.

Bubblewrap installs it (`bwrap --seccomp FD`) just before it starts the tool, after its own
setup, so the tool and everything it starts carry it for good (a seccomp filter can only be
made stricter). A decoder exploit then cannot reach the kernel's least used and most attacked
interfaces, nor leave its namespaces. The filter allows everything else (an allow list would
break with every new libc or ffmpeg release) and answers a refused call with an error, not a
kill, so a tool that merely probes a feature goes on working; exactly what it refuses:

- sockets of any family but AF_UNIX (`socket`, `socketpair`): EAFNOSUPPORT; the tool is
  also in a network namespace without interfaces, so this only shrinks the kernel surface;
- new namespaces: `unshare`, `setns`, and `clone` with any CLONE_NEW* flag: EPERM; `clone3`
  (its flags are in memory a filter cannot read): ENOSYS, so the C library falls back to
  `clone`;
- debugging and reading other processes: `ptrace`, `process_vm_readv`, `process_vm_writev`,
  `kcmp`, `pidfd_getfd`: EPERM;
- filesystems: `mount`, `umount2`, `pivot_root`, `chroot`, the new mount API (`open_tree`,
  `move_mount`, `fsopen`, `fsconfig`, `fsmount`, `fspick`, `mount_setattr`),
  `name_to_handle_at`, `open_by_handle_at`, `fanotify_init`, `quotactl`, `quotactl_fd`,
  `swapon`, `swapoff`, `acct`, `uselib`: EPERM;
- the kernel keyring (`keyctl`, `add_key`, `request_key`), `bpf`, `perf_event_open`,
  `userfaultfd`, `io_uring_setup`, `io_uring_enter`, `io_uring_register`: EPERM;
- the machine itself: `kexec_load`, `kexec_file_load`, `init_module`, `finit_module`,
  `delete_module`, `reboot`, `syslog`, `settimeofday`, `clock_settime`, `clock_adjtime`,
  `adjtimex`, `sethostname`, `setdomainname`, `iopl`, `ioperm`, `vhangup`, `lookup_dcookie`,
  NUMA placement and page moves (`move_pages`, `migrate_pages`, `mbind`, `set_mempolicy`,
  `set_mempolicy_home_node`), and memory of or for other processes (`process_madvise`,
  `process_mrelease`): EPERM;
- `personality` (switching off address-space randomisation, READ_IMPLIES_EXEC: an exploit's
  first step to a reliable second stage), `modify_ldt`, and `vmsplice` (pages of the tool's
  own memory gifted to a pipe: the kernel's most exploited zero-copy path): EPERM;
- `ioctl` TIOCSTI and TIOCLINUX (typing into a terminal): EPERM.

A call made through another architecture's ABI (32-bit `int 0x80`, x32) kills the process:
libseccomp's filter checks the architecture first. Calls the running libseccomp does not know
(an older release) are skipped, never an error. `seccomp_filter()` raises `SeccompUnavailable`
when libseccomp cannot be loaded: the sandbox then refuses to run untrusted tools.
"""

import ctypes
import errno
import os
from functools import lru_cache

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_NE = 1
SCMP_CMP_MASKED_EQ = 7
AF_UNIX = 1
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
CLONE_NEW_FLAGS = {
    "CLONE_NEWTIME": 0x00000080,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
DENIED = [
    "unshare",
    "setns",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "name_to_handle_at",
    "open_by_handle_at",
    "fanotify_init",
    "quotactl",
    "quotactl_fd",
    "swapon",
    "swapoff",
    "acct",
    "uselib",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "vhangup",
    "lookup_dcookie",
    "move_pages",
    "migrate_pages",
    "mbind",
    "set_mempolicy",
    "set_mempolicy_home_node",
    "process_madvise",
    "process_mrelease",
    "personality",
    "modify_ldt",
    "vmsplice",
]


class SeccompUnavailable(Exception):
    """libseccomp is missing or refused the filter: no untrusted tool may run."""


class _ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)  # SCMP_ACT_ERRNO(code)


@lru_cache(maxsize=1)
def seccomp_filter() -> bytes:
    """The compiled BPF program for this machine's architecture (computed once)."""
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable("libseccomp.so.2 not found") from exc
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise SeccompUnavailable("seccomp_init failed")
    try:

        def rule(name: str, action: int, *conditions: tuple[int, int, int, int]) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                return  # unknown to this libseccomp (and so to this architecture)
            array = (_ArgCmp * len(conditions))(*(_ArgCmp(*c) for c in conditions))
            if lib.seccomp_rule_add_array(ctx, action, number, len(conditions), array) != 0:
                raise SeccompUnavailable(f"rule for {name} refused")

        for name in DENIED:
            rule(name, _errno(errno.EPERM))
        for name in ("socket", "socketpair"):
            rule(name, _errno(errno.EAFNOSUPPORT), (0, SCMP_CMP_NE, AF_UNIX, 0))
        for flag in CLONE_NEW_FLAGS.values():
            rule("clone", _errno(errno.EPERM), (0, SCMP_CMP_MASKED_EQ, flag, flag))
        rule("clone3", _errno(errno.ENOSYS))
        for request in (TIOCSTI, TIOCLINUX):
            rule("ioctl", _errno(errno.EPERM), (1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, request))
        memory = os.memfd_create("jiandu-seccomp", os.MFD_CLOEXEC)
        try:
            if lib.seccomp_export_bpf(ctx, memory) != 0:
                raise SeccompUnavailable("seccomp_export_bpf failed")
            size = os.fstat(memory).st_size
            program = os.pread(memory, size, 0)
        finally:
            os.close(memory)
    finally:
        lib.seccomp_release(ctx)
    if not program or len(program) % 8:
        raise SeccompUnavailable("empty or malformed program")
    return program
