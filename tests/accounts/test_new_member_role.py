"""Adding a member starts on the least privileged role; making an administrator is a choice
confirmed on purpose (issue 18, item 2), checked by the server, not by the page."""

from html.parser import HTMLParser

import pytest

from jiandu.accounts.models import User
from jiandu.accounts.roles import ROLE_PERMISSIONS
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db
URL = "/en/newsroom/members/"


class _RoleSelect(HTMLParser):
    """The role select's options as (value, selected) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[tuple[str, bool]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "select":
            self._inside = named.get("name") == "role"
        elif tag == "option" and self._inside:
            self.options.append((named.get("value") or "", "selected" in named))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._inside = False


def test_the_form_starts_on_the_least_privileged_role(client):
    sign_in(client, make_member("boss", "admin"))
    parser = _RoleSelect()
    parser.feed(client.get(URL).content.decode())
    chosen = [value for value, selected in parser.options if selected]
    # What a browser sends for an untouched select: the selected option, else the first one.
    sent = chosen[-1] if chosen else parser.options[0][0]
    fewest = min(ROLE_PERMISSIONS, key=lambda role: len(ROLE_PERMISSIONS[role]))
    assert sent == fewest == "moderator"


@pytest.mark.parametrize(
    ("prefix", "advice"),
    [
        ("/en", "tick the box"),
        ("", "请勾选"),
        ("/zh-hant", "請勾選"),
    ],
)
def test_an_administrator_needs_the_confirmation(client, prefix, advice):
    sign_in(client, make_member("boss", "admin"))
    url = f"{prefix}/newsroom/members/"
    refused = client.post(url, {"username": "li", "role": "admin", "email": ""})
    assert refused.status_code == 200
    assert advice in refused.content.decode()
    assert not User.objects.filter(username="li").exists()

    made = client.post(url, {"username": "li", "role": "admin", "email": "", "confirm_admin": "on"})
    assert made.status_code == 200
    assert User.objects.get(username="li").role == "admin"


def test_other_roles_need_no_confirmation(client):
    sign_in(client, make_member("boss", "admin"))
    client.post(URL, {"username": "wu", "role": "editor", "email": ""})
    assert User.objects.get(username="wu").role == "editor"
