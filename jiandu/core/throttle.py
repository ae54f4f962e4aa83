"""Counting attempts without ever writing a client address, its hash, or a fine time to disk.

Why: an IPv4 address has only 2^32 values, so a keyed hash of one is reversible by whoever holds
the key and one stored hash. The key therefore never leaves memory: 32 random bytes made when
first needed and replaced every JIANDU_THROTTLE_KEY_SECONDS (default one hour). The previous key
is kept for one more period so a count does not restart at the rotation; after that, nobody (the
server included) can link a counter to an address. The counters live where nothing is written
to disk either:

- `MemoryCounters` (the default): a bounded dict in this process. With several gunicorn workers
  each counts on its own, so a limit is per worker; that is the price of keeping nothing.
- `RedisCounters` (JIANDU_THROTTLE_STORE=jiandu.core.throttle.RedisCounters,
  JIANDU_THROTTLE_REDIS_URL): one count for every process of a scaled deployment. The rotating
  key is kept in the same Redis, so the processes agree on it. That Redis must run without
  persistence (`save ""`, `appendonly no`; docs/operations.md), or keys and counts reach its disk.

A count is for a scope and an identifier (an address, a session, a source); the identifier is
only ever hashed here. `attempts` and `count_attempt` count by client address; behind Tor every
client is 127.0.0.1, so the tip line never counts by address (jiandu.tipline.throttle).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from typing import Protocol, cast

from django.http import HttpRequest
from django.utils.module_loading import import_string

from jiandu.conf import setting_int, setting_str

KEY_BYTES = 32
MIN_KEY_PERIOD_SECONDS = 3600


def now() -> float:
    """The one clock of this module (tests move it)."""
    return time.time()


def key_period_seconds() -> int:
    """How long one hashing key is used for new counts (it is read for one more period).

    Never under an hour, the longest window the project counts in: a count stays readable for
    one to two periods, so a window up to one period is counted whole. (A longer window, such
    as a JIANDU_LOGIN_LOCKOUT_SECONDS of a day, counts only the last one to two periods.)"""
    return max(MIN_KEY_PERIOD_SECONDS, setting_int("JIANDU_THROTTLE_KEY_SECONDS", 3600))


class CounterStore(Protocol):
    """Where the hashing keys and the counts live. Nothing of either may reach a disk."""

    def hashing_keys(self, epoch: int) -> list[bytes]:
        """The key of `epoch` (made if missing), then the previous epoch's if still held."""
        ...

    def incr(self, name: str, window_seconds: int) -> int:
        """Add one to `name`, which expires `window_seconds` after its first count."""
        ...

    def get(self, name: str) -> int: ...

    def clear(self) -> None:
        """Forget every key and count (tests; a restart does the same)."""
        ...


class MemoryCounters:
    """Counts and keys in this process's memory, at most MAX_ENTRIES counts."""

    MAX_ENTRIES = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}
        self._keys: dict[int, bytes] = {}

    def hashing_keys(self, epoch: int) -> list[bytes]:
        with self._lock:
            for old in [e for e in self._keys if e < epoch - 1]:
                del self._keys[old]
            current = self._keys.get(epoch)
            if current is None:
                current = self._keys[epoch] = secrets.token_bytes(KEY_BYTES)
            previous = self._keys.get(epoch - 1)
        return [current] if previous is None else [current, previous]

    def _prune(self, moment: float) -> None:
        for name in [n for n, (_c, expiry) in self._counts.items() if expiry <= moment]:
            del self._counts[name]
        while len(self._counts) >= self.MAX_ENTRIES:  # oldest first (dicts keep insertion order)
            del self._counts[next(iter(self._counts))]

    def incr(self, name: str, window_seconds: int) -> int:
        moment = now()
        with self._lock:
            count, expiry = self._counts.get(name, (0, 0.0))
            if expiry <= moment:
                if len(self._counts) >= self.MAX_ENTRIES:
                    self._prune(moment)
                count, expiry = 0, moment + window_seconds
            self._counts[name] = (count + 1, expiry)
            return count + 1

    def get(self, name: str) -> int:
        with self._lock:
            count, expiry = self._counts.get(name, (0, 0.0))
        return count if expiry > now() else 0

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._keys.clear()


class RedisCounters:
    """Counts and keys in a Redis that keeps nothing on disk; shared by every process."""

    PREFIX = "jiandu:throttle:"

    def __init__(self) -> None:
        import redis  # optional dependency: only a scaled deployment needs it

        url = setting_str("JIANDU_THROTTLE_REDIS_URL", "redis://localhost:6379/0")
        self._redis = redis.Redis.from_url(url)

    def hashing_keys(self, epoch: int) -> list[bytes]:
        period = key_period_seconds()
        name = f"{self.PREFIX}key:{epoch}"
        # Every process proposes a key; the first one stored wins and lives two periods.
        self._redis.set(name, secrets.token_bytes(KEY_BYTES), nx=True, ex=2 * period)
        # Bytes (the client does not decode), and the current key was stored just above.
        current, previous = cast(
            "tuple[bytes, bytes | None]", self._redis.mget(name, f"{self.PREFIX}key:{epoch - 1}")
        )
        return [current] if previous is None else [current, previous]

    def incr(self, name: str, window_seconds: int) -> int:
        pipe = self._redis.pipeline()
        pipe.set(self.PREFIX + name, 0, nx=True, ex=window_seconds)
        pipe.incr(self.PREFIX + name)
        return int(pipe.execute()[1])

    def get(self, name: str) -> int:
        return int(self._redis.get(self.PREFIX + name) or 0)

    def clear(self) -> None:
        for name in self._redis.scan_iter(match=self.PREFIX + "*"):
            self._redis.delete(name)


_stores: dict[str, CounterStore] = {}
_stores_lock = threading.Lock()


def store() -> CounterStore:
    """The store JIANDU_THROTTLE_STORE names (a dotted path), one instance per process."""
    path = setting_str("JIANDU_THROTTLE_STORE", "jiandu.core.throttle.MemoryCounters")
    with _stores_lock:
        if path not in _stores:
            _stores[path] = import_string(path)()
        return _stores[path]


def forget_everything() -> None:
    """Drop every key and count of every store this process made (tests)."""
    with _stores_lock:
        for counters in _stores.values():
            counters.clear()


def current_epoch() -> int:
    return int(now() // key_period_seconds())


def _names(scope: str, identifier: str) -> list[str]:
    """The counter names for this identifier: one per hashing key held, newest first."""
    message = f"{scope}\0{identifier}".encode()
    return [
        f"{scope}:{hmac.new(key, message, hashlib.sha256).hexdigest()[:32]}"
        for key in store().hashing_keys(current_epoch())
    ]


def count(scope: str, identifier: str, window_seconds: int) -> int:
    """Count one event for `identifier` in `scope`; the number within the window, this one
    included (counts made under the previous key are added)."""
    names = _names(scope, identifier)
    counters = store()
    return counters.incr(names[0], window_seconds) + sum(counters.get(n) for n in names[1:])


def peek(scope: str, identifier: str) -> int:
    """The number counted for `identifier` in `scope` within its window, counting nothing."""
    counters = store()
    return sum(counters.get(n) for n in _names(scope, identifier))


def _address(request: HttpRequest) -> str:
    # The one place the project reads a client address: see docs/threat-model.md.
    return request.META.get("REMOTE_ADDR", "")


def address_is_shared(request: HttpRequest) -> bool:
    """Whether the client address stands for many people: a loopback address is what every
    visitor of an onion service (and of a local reverse proxy) arrives from."""
    try:
        return ipaddress.ip_address(_address(request)).is_loopback
    except ValueError:
        return True


def attempts(scope: str, request: HttpRequest) -> int:
    """Attempts counted for this client address in `scope` within the window."""
    return peek(scope, _address(request))


def count_attempt(scope: str, request: HttpRequest, window_seconds: int) -> int:
    """Count one attempt by this client address; the number so far, this one included."""
    return count(scope, _address(request), window_seconds)
