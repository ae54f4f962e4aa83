"""What a sign-in, a password change and an admin's change to a member do beyond this room.

The member's vault key is wrapped by the password, and the vault lives above accounts: so the
five moments that touch both (both factors passed, a password changed, credentials reset, a
role or the active flag changed) are written once, in order, by the room above both
(`jiandu.newsroom.actions`), and handed to this room's views through the URL map
(`jiandu.urls`, `accounts.urls.urlpatterns_for`). A refusal is an exception from a call inside
one transaction, not a signal receiver vetoing from inside someone else's transaction, and no
step depends on the order of INSTALLED_APPS (issue 20, item 5).
"""

from typing import Protocol

from django.http import HttpRequest

from jiandu.accounts.actions import NewMember
from jiandu.accounts.models import User


class MemberFlows(Protocol):
    """The five flows; each raises `actions.AccountError` (or a subclass) to refuse."""

    def do_open_session(self, request: HttpRequest, user: User, password: str) -> None:
        """Both factors have passed and the member is logged in: open what the session needs.
        `password` is the password step's, kept for this moment only ("" if it kept none)."""
        ...

    def do_change_password(
        self, request: HttpRequest | None, user: User, old_password: str, new_password: str
    ) -> None:
        """The member's own change; the caller has checked `old_password`."""
        ...

    def do_reset_credentials(self, member: User, *, actor: User | None = None) -> NewMember:
        """A new one-time password and a new TOTP enrolment."""
        ...

    def do_set_role(self, member: User, role: str, *, actor: User | None = None) -> None:
        """One role; a demotion may be refused (actions.SoleKeyHolder)."""
        ...

    def do_set_active(self, member: User, active: bool, *, actor: User | None = None) -> int:
        """Returns how many sources kept the deactivated member's access (their only one)."""
        ...
