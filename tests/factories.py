"""Test data made the way the product makes it: through the rooms' actions."""

import time
from dataclasses import dataclass

import pyotp

from jiandu.accounts import actions
from jiandu.accounts.models import User

PASSWORD = "correct horse battery staple"


@dataclass
class Member:
    user: User
    password: str
    secret: str

    def code(self, offset_steps: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(time.time() + 30 * offset_steps)


def make_member(
    username: str = "zhu", role: str = "journalist", *, enrolled: bool = True
) -> Member:
    """A member with a known password and (if `enrolled`) a confirmed TOTP secret."""
    member = actions.do_create_member(username, role, password=PASSWORD)
    user = member.user
    secret = actions.do_start_totp_enrolment(user)
    if enrolled:
        user.totp_confirmed = True
        user.save(update_fields=["totp_confirmed"])
    return Member(user=user, password=PASSWORD, secret=secret)


def sign_in(client, member: Member, *, language_prefix: str = "/en") -> None:
    """Both login steps through the real views."""
    response = client.post(
        f"{language_prefix}/newsroom/",
        {"username": member.user.username, "password": member.password},
    )
    assert response.status_code == 302, response.content[:500]
    response = client.post(f"{language_prefix}/newsroom/verify/", {"code": member.code()})
    assert response.status_code == 302, response.content[:500]
