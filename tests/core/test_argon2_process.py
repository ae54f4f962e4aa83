"""Argon2id in a child process (jiandu.core.argon2_process): the same bytes as the libraries
compute in the process, the web process's peak memory untouched, the secret never in the
child's arguments or environment, and hostile input answered with an error."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import nacl.pwhash.argon2id as sodium_argon2id
import pytest
from argon2.low_level import Type, hash_secret
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2
from django.contrib.auth.hashers import check_password, make_password

from jiandu.accounts.hashers import Argon2PasswordHasher
from jiandu.core import argon2_process
from jiandu.core.argon2_process import Argon2ProcessError, hash_raw

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024


@pytest.mark.parametrize(("time_cost", "memory_kib"), [(1, 8), (3, 20 * MIB), (3, 64 * MIB)])
def test_the_child_computes_what_libsodium_computes(time_cost, memory_kib):
    secret, salt = "码 codename words".encode(), b"0123456789abcdef"
    expected = sodium_argon2id.kdf(32, secret, salt, opslimit=time_cost, memlimit=memory_kib * 1024)
    got = hash_raw(secret, salt, time_cost=time_cost, memory_kib=memory_kib, parallelism=1, size=32)
    assert got == expected


def test_the_newsroom_hasher_writes_what_djangos_writes_and_reads_its_hashes():
    ours, django = Argon2PasswordHasher(), DjangoArgon2()
    salt = django.salt()
    assert ours.encode("long password 1", salt) == django.encode("long password 1", salt)
    stored = django.encode("long password 1", salt)
    assert ours.verify("long password 1", stored)
    assert not ours.verify("long password 2", stored)
    assert django.verify("long password 1", ours.encode("long password 1", ours.salt()))


def test_a_hash_of_another_version_is_still_checked():
    """argon2-cffi can write version 16 hashes; this product never did, but they verify."""
    salt = "abcdefghijklmnop"
    legacy = hash_secret(
        b"long password 1",
        salt.encode(),
        time_cost=1,
        memory_cost=64,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
        version=16,
    )
    stored = "argon2" + legacy.decode()
    assert Argon2PasswordHasher().verify("long password 1", stored)
    assert not Argon2PasswordHasher().verify("long password 2", stored)


@pytest.mark.real_hasher
def test_signing_in_uses_the_child_process():
    with mock.patch.object(argon2_process.subprocess, "run", wraps=subprocess.run) as run:
        encoded = make_password("long password 1")
        assert check_password("long password 1", encoded)
    assert run.call_count == 2


def test_the_secret_is_never_in_the_childs_arguments_or_environment():
    with mock.patch.object(argon2_process.subprocess, "run", wraps=subprocess.run) as run:
        hash_raw(
            b"SECRET-WORDS", b"s" * 16, time_cost=1, memory_kib=20 * MIB, parallelism=1, size=32
        )
    (arguments,), options = run.call_args
    assert not any("SECRET" in argument for argument in arguments)
    assert options["env"] == {}
    assert b"SECRET-WORDS" in options["input"]


def test_the_web_process_peak_memory_does_not_grow_by_the_hash():
    """What the issue measures (VmHWM): 64 MiB of Argon2id leaves the caller's peak where it
    was; the same hash in the process (the old way) raises it by about 64 MiB."""
    probe = textwrap.dedent(
        """
        import json, re, sys
        sys.path.insert(0, %r)
        from jiandu.core.argon2_process import hash_raw
        import nacl.pwhash.argon2id as a

        def peak():
            status = open("/proc/self/status").read()
            return int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) // 1024

        before = peak()
        hash_raw(b"words", b"s" * 16, time_cost=3, memory_kib=64 * 1024, parallelism=1, size=32)
        child = peak()
        a.kdf(32, b"words", b"s" * 16, opslimit=3, memlimit=64 * 1024 * 1024)
        print(json.dumps([before, child, peak()]))
        """
    ) % str(ROOT)
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    before, after_child, after_in_process = json.loads(answer.stdout)
    assert after_child - before < 8
    assert after_in_process - before > 56


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"",
        b"\x00" * 5,
        # a salt longer than what follows it
        argon2_process._HEADER.pack(1, 64, 1, 32, 200) + b"s" * 16,
        # memory under what the lanes need, and memory beyond the bound
        argon2_process._HEADER.pack(1, 4, 1, 32, 16) + b"s" * 16 + b"x",
        argon2_process._HEADER.pack(1, 2**31, 1, 32, 16) + b"s" * 16 + b"x",
        # no time at all
        argon2_process._HEADER.pack(0, 64, 1, 32, 16) + b"s" * 16 + b"x",
    ],
)
def test_the_child_refuses_hostile_requests_without_output(request_bytes):
    answer = subprocess.run(
        [sys.executable, "-I", argon2_process.__file__],
        input=request_bytes,
        capture_output=True,
        env={},
        check=False,
    )
    assert answer.returncode == 1
    assert answer.stdout == b""
    assert b"Traceback" not in answer.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        {"time_cost": 0, "memory_kib": 64},
        {"time_cost": 1, "memory_kib": 7},
        {"time_cost": 1, "memory_kib": 2**40},
        {"time_cost": 1, "memory_kib": 64, "parallelism": 0},
        {"time_cost": 1, "memory_kib": 64, "size": 2},
        {"time_cost": 1, "memory_kib": 64, "salt": b"short"},
    ],
)
def test_out_of_bounds_parameters_are_refused_before_any_work(arguments):
    arguments = {"parallelism": 1, "size": 32, "salt": b"s" * 16} | arguments
    salt = arguments.pop("salt")
    with pytest.raises(Argon2ProcessError):
        hash_raw(b"words", salt, **arguments)


def test_a_killed_or_failing_child_is_an_error_not_a_wrong_answer():
    failed = subprocess.CompletedProcess([], returncode=-9, stdout=b"", stderr=b"")
    with (
        mock.patch.object(argon2_process.subprocess, "run", return_value=failed),
        pytest.raises(Argon2ProcessError),
    ):
        hash_raw(b"w", b"s" * 16, time_cost=1, memory_kib=20 * MIB, parallelism=1, size=32)
    short = subprocess.CompletedProcess([], returncode=0, stdout=b"abc", stderr=b"")
    with (
        mock.patch.object(argon2_process.subprocess, "run", return_value=short),
        pytest.raises(Argon2ProcessError),
    ):
        hash_raw(b"w", b"s" * 16, time_cost=1, memory_kib=20 * MIB, parallelism=1, size=32)
    timeout = subprocess.TimeoutExpired(cmd="python", timeout=1)
    with (
        mock.patch.object(argon2_process.subprocess, "run", side_effect=timeout),
        pytest.raises(Argon2ProcessError),
    ):
        hash_raw(b"w", b"s" * 16, time_cost=1, memory_kib=20 * MIB, parallelism=1, size=32)


def test_a_child_runs_without_core_dumps():
    probe = (
        "import resource, runpy, sys; sys.argv=['x'];"
        f"m = runpy.run_path({argon2_process.__file__!r}, run_name='probe');"
        "import io; sys.stdin = io.TextIOWrapper(io.BytesIO(b''));"
        "m['_child'](); print(resource.getrlimit(resource.RLIMIT_CORE))"
    )
    answer = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert answer.stdout.strip() == "(0, 0)"
