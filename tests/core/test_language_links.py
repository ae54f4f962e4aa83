"""The language links are built from the request's path, which the client chooses: they must
always be paths on this site, never an address on another host."""

import re

import pytest

from jiandu.core.context_processors import same_site_path

pytestmark = pytest.mark.django_db

# Paths as the server hands them over (PATH_INFO, percent-decoded): the test client would read
# "//evil.example" in a URL as a host, so the path is given to it as PATH_INFO directly.
HOSTILE_PATHS = [
    "//evil.example/en/cases/",
    "///evil.example/en/cases/",
    "//evil.example/",
    "//evil.example/cases/",
    "/\\evil.example/en/cases/",
    "\\/evil.example/en/cases/",
    "/\t/evil.example/en/cases/",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_language_links_never_leave_the_site(client, path):
    response = client.get("/", PATH_INFO=path)
    html = response.content.decode()
    assert "hreflang" in html, path  # the page has its language links
    for url in re.findall(r"""(?:src|href|action)=["']([^"']*)["']""", html):
        assert url.startswith(("/", "#")) and not url.startswith(("//", "/\\")), (path, url)


def test_language_links_still_translate_the_page(client):
    html = client.get("/en/cases/?q=1").content.decode()
    assert 'href="/cases/?q=1"' in html and 'href="/zh-hant/cases/?q=1"' in html


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/en/cases/", "/en/cases/"),
        ("//evil.example/x", "/evil.example/x"),
        ("/\\evil.example", "/evil.example"),
        ("\\\\evil.example", "/evil.example"),
        ("/\t/evil.example", "/evil.example"),
        (" //evil.example", "/evil.example"),
        ("", "/"),
        ("https://evil.example/", "/https://evil.example/"),
    ],
)
def test_same_site_path(given, expected):
    assert same_site_path(given) == expected
