"""Argon2id in a child process, so that a web worker's memory never holds a hash's 64 or 100 MiB.

Why (issue 22): a source's codename is derived with 64 MiB of Argon2id and a member's password
checked with 100 MiB. Run in the worker, that memory is freed afterwards, but the worker's peak
(VmHWM, what the kernel and any limit on it count) stays its own size plus the hash, however
small the request: 94 + 64 MiB for every worker that ever took a first submission. In a child,
the worker's peak is its own size, and the hash's memory goes back to the system when the child
exits. The cost is the child's start, about 30 ms beside a hash of 150 to 400 ms.

What the child sees: the secret and the salt come over a pipe (stdin), never in its arguments
or environment (both readable in /proc by the same user) and never on disk; the result goes
back the same way. It runs this file with `python -I` (no PYTHON* variables, no user site, not
the working directory on its path), an empty environment, no core dumps (a crash must not
write the secret to disk), and it imports nothing of Jiandu or Django. A child started from a
thread inherits that thread's niceness, so the password pool's lower priority
(jiandu.core.hashing) still holds.

Hashes under IN_PROCESS_MAX_KIB (the test suite's minimal costs; production never goes below
64 MiB, jiandu.vault.conf) run in the process: there the start would cost more than the memory.
Both callers get the same bytes either way: libsodium's crypto_pwhash (Argon2id v1.3, one lane)
is the reference Argon2 that argon2-cffi also binds (tests/core/test_argon2_process.py).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

# time cost, memory in KiB, lanes, output bytes, salt bytes
_HEADER = struct.Struct(">IIIHH")
IN_PROCESS_MAX_KIB = 16 * 1024
MAX_MEMORY_KIB = 4 * 1024 * 1024
TIMEOUT_SECONDS = 300


class Argon2ProcessError(Exception):
    """The child could not compute the hash (killed, out of memory, bad parameters)."""


def hash_raw(
    secret: bytes,
    salt: bytes,
    *,
    time_cost: int,
    memory_kib: int,
    parallelism: int,
    size: int,
) -> bytes:
    """Argon2id (v1.3) of `secret` with `salt`: `size` raw bytes, computed in a child process
    unless the cost is under IN_PROCESS_MAX_KIB."""
    if not (
        1 <= time_cost <= 2**32 - 1
        and 8 * parallelism <= memory_kib <= MAX_MEMORY_KIB
        and 1 <= parallelism <= 255
        and 4 <= size <= 1024
        and 8 <= len(salt) <= 1024
    ):
        raise Argon2ProcessError("Argon2 parameters out of bounds.")
    if memory_kib < IN_PROCESS_MAX_KIB:
        return _compute(secret, salt, time_cost, memory_kib, parallelism, size)
    request = _HEADER.pack(time_cost, memory_kib, parallelism, size, len(salt)) + salt + secret
    try:
        answer = subprocess.run(
            [sys.executable, "-I", os.path.abspath(__file__)],
            input=request,
            capture_output=True,
            env={},
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Argon2ProcessError("The hashing process did not finish.") from exc
    if answer.returncode != 0 or len(answer.stdout) != size:
        raise Argon2ProcessError(f"The hashing process failed (exit status {answer.returncode}).")
    return answer.stdout


def _compute(
    secret: bytes, salt: bytes, time_cost: int, memory_kib: int, parallelism: int, size: int
) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        secret,
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=size,
        type=Type.ID,
        version=19,
    )


def _child() -> int:
    """Read one request from stdin, write the hash to stdout; exit status 1 on anything else."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    request = sys.stdin.buffer.read()
    if len(request) < _HEADER.size:
        return 1
    time_cost, memory_kib, parallelism, size, salt_size = _HEADER.unpack_from(request)
    salt = request[_HEADER.size : _HEADER.size + salt_size]
    secret = request[_HEADER.size + salt_size :]
    if len(salt) != salt_size or not 8 * parallelism <= memory_kib <= MAX_MEMORY_KIB:
        return 1
    try:
        result = _compute(secret, salt, time_cost, memory_kib, parallelism, size)
    except Exception:  # argon2's errors: the parent reports the exit status
        return 1
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
