"""The newsroom's password hasher: Django's Argon2id, computed in a child process.

Why (issue 22): Django's hasher runs 100 MiB of Argon2id in the web worker for every sign-in
(and, for an unknown name, once more to take the same time), so a worker that served one
sign-in keeps a peak of its own size plus 100 MiB. Here the same hash runs in a child
(jiandu.core.argon2_process); the stored string is byte for byte what Django's own hasher
writes (`argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so existing passwords keep working
and the setting can go back to Django's class at any time. Hashes of another variety or
version, which this product never wrote, are checked by Django's own code in the process.
"""

from __future__ import annotations

import base64
import hmac

from django.contrib.auth import hashers
from django.utils.encoding import force_bytes

from jiandu.core import argon2_process


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's Argon2PasswordHasher (same algorithm name, costs and format), hashing in a
    child process."""

    def encode(self, password: str, salt: str) -> str:
        params = self.params()
        raw_salt = force_bytes(salt)
        digest = argon2_process.hash_raw(
            force_bytes(password),
            raw_salt,
            time_cost=params.time_cost,
            memory_kib=params.memory_cost,
            parallelism=params.parallelism,
            size=params.hash_len,
        )
        return (
            f"{self.algorithm}$argon2id$v={params.version}"
            f"$m={params.memory_cost},t={params.time_cost},p={params.parallelism}"
            f"${_b64(raw_salt)}${_b64(digest)}"
        )

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        params = decoded["params"]
        if decoded["variety"] != "argon2id" or params.version != 19:
            return super().verify(password, encoded)
        expected = _unb64(decoded["hash"])
        digest = argon2_process.hash_raw(
            force_bytes(password),
            decoded["salt"].encode("latin1"),  # Django decodes the salt's bytes as latin1
            time_cost=params.time_cost,
            memory_kib=params.memory_cost,
            parallelism=params.parallelism,
            size=len(expected),
        )
        return hmac.compare_digest(digest, expected)
