"""The security baseline holds on every URL the URLconf defines, signed in or not."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {
    "int": "1",
    "slug": "sample",
    "str": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "sample",
}


def _concrete(pattern: str) -> str:
    """Turn `cases/<slug:slug>/` or a regex route into a path with sample values."""
    path = re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "1"), pattern
    )
    path = path.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    return re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)


def all_paths() -> list[str]:
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + _concrete(str(entry.pattern)))
            elif isinstance(entry, URLPattern):
                paths.append("/" + prefix + _concrete(str(entry.pattern)))

    with translation.override("en"):
        walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def assert_baseline(response, path: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, path
    assert "frame-ancestors 'none'" in csp, path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert response.headers.get("Referrer-Policy") == "no-referrer", path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), path
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", path
    assert "Server" not in response.headers or "/" not in response.headers["Server"], path


def test_urlconf_is_enumerated():
    paths = all_paths()
    assert "/en/" in paths and "/en/newsroom/" in paths and "/en/cases/" in paths


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_url_has_the_security_headers(client, signed_in):
    if signed_in:
        sign_in(client, make_member("admin1", "admin"))
    for path in all_paths():
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code < 500, (path, response.status_code)
            assert_baseline(response, path)


@pytest.mark.parametrize("path", ["/", "/newsroom/", "/cases/", "/en/", "/zh-hant/newsroom/"])
def test_pages_reference_no_other_host(client, path):
    html = client.get(path).content.decode()
    for url in re.findall(r"""(?:src|href|action)=["']([^"']+)["']""", html):
        assert not re.match(r"^(https?:)?//", url), (path, url)


def test_pages_with_a_session_are_never_cached(client):
    sign_in(client, make_member())
    response = client.get("/en/newsroom/home/")
    assert "no-store" in response.headers["Cache-Control"]
    assert "ETag" not in response.headers


def test_404_page_is_friendly_and_has_headers(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert_baseline(response, "/en/no-such-page/")
