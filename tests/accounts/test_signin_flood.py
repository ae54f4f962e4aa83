"""Issue 17 item 6, against a real gunicorn with the production Argon2id hasher: a flood of
failed newsroom sign-ins hashes in at most JIANDU_HASH_SLOTS threads, answers the rest "busy"
(503 with Retry-After) at once, and leaves the tip line's landing page answering promptly.

Before the bounded pool, 15 parallel attempts each ran a 100 MiB Argon2id hash and the landing
page took seconds. Django's own live server runs one request at a time on SQLite
(tests/conftest.py), so a real gunicorn (jiandu.core.gunicorn_conf, one worker, its threads)
serves here, as in production.
"""

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.gunicorn_server import running_gunicorn

pytestmark = pytest.mark.timeout(180)

ATTACKERS = 15
SLOTS = 2


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        JIANDU_DATA_DIR=str(tmp_path / "data"),
        JIANDU_WORKERS="1",
        JIANDU_HASH_SLOTS=str(SLOTS),
        # No grace for a slot to free (production waits 0.2 s): an Argon2id hash can finish
        # within that grace on a quiet machine, and then whether an attempt is told "busy"
        # would depend on the machine's speed rather than on the number of slots.
        JIANDU_HASH_WAIT_SECONDS="0",
        DJANGO_SETTINGS_MODULE="jiandu.settings",
    )
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture
def server(tmp_path: Path):
    """A migrated data dir and gunicorn serving it; yields the port."""
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, timeout=120
    )
    with running_gunicorn(env, tmp_path / "gunicorn.log") as (port, _proc):
        yield port


def _request(
    port: int, method: str, path: str, body: str | None = None, cookie: str = ""
) -> tuple[int, dict[str, str], str, float]:
    """One request on a fresh connection: status, headers, text and seconds taken."""
    headers = {"Host": f"127.0.0.1:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        taken = time.monotonic() - started
        return response.status, dict(response.getheaders()), text, taken
    finally:
        conn.close()


def _sign_in_form(port: int) -> tuple[str, str]:
    """A fresh browser's session cookie and CSRF token from the sign-in page."""
    status, headers, text, _taken = _request(port, "GET", "/en/newsroom/")
    assert status == 200, text[:300]
    cookie = SimpleCookie(headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    assert token is not None and "jiandu_session" in cookie
    return f"jiandu_session={cookie['jiandu_session'].value}", token.group(1)


def test_a_sign_in_flood_is_answered_busy_and_the_tip_line_keeps_answering(server):
    port = server
    # Warm the landing page (first imports, templates) so only the flood is measured.
    assert _request(port, "GET", "/")[0] == 200
    forms = [_sign_in_form(port) for _ in range(ATTACKERS)]
    start = threading.Barrier(ATTACKERS + 1)
    answers: list[tuple[int, dict[str, str], str, float]] = []
    lock = threading.Lock()

    def attack(number: int) -> None:
        cookie, token = forms[number]
        body = urlencode(
            {"csrfmiddlewaretoken": token, "username": f"nobody{number}", "password": "guess"}
        )
        start.wait()
        answer = _request(port, "POST", "/en/newsroom/", body=body, cookie=cookie)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(0.2)  # the attempts are in, hashing
    landing_status, _headers, _text, landing_seconds = _request(port, "GET", "/")
    for thread in threads:
        thread.join(timeout=120)

    assert landing_status == 200
    assert landing_seconds < 1.0, f"the tip line's landing page took {landing_seconds:.2f} s"
    statuses = sorted(status for status, *_rest in answers)
    assert len(statuses) == ATTACKERS and set(statuses) <= {200, 503}, statuses
    busy = [(headers, text) for status, headers, text, _t in answers if status == 503]
    # At most SLOTS attempts hash at once: most of the simultaneous ones are told "busy".
    assert len(busy) >= ATTACKERS - 2 * SLOTS, statuses
    for headers, text in busy:
        assert int(headers["Retry-After"]) > 0
        assert "busy" in text
        assert 'value="nobody' in text  # the username stays typed
