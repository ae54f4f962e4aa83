"""The fast path: anonymous readers get stored pages; publication drops them; views counted."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from jiandu.cases import viewcounts
from jiandu.cases.models import PageView
from jiandu.public import pagecache

pytestmark = pytest.mark.django_db
CASE = "/cases/chongqing-lei-zhengfu/"


class Calls:
    def __init__(self, app):
        self.app, self.count = app, 0

    def __call__(self, environ, start_response):
        self.count += 1
        return self.app(environ, start_response)


def get(app, path, **environ):
    env = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO()}
    env.update(environ)
    setup_testing_defaults(env)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def app(demo, settings, monkeypatch):
    settings.JIANDU_VIEWCOUNT_FLUSH_SECONDS = 0
    monkeypatch.setattr(pagecache, "CHECK_SECONDS", 0)
    # As Django's test client does: keep the test's transaction's connection open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    inner = Calls(WSGIHandler())
    yield inner, pagecache.FastPublicPages(inner)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_second_anonymous_read_is_served_without_django(app):
    inner, fast = app
    first = get(fast, CASE)
    second = get(fast, CASE)
    assert first == second
    assert inner.count == 1
    status, headers, body = second
    assert status.startswith("200") and "Content-Security-Policy" in headers
    assert "Set-Cookie" not in headers
    assert "63" in body.decode()


def test_publication_drops_stored_pages(app):
    inner, fast = app
    get(fast, CASE)
    pagecache.bump_generation()
    get(fast, CASE)
    assert inner.count == 2


def test_sessions_queries_posts_and_comment_pages_bypass_the_store(app):
    inner, fast = app
    get(fast, CASE)
    get(fast, CASE, HTTP_COOKIE="jiandu_session=abc")
    get(fast, "/cases/search/", QUERY_STRING="q=lei")
    get(fast, "/cases/search/", QUERY_STRING="q=lei")
    get(fast, CASE + "comment/")
    get(fast, CASE + "comment/")
    assert inner.count == 6
    get(fast, "/")  # not a public tracker page at all
    assert inner.count == 7


def test_views_are_counted_per_page_and_day_across_languages(app):
    _inner, fast = app
    get(fast, CASE)
    get(fast, CASE)
    get(fast, "/en" + CASE)
    get(fast, CASE + "qr.svg")  # not a page
    get(fast, "/cases/nothing/")  # not found
    viewcounts.flush_view_counts()
    assert list(PageView.objects.values_list("path", "count")) == [(CASE, 3)]


def test_head_requests_get_headers_only(app):
    _inner, fast = app
    get(fast, CASE)
    status, _headers, body = get(fast, CASE, REQUEST_METHOD="HEAD")
    assert status.startswith("200") and body == b""
    viewcounts.flush_view_counts()
    assert PageView.objects.get().count == 1  # the HEAD request is not a reader


def test_the_store_holds_a_bounded_number_of_bytes_whatever_the_number_of_pages():
    """Issue 22: a web process's memory does not grow with the site (2,000 pages of 1 MB
    would have been 2 GB)."""
    store = pagecache._Store()
    for n in range(40):
        store.put(f"/cases/{n}/", ("200 OK", [], b"x" * 1_000_000, True))
    held = sum(len(entry[2]) for entry in store.entries.values())
    assert held <= pagecache.MAX_BYTES
    assert "/cases/39/" in store.entries and "/cases/0/" not in store.entries
    store.put("/cases/39/", ("200 OK", [], b"y", True))
    assert store.bytes == sum(len(entry[2]) for entry in store.entries.values())
