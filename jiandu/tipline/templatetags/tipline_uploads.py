"""What the source's pages say about unfinished uploads (issue 19, item 2): the list a source
finds after signing in again (`{% unfinished_uploads as uploads %}`) and what survives a closed
browser (`{% upload_survival as survival %}`). Tags rather than view context so that the
conversation page and the sending page include the same small templates
(tipline/_unfinished_uploads.html, tipline/_upload_survival.html) without their views knowing."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from jiandu.vault import conf, resumable, session_keys

register = template.Library()


@register.simple_tag(takes_context=True)
def unfinished_uploads(context: template.Context) -> list[dict[str, Any]]:
    """This session's uploads not yet complete (a closed browser's ones are back in the
    session after the sign-in): name, size, how far, where the sending page continues them."""
    request = context.get("request")
    if request is None or request.session.get(session_keys.SOURCE_ID) is None:
        return []
    return [
        upload
        | {
            "percent": upload["offset"] * 100 // upload["length"],
            "url": reverse("tipline:upload_piece", args=[upload["id"]]),
        }
        for upload in resumable.held(request.session)
        if not upload["done"]
    ]


@register.simple_tag(takes_context=True)
def upload_survival(context: template.Context) -> dict[str, Any]:
    """Whether an upload started now survives a closed browser (the session holds the source's
    codename-derived key), whether the source exists but its codename is not working yet, and
    how long the server keeps an unfinished upload after its last piece."""
    request = context.get("request")
    session = request.session if request is not None else None
    return {
        "linked": session is not None and resumable.is_linked(session),
        "pending": session is not None
        and session.get(session_keys.SOURCE_ID) is not None
        and not resumable.is_linked(session),
        "hours": conf.staging_idle_hours(),
    }
