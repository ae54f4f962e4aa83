"""Shared fixtures. Factories live in tests/factories.py; browser fixtures in tests/browser."""

import threading

import pytest

# No test reaches beyond loopback: pytest-socket's options in pyproject.toml, and the gaps it
# leaves (name lookups, connect_ex, datagrams) closed by tests/netguard.py.
pytest_plugins = ["tests.netguard"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings, request):
    """Argon2id at 100 MiB per hash would make the suite slow; tests that are about the hasher
    itself are marked `real_hasher`."""
    if "real_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_vault_kdf(settings, request):
    """The vault's Argon2id (64 MiB per run) at its minimum cost, except in tests marked
    `real_kdf` (tests/vault/test_crypto.py checks the production parameters)."""
    if "real_kdf" not in request.keywords:
        from jiandu.vault.crypto import KdfParams

        settings.JIANDU_VAULT_KDF = KdfParams(opslimit=1, memlimit=8192)


@pytest.fixture(autouse=True)
def isolated_data_dir(settings, tmp_path):
    """Each test writes to its own data directory, never to ./var."""
    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(data / "files")}},
    }
    from jiandu.vault.conf import create_secrets

    create_secrets()  # as `migrate` does at install time
    return data


@pytest.fixture(autouse=True)
def no_worker_key_left():
    """Each test starts as a process without a preview-worker key (jiandu.forensics.handoff)."""
    yield
    from jiandu.forensics import handoff

    handoff._current = None


@pytest.fixture(autouse=True)
def no_member_index_left():
    """Each test starts with no member's decrypted index in memory (jiandu.forensics.index and
    .textindex keep them by user id and a signature of row ids, and a rolled-back test's ids
    come again in the next: a stale index from another test's photo must not answer)."""
    from jiandu.forensics import index, textindex

    index._cache.clear()
    textindex._cache.clear()


@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """Each test starts with no throttle counts and a new in-memory hashing key
    (jiandu.core.throttle keeps both in process memory, not in the test's database)."""
    from jiandu.core import throttle

    throttle.forget_everything()
    yield
    throttle.forget_everything()


def pytest_configure(config):
    config.addinivalue_line("markers", "real_hasher: use the production Argon2id hasher")
    config.addinivalue_line("markers", "real_kdf: use the vault's production Argon2id cost")


# --- Browser tests: Playwright driving Debian's chromium (never a downloaded browser). ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    import os

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls beside sync Playwright
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser):
    """new_page(javascript=True, width=1280, height=900) -> a page in a fresh context."""
    contexts = []

    def make(javascript: bool = True, width: int = 1280, height: int = 900, **kwargs):
        context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": width, "height": height}, **kwargs
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def axe_check(browser):
    """axe_check(url) -> list of WCAG 2.1 A/AA violations on the page at `url`.

    Runs in its own JavaScript-enabled context (axe is JavaScript), so it also works for pages
    the test itself drives with JavaScript off.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    contexts = []

    def check(url: str, cookies: list | None = None) -> list[dict]:
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url)
        results = axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
            },
        )
        return [
            {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"][:3]]}
            for v in results.response["violations"]
        ]

    yield check
    for context in contexts:
        context.close()


# The one request the SQLite live server answers at a time (below); the database flush after a
# live-server test waits for it too.
_LIVE_SERVER_REQUEST = threading.Lock()


@pytest.fixture(autouse=True)
def _no_request_in_flight_at_the_flush(request):
    """A live-server test's browser can leave a request in flight when the test ends (an image
    or a thumbnail whose fetch writes a custody record): with SQLite, the flush that empties
    the database would run beside it and fail on a foreign key, and the next test would find
    the last one's rows. The browser contexts are closed first (their fixtures come later, so
    they end earlier); this waits for the request the server is still answering."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    yield
    with _LIVE_SERVER_REQUEST:
        pass


def _serialize_the_live_server() -> None:
    """Django's live server answers each connection in a thread of its own, and with SQLite's
    in-memory test database every thread shares one connection: two requests at once (a
    browser fetching two videos of a page side by side) interleave their transactions and
    savepoints on it ("no such savepoint"), which breaks that test and every test after it.
    With SQLite, the live server still accepts connections in threads but runs one request at
    a time through Django. PostgreSQL gives each thread its own connection: left as it is."""

    from django.conf import settings
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return

    class OneRequestAtATime(ThreadedWSGIServer):
        def set_app(self, application):
            lock = _LIVE_SERVER_REQUEST

            def serialized(environ, start_response):
                with lock:
                    return application(environ, start_response)

            super().set_app(serialized)

    LiveServerThread.server_class = OneRequestAtATime


_serialize_the_live_server()
