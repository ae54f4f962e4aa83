"""Codename sign-in costs an Argon2id run: wrong guesses slow down their own session only, and a
flood of sign-ins is answered "busy" without ever locking a real source out."""

import threading

import pytest
from django.test import Client

from jiandu.core import throttle as core_throttle
from jiandu.tipline import codename as codenames
from jiandu.tipline import throttle
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    moment = [1_800_000_000.0]
    monkeypatch.setattr(core_throttle, "now", lambda: moment[0])
    return moment


@pytest.fixture
def derivations(monkeypatch):
    """Counts the Argon2id runs the tip line asks for."""
    runs = []
    real = codenames.derive

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(codenames, "derive", counting)
    return runs


def _source_with_codename() -> str:
    make_reader()
    client = Client()
    submit(client, message="first")
    return codename_of(client)


def _try(client: Client, codename: str):
    return client.post("/en/return/", {"codename": codename})


def test_wait_grows_after_three_free_failures_and_stops_at_a_minute():
    assert [throttle.wait_after(n) for n in range(1, 10)] == [0, 0, 0, 2, 4, 8, 16, 32, 60]
    assert throttle.wait_after(50) == 60


def test_wrong_codenames_slow_down_only_their_own_session(clock, derivations):
    right = _source_with_codename()
    wrong = codenames.generate("en")
    attacker = Client()
    attacker.get("/en/return/")
    for _ in range(4):
        assert b"No conversation has this codename" in _try(attacker, wrong).content
    runs = len(derivations)
    response = _try(attacker, wrong)
    assert response.status_code == 429
    assert b"Wait 2 seconds, then try again" in response.content
    assert len(derivations) == runs  # refused before any key derivation

    # The real source, in its own browser, is never made to wait.
    source = Client()
    response = _try(source, right)
    assert response.status_code == 302 and response["Location"] == "/en/conversation/"

    clock[0] += 3
    assert b"No conversation has this codename" in _try(attacker, wrong).content
    assert b"Wait 4 seconds" in _try(attacker, wrong).content


def test_a_source_that_mistyped_signs_in_after_the_wait(clock):
    right = _source_with_codename()
    source = Client()
    source.get("/en/return/")
    for _ in range(4):
        _try(source, codenames.generate("en"))
    assert _try(source, right).status_code == 429
    clock[0] += 2
    assert _try(source, right).status_code == 302


def test_misspelt_codenames_cost_no_derivation_and_do_not_count(derivations):
    make_reader()
    client = Client()
    for _ in range(10):
        response = _try(client, "not a codename at all")
        assert response.status_code == 200
    assert derivations == []
    assert throttle.signin_wait_seconds(type("R", (), {"session": client.session})()) == 0


def test_a_flood_of_sign_ins_is_answered_busy_and_first_submissions_still_go_through(
    monkeypatch,
):
    right = _source_with_codename()
    monkeypatch.setattr(throttle, "SIGNIN_SLOT_WAIT_SECONDS", 0.05)
    held = threading.Event()
    release = threading.Event()

    def flood() -> None:  # the one sign-in slot, held as by a long-running derivation
        with throttle.signin_slot():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        assert held.wait(5)
        response = _try(Client(), right)
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        assert b"Many people are signing in at the moment" in response.content
        assert b"try again" in response.content
        # A new source's first submission uses the other key-derivation slots.
        assert submit(Client(), message="a new tip").status_code == 302
    finally:
        release.set()
        thread.join()
    assert _try(Client(), right).status_code == 302


def test_sign_in_counts_never_reach_the_session_or_database(clock):
    _source_with_codename()
    client = Client()
    client.get("/en/return/")
    for _ in range(5):
        _try(client, codenames.generate("en"))
    assert not [k for k, _v in client.session.items() if "throttle" in k or "codename" in k]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM jiandu_cache")
        assert cursor.fetchall() == []
