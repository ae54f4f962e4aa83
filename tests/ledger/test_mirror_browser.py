"""The exported mirror in Debian's chromium: every page opens from disk (file://) and from a
plain static HTTP server, and every link, stylesheet and image in it resolves."""

import functools
import http.server
import io
import threading
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from jiandu.cases import actions
from jiandu.public import mirror
from jiandu.redaction.actions import do_publish_evidence
from tests.factories import make_member
from tests.redaction.helpers import rendered

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LINKS = """() => Array.from(document.querySelectorAll('a[href], link[href], img[src], script[src]'))
  .map(e => e.href || e.src)"""
IMAGES = """() => Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])"""


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 20)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def exported(tmp_path) -> Path:
    writer, editor = make_member("w", "journalist").user, make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Watch", title_zh="名表")
    person = actions.do_create_person(writer, name_en="Lei Zhengfu", name_zh="雷政富")
    actions.do_link_person(writer, case, person, "subject")
    do_publish_evidence(case, editor, rendered(editor, png()), "verified", caption_en="A frame")
    reviewer = make_member("e2", "editor").user  # the editor who attached it may not publish
    for note in ("First", "Second"):
        actions.do_update_case(writer, case, summary_en=note)
        actions.do_submit_for_review(writer, case, note)
        actions.do_publish_case(reviewer, case)
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    return out


@pytest.fixture
def static_server(exported):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(exported))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def check_pages(page, base: str, exported: Path, exists) -> int:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    # Every page but the root's redirect (checked on its own).
    pages = sorted(p for p in mirror.list_dir(exported) if p.endswith(".html") and "/" in p)
    checked = 0
    for relative in pages:
        response = page.goto(f"{base}/{relative}")
        assert response is None or response.ok, relative
        assert page.evaluate("() => document.styleSheets.length") >= 1, relative
        for url in page.evaluate(LINKS):
            # A link left absolute ("/cases/...") would leave the mirror: from disk it points
            # to the file system's root, on the server to a path the copy does not hold.
            assert not url.startswith("file:") or url.startswith(base), f"{relative}: {url}"
            if url.startswith(base):
                target = url.split("#", 1)[0]
                assert exists(target), f"{relative} links to {url}, which is not there"
                checked += 1
        for src, loaded in page.evaluate(IMAGES):
            assert loaded, f"{relative}: image {src} did not load"
    assert failed == []
    return checked


def test_every_link_works_from_disk(exported, new_page):
    base = exported.as_uri()
    checked = check_pages(
        new_page(),
        base,
        exported,
        lambda url: (exported / url[len(base) + 1 :]).is_file(),
    )
    assert checked > 100


def test_every_link_works_from_a_plain_static_server(exported, static_server, new_page):
    def exists(url: str) -> bool:
        with urllib.request.urlopen(url) as response:
            return response.status == 200

    assert check_pages(new_page(), static_server, exported, exists) > 100
    page = new_page()
    page.goto(f"{static_server}/")  # the root redirects to the case list
    page.wait_for_url(f"{static_server}/cases/index.html")
