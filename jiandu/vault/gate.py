"""The one gate for every newsroom page that opens sources' files (issue 20, item 6).

A page behind it needs three things: a signed-in member, the right to read submissions, and the
member's private key unlocked in the session and not waiting to be restored from the recovery key
(`NEEDS_RECOVERY`: the password was reset, so the key in the session cannot open what was sealed
to the old one). Otherwise the member goes to the vault-key page (`newsroom:key`, the newsroom's
face of this room). The newsroom's own pages, where a member lands after signing in, also send
them there while a new recovery key waits to be shown once (`NEW_RECOVERY`), so it is written
down before anything else (`vault_view_recovery_key_first`).

It lives here, in the lowest room every such page may import (newsroom, forensics' workbench,
the redaction studio), because two copies of it drifted: only one checked `NEEDS_RECOVERY`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from jiandu.vault import session_keys

View = Callable[..., HttpResponseBase]


def _gate(view: View, *, recovery_key_first: bool) -> View:
    @login_required
    @permission_required("accounts.read_submissions", raise_exception=True)
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        session = request.session
        if session.get(session_keys.NEEDS_RECOVERY):
            return redirect("newsroom:key")
        if recovery_key_first and session.get(session_keys.NEW_RECOVERY):
            return redirect("newsroom:key")
        if session_keys.member_private_key(request) is None:
            return redirect("newsroom:key")
        return view(request, *args, **kwargs)

    return wrapper


def vault_view(view: View) -> View:
    """Signed in, allowed to read submissions, member key unlocked and not waiting to be
    restored from the recovery key (else the key page)."""
    return _gate(view, recovery_key_first=False)


def vault_view_recovery_key_first(view: View) -> View:
    """`vault_view`, and the newsroom's own pages (where a member lands after signing in) also
    send a member whose new recovery key has not been shown yet to the key page first."""
    return _gate(view, recovery_key_first=True)
