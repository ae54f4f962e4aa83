"""Sign-in throttling (issue #8, items 3 and 10): failures by others never stop a member with
the right password and code; guessing on a guarded account needs both at once and learns
nothing from a password alone; delays grow per session and per account."""

import json
import time

import pytest
from django.test import Client

from jiandu.accounts import actions, throttle
from jiandu.accounts.models import Passkey, User
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

GUARDED_MESSAGE = b"The username, password or code is not right."


def password_step(client, username, password):
    return client.post("/en/newsroom/", {"username": username, "password": password})


def other_code(member):
    right = member.code()
    return "000000" if right != "000000" else "111111"


def sign_in_fresh(member):
    """A new browser signs in with both factors; the client, signed in."""
    client = Client()
    response = password_step(client, member.user.username, PASSWORD)
    assert response.status_code == 302 and response.url == "/en/newsroom/verify/"
    response = client.post("/en/newsroom/verify/", {"code": member.code()})
    assert response.status_code == 302, response.content[:300]
    assert client.get("/en/newsroom/home/").status_code == 200
    return client


def test_thirty_failures_from_one_address_do_not_stop_the_member():
    """Behind an onion service every visitor is 127.0.0.1: 20 failures against other names and
    10 against the member's own, each from a fresh session, then the member signs in."""
    member = make_member("zhu")
    make_member("wang")
    for attempt in range(30):
        attacker = Client()  # a new session each time, as a script would do
        name = "zhu" if attempt % 3 == 0 else ("wang", "nobody")[attempt % 2]
        response = password_step(attacker, name, f"guess {attempt}")
        if response.status_code == 302:  # guarded: the verdict comes with the code
            attacker.post("/en/newsroom/verify/", {"code": "123456"})
        assert attacker.get("/en/newsroom/home/").status_code == 302
    assert User.objects.get(username="zhu").failed_logins == 10
    sign_in_fresh(member)
    assert User.objects.get(username="zhu").failed_logins == 0


def test_a_guarded_account_gives_one_answer_to_every_wrong_combination(settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 3
    member = make_member("zhu")
    User.objects.filter(pk=member.user.pk).update(failed_logins=3)
    right_code = member.code()
    answers = []
    for username, password, code in [
        ("zhu", "wrong password", right_code),
        ("zhu", PASSWORD, other_code(member)),
        ("zhu", "wrong password", other_code(member)),
    ]:
        client = Client()
        first = password_step(client, username, password)
        # The password step says nothing: every combination goes on to the code.
        assert (first.status_code, first.url) == (302, "/en/newsroom/verify/")
        second = client.post("/en/newsroom/verify/", {"code": code}, follow=True)
        assert GUARDED_MESSAGE in second.content
        answers.append((second.redirect_chain, second.status_code))
        assert client.get("/en/newsroom/home/").status_code == 302
    assert len(set(map(str, answers))) == 1
    # A code given with a wrong password was not spent: it still signs in with the right one.
    client = Client()
    password_step(client, "zhu", PASSWORD)
    assert client.post("/en/newsroom/verify/", {"code": right_code}).url == "/en/newsroom/home/"


def test_guessing_codes_on_a_guarded_account_needs_the_password_each_time(settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 3
    member = make_member("zhu")
    User.objects.filter(pk=member.user.pk).update(failed_logins=3)
    client = Client()
    password_step(client, "zhu", PASSWORD)
    client.post("/en/newsroom/verify/", {"code": other_code(member)})
    # The pending sign-in ended with the failure: the next code is not even looked at.
    response = client.post("/en/newsroom/verify/", {"code": member.code()})
    assert response.url == "/en/newsroom/"
    assert client.get("/en/newsroom/home/").status_code == 302


def test_the_failure_that_guards_an_account_ends_its_pending_sign_in(settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 2
    member = make_member("zhu")
    client = Client()
    password_step(client, "zhu", PASSWORD)
    first = client.post("/en/newsroom/verify/", {"code": other_code(member)})
    assert b"That code is not right" in first.content  # not yet guarded: the code is retried
    second = client.post("/en/newsroom/verify/", {"code": other_code(member)})
    # Now guarded: start again with the password, after the wait (the sign-in page, 429).
    assert second.status_code == 429 and GUARDED_MESSAGE in second.content
    assert b'action="/en/newsroom/"' in second.content and b'value="zhu"' in second.content
    assert client.post("/en/newsroom/verify/", {"code": member.code()}).url == "/en/newsroom/"


def test_failing_guarded_attempts_wait_longer_and_a_right_one_never(settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 2
    settings.JIANDU_LOGIN_MAX_DELAY_SECONDS = 4
    member = make_member("zhu")
    waits = []
    for _ in range(6):
        client = Client()
        first = password_step(client, "zhu", "wrong")
        if first.status_code == 429:
            waits.append(int(first["Retry-After"]))
            continue
        second = client.post("/en/newsroom/verify/", {"code": "123456"})
        waits.append(int(second["Retry-After"]) if second.status_code == 429 else 0)
    # No wait before the account is guarded; from the failure that guards it, 1, 2, 4 s...
    assert waits == [0, 1, 2, 4, 4, 4]
    sign_in_fresh(member)


def test_session_delays_grow_and_stop_only_that_browser():
    member = make_member("zhu")
    attacker = Client()
    for _ in range(throttle.SESSION_FREE_FAILURES + 1):
        response = password_step(attacker, "zhu", "wrong")
        assert b"The username or password is not right" in response.content
    # The failure that starts the session's wait says so at once (429, Retry-After).
    assert response.status_code == 429 and response["Retry-After"] == "2"
    failures_before = User.objects.get(username="zhu").failed_logins
    response = password_step(attacker, "zhu", PASSWORD)
    assert response.status_code == 429 and b"Wait 2 seconds" in response.content
    # Refused unheard: nothing counted, nothing judged.
    assert User.objects.get(username="zhu").failed_logins == failures_before
    sign_in_fresh(member)


def test_session_delay_schedule():
    assert [throttle.session_delay(n) for n in range(1, 7)] == [0, 0, 2, 4, 8, 16]
    assert throttle.session_delay(100) == throttle.SESSION_MAX_WAIT


def test_a_wait_in_the_session_ends_by_itself(client):
    make_member("zhu")
    session = client.session
    session[throttle.SESSION_KEY] = {"failures": 5, "not_before": 0}
    session.save()
    assert password_step(client, "zhu", PASSWORD).url == "/en/newsroom/verify/"


def test_an_address_over_its_limit_guards_every_account(settings):
    settings.JIANDU_LOGIN_CLIENT_LIMIT = 4
    member = make_member("zhu")
    for attempt in range(4):
        password_step(Client(), "nobody", f"guess {attempt}")
    # An account with no failures of its own: the wrong password is no longer told apart.
    client = Client()
    response = password_step(client, "zhu", "wrong")
    assert response.url == "/en/newsroom/verify/"
    response = client.post("/en/newsroom/verify/", {"code": member.code()}, follow=True)
    assert GUARDED_MESSAGE in response.content
    sign_in_fresh(member)


def test_failures_are_counted_with_one_atomic_update():
    """Two requests holding the same stale row both count (a read-modify-write lost one)."""
    member = make_member("zhu")
    first = User.objects.get(pk=member.user.pk)
    second = User.objects.get(pk=member.user.pk)
    assert actions.do_record_login_failure(first) == 1
    assert actions.do_record_login_failure(second) == 2
    assert User.objects.get(pk=member.user.pk).failed_logins == 2


def test_a_guarded_passkey_sign_in_gives_the_same_answer(settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 1
    member = make_member("zhu")
    Passkey.objects.create(user=member.user, name="k", credential_id="Y3JlZA", public_key=b"x")
    User.objects.filter(pk=member.user.pk).update(failed_logins=1)
    errors = []
    for password in ("wrong", PASSWORD):
        client = Client()
        assert password_step(client, "zhu", password).url == "/en/newsroom/verify/"
        assert client.post("/en/newsroom/verify/passkey/options/").status_code == 200
        response = client.post(
            "/en/newsroom/verify/passkey/",
            json.dumps({"credential": {"id": "Y3JlZA", "response": {}}}),
            content_type="application/json",
        )
        errors.append((response.status_code, json.loads(response.content)["error"]))
        assert client.get("/en/newsroom/home/").status_code == 302
    # The same answer, but for the wait (it grows with the account's failures: 1 s, 2 s).
    assert [status for status, _error in errors] == [429, 429]
    assert [error.split(" Too many")[0] for _status, error in errors] == [
        "The username, password or code is not right. Start again with your password; "
        "each code works only once."
    ] * 2


def test_a_failing_guarded_sign_in_is_answered_at_once_with_the_wait(settings):
    """Issue 17, item 6: no request thread sleeps. The refusal comes at once, says how long
    to wait in the reader's language (429, Retry-After) and keeps the name typed."""
    settings.JIANDU_LOGIN_MAX_FAILURES = 2
    settings.JIANDU_LOGIN_MAX_DELAY_SECONDS = 4
    member = make_member("zhu")
    User.objects.filter(pk=member.user.pk).update(failed_logins=6)
    client = Client()
    assert client.post("/newsroom/", {"username": "zhu", "password": "wrong"}).status_code == 302
    started = time.monotonic()
    response = client.post("/newsroom/verify/", {"code": other_code(member)})
    assert time.monotonic() - started < 1.0  # the account's pause is 4 s: it did not sleep
    assert response.status_code == 429 and response["Retry-After"] == "4"
    text = response.content.decode()
    assert "请等待 4 秒后再试" in text
    assert 'value="zhu"' in text
    # The wait is the session's: a try before it ends is refused unheard, also at once.
    again = client.post("/newsroom/", {"username": "zhu", "password": PASSWORD})
    assert again.status_code == 429 and int(again["Retry-After"]) >= 3
    assert User.objects.get(pk=member.user.pk).failed_logins == 7
    sign_in_fresh(member)  # another browser is never held
