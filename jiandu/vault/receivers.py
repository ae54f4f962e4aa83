"""The vault listens to the accounts room's signals (accounts may not import the vault).

The password is known in the clear only during a sign-in and at a password change, so the
member key is unwrapped (or rewrapped) exactly then:

- `signed_in`: once *both* factors have passed, the key is unwrapped (or made, at a reader's
  first sign-in) with the password the sign-in kept for this moment, and put into the session,
  which is encrypted under a key only the member's cookie holds (jiandu.vault.sessions). Before
  the second factor nothing of the key is in the session (issue #8, item 1).
- `password_changing`: sent inside the accounts room's password-change transaction; the key is
  rewrapped under the new password in that transaction, and a busy key-derivation pool raises
  CredentialsBusy, which rolls the password change back (issue #8, item 8).
- `credentials_reset` and `read_access_ending`: also inside the accounts action's transaction.
"""

from typing import Any

from django.dispatch import receiver

from jiandu.accounts import signals
from jiandu.accounts.actions import CredentialsBusy, SoleKeyHolder
from jiandu.vault import actions, crypto, session_keys


@receiver(signals.signed_in)
def unlock_after_both_factors(
    sender: Any, request: Any, user: Any, password: str = "", **kwargs: Any
) -> None:
    if not password:
        session_keys.unlock(request, actions.Unlocked())
        return
    try:
        outcome = actions.do_unlock_member_key(user, password)
    except crypto.KdfBusy:
        # Every key-derivation slot is taken: sign-in goes on; the vault pages ask the member
        # to sign in again to unlock the key.
        outcome = actions.Unlocked()
    session_keys.unlock(request, outcome)


@receiver(signals.password_changing)
def rewrap_on_password_change(
    sender: Any,
    request: Any,
    user: Any,
    old_password: str,
    new_password: str,
    **kwargs: Any,
) -> None:
    private = session_keys.member_private_key(request) if request is not None else None
    try:
        if private is not None:
            actions.do_rewrap_member_key(user, private, new_password)
        else:
            actions.do_change_password(user, old_password, new_password)
    except crypto.KdfBusy as exc:
        raise CredentialsBusy from exc


@receiver(signals.credentials_reset)
def forget_on_reset(sender: Any, user: Any, **kwargs: Any) -> None:
    actions.do_forget_password_wrap(user)


@receiver(signals.read_access_ending)
def revoke_grants(sender: Any, user: Any, deactivating: bool, **kwargs: Any) -> int:
    """A demotion is refused while sources depend on this member's key alone; a deactivation
    goes on and keeps those grants (returned as a count for the admin)."""
    outcome = actions.do_revoke_member_grants(user)
    if outcome.sole and not deactivating:
        raise SoleKeyHolder(outcome.sole)
    return outcome.sole


@receiver(signals.demo_admin_issued)
def key_for_demo_admin(sender: Any, user: Any, password: str, **kwargs: Any) -> str:
    """The demo admin's member key, wrapped by the one-time password (and rewrapped at the
    forced password change, like any key): the demo's tip line is open before anyone signs in.
    A fresh login (the admin never signed in, the last printout may be lost) replaces the key,
    since nobody holds the password of the old one."""
    outcome = actions.do_replace_member_key(user, password)
    return (
        "  Vault recovery key (write it down; it restores the vault key after a lost password):\n"
        f"  {outcome.new_recovery_key}"
    )
