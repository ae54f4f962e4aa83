"""The vault listens to the accounts room's signals: the password is known in the clear only
at the password step and at a password change, so the member key is unwrapped (or rewrapped)
exactly then. The unwrapped key goes into the session, which is encrypted under a key only the
member's cookie holds (jiandu.vault.sessions)."""

from typing import Any

from django.dispatch import receiver

from jiandu.accounts import signals
from jiandu.vault import actions, crypto, session_keys


@receiver(signals.password_verified)
def unlock_on_password(sender: Any, request: Any, user: Any, password: str, **kwargs: Any) -> None:
    try:
        outcome = actions.do_unlock_member_key(user, password)
    except crypto.KdfBusy:
        # Every key-derivation slot is taken: sign-in goes on; the vault pages ask the member
        # to sign in again to unlock the key.
        outcome = actions.Unlocked()
    session_keys.unlock(request, outcome)


@receiver(signals.password_changed)
def rewrap_on_password_change(
    sender: Any, request: Any, user: Any, old_password: str, new_password: str, **kwargs: Any
) -> None:
    private = session_keys.member_private_key(request)
    if private is not None:
        actions.do_rewrap_member_key(user, private, new_password)
    else:
        actions.do_change_password(user, old_password, new_password)


@receiver(signals.credentials_reset)
def forget_on_reset(sender: Any, user: Any, **kwargs: Any) -> None:
    actions.do_forget_password_wrap(user)
