"""Template context every page needs: the links to this page in the other languages."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def same_site_path(full_path: str) -> str:
    """`full_path` (path and query of the request) as a link that can only stay on this site.

    The request path is the client's: `GET //evil.example/en/cases/` has the path
    `//evil.example/en/cases/`, which a browser reads as a protocol-relative address on another
    host, and `translate_url` would keep that host. So every leading slash goes, and with them
    the backslashes, tabs, newlines and spaces a browser reads as slashes or drops, and the
    result starts with exactly one slash: a path on this site, never an address.
    """
    return "/" + full_path.lstrip("/\\\t\n\r ")


def languages(request: HttpRequest) -> dict[str, object]:
    """Language links rather than a form: switching works without JavaScript or a cookie."""
    current = get_language()
    here = same_site_path(request.get_full_path())
    links = []
    for code, name in settings.LANGUAGES:
        links.append(
            {
                "code": code,
                "name": name,
                "url": same_site_path(translate_url(here, code)),
                "current": code == current,
            }
        )
    return {"language_links": links}


def waiting(request: HttpRequest) -> dict[str, object]:
    """The counts of waiting work for the navigation of newsroom pages (core/waiting.py).

    Lazy: the queries run only when a template reads `waiting_work` (the newsroom's navigation and
    home page), so public pages and the tip line never pay for them."""
    from django.utils.functional import SimpleLazyObject

    from jiandu.core.waiting import waiting_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"waiting_work": []}
    return {"waiting_work": SimpleLazyObject(lambda: waiting_for(user))}
