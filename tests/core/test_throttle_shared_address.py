"""Behind Tor every visitor is 127.0.0.1: a limit counted by that address is one limit for
everyone, so the comment throttle counts sessions there and addresses only where they differ."""

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.test import RequestFactory

from jiandu.core import throttle
from jiandu.public.throttle import comment_allowed


class _Session(SessionBase):
    def __init__(self, key: str) -> None:
        super().__init__()
        self._session_key = key


def _request(address: str, session: str):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.session = _Session(session)
    return request


@pytest.mark.parametrize(
    ("address", "shared"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("127.8.9.10", True),
        ("", True),
        ("not an address", True),
        ("203.0.113.5", False),
        ("2001:db8::1", False),
    ],
)
def test_loopback_and_unreadable_addresses_count_as_shared(address, shared):
    assert throttle.address_is_shared(_request(address, "s")) is shared


def test_behind_tor_one_flooding_session_does_not_close_comments_for_others(settings):
    settings.JIANDU_COMMENT_LIMIT = 5
    flood = [comment_allowed(_request("127.0.0.1", "attacker")) for _ in range(50)]
    assert flood.count(True) == 5
    assert comment_allowed(_request("127.0.0.1", "a-reader"))


def test_a_distinct_address_is_still_limited_across_new_sessions(settings):
    settings.JIANDU_COMMENT_LIMIT = 5
    allowed = [comment_allowed(_request("203.0.113.5", f"session-{i}")) for i in range(8)]
    assert allowed.count(True) == 5
    assert comment_allowed(_request("198.51.100.7", "other"))
