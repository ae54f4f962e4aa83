"""The system-call filter every sandboxed tool runs under, compiled with libseccomp.

Bubblewrap installs it (`bwrap --seccomp FD`) just before it starts the tool, after its own
setup, so the tool and everything it starts carry it for good (a seccomp filter can only be
made stricter). A decoder exploit then cannot reach the kernel's least used and most attacked
interfaces, nor leave its namespaces.

It is an allow list: `ALLOWED` names what the workers (image, metadata, render, preview:
Python with Pillow and numpy, ffmpeg and ffprobe, the PDF tools), `setpriv` and the C library
under them call, measured with `strace -f -c` over the forensics and redaction tests (exiftool,
a Perl program, was not installed where it was measured: its calls are ordinary file and memory
ones), plus the calls a newer libc or ffmpeg reaches for the same work (`statx`, `openat2`,
`faccessat2`, `close_range`, `rseq`, `epoll_pwait2`, `futex_waitv`, `map_shadow_stack`, ...).
Anything else, including every system call a future kernel adds, answers ENOSYS ("not
implemented"), which C libraries treat as a missing feature and work around; a refused call
is an error, not a kill, so a tool that merely probes a feature goes on working. A tool that
stops working under a new release shows as a preview or render failure with the code
`failed`: add the call here after reading what it does. Named refusals, on top:

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
SCMP_CMP_EQ = 4
# Every CLONE_NEW* flag at once: a clone without any of them is a thread or a process.
CLONE_NEW_ANY = sum(CLONE_NEW_FLAGS.values())
ALLOWED = sorted(
    {
        # files and descriptors
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
        "preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
        "lseek", "dup", "dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync", "sync_file_range",
        "truncate", "ftruncate", "fallocate", "fadvise64", "readahead", "sendfile", "splice",
        "tee", "copy_file_range", "pipe", "pipe2", "memfd_create",
        "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access",
        "faccessat", "faccessat2", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
        "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
        "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod",
        "fchmodat", "fchmodat2", "umask", "utime", "utimes", "utimensat", "futimesat",
        "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
        # memory
        "brk", "mmap", "munmap", "mremap", "mprotect", "msync", "mincore", "madvise", "mlock",
        "mlock2", "munlock", "get_mempolicy", "membarrier", "map_shadow_stack", "pkey_alloc",
        "pkey_free", "pkey_mprotect",
        # processes and threads (clone is allowed below, without CLONE_NEW* flags)
        "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill",
        "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgrp", "getpgid", "setpgid",
        "getsid", "setsid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
        "getgroups", "capget", "prctl", "arch_prctl", "set_tid_address", "set_robust_list",
        "get_robust_list", "rseq", "futex", "futex_waitv", "sched_yield", "sched_getaffinity",
        "sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
        "sched_get_priority_min", "getpriority", "setpriority", "getrlimit", "setrlimit",
        "prlimit64", "getrusage", "times", "sysinfo", "uname", "getcpu", "getrandom",
        "restart_syscall", "seccomp", "pidfd_open", "pidfd_send_signal",
        # setpriv (isolation.py) gives up the run's identity and capabilities under the filter
        "capset", "setuid", "setgid", "setgroups", "setresuid", "setresgid",
        # signals and time
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "pause",
        "alarm", "getitimer", "setitimer", "nanosleep", "clock_nanosleep", "clock_gettime",
        "clock_getres", "gettimeofday", "time", "timer_create", "timer_settime",
        "timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create",
        "timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4", "eventfd", "eventfd2",
        # waiting on descriptors
        "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "inotify_init", "inotify_init1",
        "inotify_add_watch", "inotify_rm_watch",
        # AF_UNIX sockets only (socket and socketpair are allowed below for AF_UNIX)
        "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
        "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
        "setsockopt", "getsockopt",
    }
)  # fmt: skip
# Refused by name with EPERM (they would be ENOSYS anyway: named, so that a test can hold them
# and a reader sees why).
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


def _ioctl_requests_allowed() -> list[tuple[int, int]]:
    """(mask, value) pairs that together match every 32-bit ioctl request but TIOCSTI and
    TIOCLINUX. A rule may compare an argument once, and an unconditional allow would win over
    the two refusals, so: a request differing from both in any bit they share is allowed by
    that bit; the few that share all those bits are allowed one by one."""
    differ = TIOCSTI ^ TIOCLINUX
    common = TIOCSTI & ~differ & 0xFFFFFFFF
    by_bit = [
        (1 << bit, (common ^ (1 << bit)) & (1 << bit))
        for bit in range(32)
        if not differ & (1 << bit)
    ]
    alike = {common}
    for bit in range(32):
        if differ & (1 << bit):
            alike |= {value | (1 << bit) for value in alike}
    one_by_one = [(0xFFFFFFFF, value) for value in sorted(alike - {TIOCSTI, TIOCLINUX})]
    return by_bit + one_by_one


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
    ctx = lib.seccomp_init(_errno(errno.ENOSYS))
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

        for name in ALLOWED:
            rule(name, SCMP_ACT_ALLOW)
        for name in DENIED:
            rule(name, _errno(errno.EPERM))
        for name in ("socket", "socketpair"):
            rule(name, SCMP_ACT_ALLOW, (0, SCMP_CMP_EQ, AF_UNIX, 0))
            rule(name, _errno(errno.EAFNOSUPPORT), (0, SCMP_CMP_NE, AF_UNIX, 0))
        rule("clone", SCMP_ACT_ALLOW, (0, SCMP_CMP_MASKED_EQ, CLONE_NEW_ANY, 0))
        for flag in CLONE_NEW_FLAGS.values():
            rule("clone", _errno(errno.EPERM), (0, SCMP_CMP_MASKED_EQ, flag, flag))
        for masked in _ioctl_requests_allowed():
            rule("ioctl", SCMP_ACT_ALLOW, (1, SCMP_CMP_MASKED_EQ, *masked))
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
