"""The client counter: keys that live only in memory and rotate, counts that never reach a disk,
and one contract that the in-process and the Redis store both keep."""

import hashlib
import hmac
import shutil
import socket
import subprocess
import time

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.utils.crypto import salted_hmac

from jiandu.core import throttle
from tests.tipline.helpers import make_reader, submit

ADDRESS = "203.0.113.77"


def _request(address: str = ADDRESS):
    return RequestFactory().post("/", REMOTE_ADDR=address)


@pytest.fixture
def clock(monkeypatch):
    """Moves jiandu.core.throttle's clock by hand."""
    moment = [1_800_000_000.0]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    return moment


def _database_dump() -> str:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (names from introspection)
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def _data_dir_bytes(data_dir) -> bytes:
    return b"\n".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_nothing_about_the_address_or_its_hash_reaches_the_database_or_data_dir(
    isolated_data_dir,
):
    make_reader()
    newsroom = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(3):
        newsroom.post("/en/newsroom/", {"username": "zhu", "password": "wrong"})
    for scope in ("login", "comment"):
        throttle.count_attempt(scope, _request(), 3600)
    source = Client(REMOTE_ADDR=ADDRESS)
    assert submit(source, message="a tip").status_code == 302
    source.post("/en/conversation/sign-out/")
    source.post("/en/return/", {"codename": " ".join(["abandon"] * 8)})

    assert throttle.attempts("comment", _request()) == 1
    keys = throttle.store().hashing_keys(throttle.current_epoch())
    message = f"login\0{ADDRESS}".encode()
    digests = [hmac.new(k, message, hashlib.sha256).hexdigest()[:32] for k in keys]
    digests.append(salted_hmac("jiandu.throttle.login", ADDRESS, algorithm="sha256").hexdigest())
    dump = _database_dump()
    files = _data_dir_bytes(isolated_data_dir)
    assert ADDRESS not in dump and ADDRESS.encode() not in files
    assert socket.inet_aton(ADDRESS) not in files
    for digest in digests:
        assert digest[:16] not in dump and digest[:16].encode() not in files
    for key in keys:
        assert key.hex() not in dump and key not in files
    # Nothing in Django's database cache either (it stored the old counters, with their expiry).
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM jiandu_cache")
        assert not [k for (k,) in cursor.fetchall() if "throttle" in k or "intake" in k]


def test_the_hashing_key_rotates_and_an_old_key_is_forgotten(clock, settings):
    settings.JIANDU_THROTTLE_KEY_SECONDS = 3600
    first = throttle.store().hashing_keys(throttle.current_epoch())
    assert len(first) == 1 and len(first[0]) == throttle.KEY_BYTES
    assert throttle.store().hashing_keys(throttle.current_epoch()) == first  # stable in a period
    name_before = throttle._names("comment", ADDRESS)[0]

    clock[0] += 3600
    second = throttle.store().hashing_keys(throttle.current_epoch())
    assert second[0] != first[0] and second[1:] == first  # the old one is read one more period
    assert throttle._names("comment", ADDRESS)[0] != name_before

    clock[0] += 3600
    third = throttle.store().hashing_keys(throttle.current_epoch())
    assert first[0] not in third  # gone from memory: no hash made with it can be checked again


def test_a_count_ends_with_its_window(clock):
    assert throttle.count_attempt("comment", _request(), 3600) == 1
    clock[0] += 3000
    assert throttle.count_attempt("comment", _request(), 3600) == 2
    clock[0] += 700  # past the key's period (new key) but the first count's window is over
    assert throttle.attempts("comment", _request()) == 0
    assert throttle.count_attempt("comment", _request(), 3600) == 1


def test_a_count_made_under_the_previous_key_still_counts(clock):
    clock[0] += 3000
    throttle.count_attempt("login", _request(), 3600)
    clock[0] += 1000  # the key rotated; this count's window has not ended
    assert throttle.count_attempt("login", _request(), 3600) == 2
    assert throttle.attempts("login", _request("198.51.100.1")) == 0


def test_the_key_period_is_never_shorter_than_the_longest_window(settings):
    settings.JIANDU_THROTTLE_KEY_SECONDS = 60
    assert throttle.key_period_seconds() == 3600
    settings.JIANDU_THROTTLE_KEY_SECONDS = 7200
    assert throttle.key_period_seconds() == 7200


def test_memory_store_stays_bounded_under_a_flood_of_identifiers(monkeypatch):
    monkeypatch.setattr(throttle.MemoryCounters, "MAX_ENTRIES", 10)
    counters = throttle.MemoryCounters()
    for i in range(50):
        counters.incr(f"flood:{i}", 60)
    assert len(counters._counts) <= 10
    assert counters.get("flood:49") == 1


# --- One contract for every store ---------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    """A Redis without persistence on a free local port, or a skip where none is installed."""
    binary = shutil.which("redis-server")
    pytest.importorskip("redis")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


REDIS_STORE = "jiandu.core.throttle.RedisCounters"


@pytest.fixture
def redis_store(redis_url, settings):
    """The Redis store for one test, forgotten after it (the server outlives no module)."""
    settings.JIANDU_THROTTLE_REDIS_URL = redis_url
    settings.JIANDU_THROTTLE_STORE = REDIS_STORE
    store = throttle.store()
    store.clear()
    yield store
    store.clear()
    throttle._stores.pop(REDIS_STORE, None)


@pytest.fixture(params=["memory", "redis"])
def counters(request):
    if request.param == "redis":
        return request.getfixturevalue("redis_store")
    return throttle.store()


def test_store_contract_counts_and_expires(counters):
    assert counters.get("a") == 0
    assert [counters.incr("a", 1) for _ in range(3)] == [1, 2, 3]
    assert counters.incr("b", 60) == 1
    assert counters.get("a") == 3
    time.sleep(1.2)
    assert counters.get("a") == 0 and counters.get("b") == 1
    assert counters.incr("a", 60) == 1


def test_store_contract_keys_are_shared_within_an_epoch_and_rotate(counters):
    first = counters.hashing_keys(100)
    assert counters.hashing_keys(100) == first and len(first[0]) == throttle.KEY_BYTES
    second = counters.hashing_keys(101)
    assert second[0] != first[0] and second[1] == first[0]
    counters.clear()
    assert counters.hashing_keys(101)[0] != second[0]


def test_throttle_functions_work_on_the_redis_store(redis_store, redis_url):
    assert throttle.store() is redis_store
    assert throttle.count_attempt("login", _request(), 60) == 1
    assert throttle.count_attempt("login", _request(), 60) == 2
    assert throttle.attempts("login", _request()) == 2
    import redis

    names = [n.decode() for n in redis.Redis.from_url(redis_url).keys("*")]
    assert names and not [n for n in names if ADDRESS in n]
