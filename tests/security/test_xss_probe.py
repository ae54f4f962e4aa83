"""A cross-site-scripting probe against every form the site shows, as every kind of visitor.

Each principal (anonymous, a signed-in source, a member of each role) crawls the pages of the
access matrix and the links on them; every form found is filled with a payload in each text
field, file name and query parameter, and submitted. Every HTML or SVG answer, then and in a
second crawl that shows what was stored, must hold the payload only escaped: no raw tag, no
broken-out attribute, no `javascript:` link. The probe also checks that the payload did get
stored and shown somewhere (escaped), so it cannot pass by never reaching the templates.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.security.test_access_matrix import EXPECTED
from tests.security.world import ANONYMOUS, SOURCE, World, build_world

pytestmark = pytest.mark.django_db

TAG = "xss-probe"
PAYLOAD = f"\"'><{TAG} id=p>x</{TAG}>"
URL_PAYLOAD = "javascript:alert(1)"
# Raw markup only an injection could put in a page.
INJECTED = [
    re.compile(rf"<{TAG}\b".encode()),
    re.compile(rb"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
]
ESCAPED = f"&lt;{TAG}".encode()

# Forms that end the session or take a member's account away would stop the crawl; each is
# covered by its own tests (tests/accounts, tests/tipline).
SKIP_ACTIONS = re.compile(
    r"sign-out|/logout|/members/\d+/|recovery-codes/new|/passkeys/|/verify/passkey|"
    r"/conversation/delete/|/bulk/"
)
SKIP_LINKS = re.compile(r"^/log/|/export|/items/\d+/$|\.csv$|\.json$|qr\.svg$|/feed/$|sitemap")
ORDER = [SOURCE, ANONYMOUS, "journalist", "editor", "moderator", "admin"]
MAX_PAGES = 120


class Forms(HTMLParser):
    """Forms (action, method, fields) and same-site links of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(
                {
                    "action": a.get("action", ""),
                    "method": a.get("method", "get").lower(),
                    "fields": [],
                }
            )
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and a.get("name"):
            self.forms[-1]["fields"].append(
                (tag, a.get("type", "text").lower(), a["name"], a.get("value", ""))
            )
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "value": None}
            self.forms[-1]["fields"].append(("select", "select", a["name"], self._select))
        elif tag == "option" and self._select is not None and self._select["value"] is None:
            self._select["value"] = a.get("value") or None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _fill(form: dict) -> dict:
    data: dict[str, object] = {}
    for tag, kind, name, value in form["fields"]:
        if tag == "select":
            data[name] = value["value"] or ""
        elif kind in ("hidden", "submit"):
            if value:
                data.setdefault(name, value)
        elif kind in ("checkbox", "radio"):
            data.setdefault(name, value or "on")
        elif kind == "file":
            data[name] = SimpleUploadedFile(f"{PAYLOAD}.txt", PAYLOAD.encode(), "text/plain")
        elif kind == "url" or name.endswith("url"):
            data[name] = URL_PAYLOAD
        elif kind == "date":
            data[name] = "2012-11-20"
        elif kind == "number":
            data[name] = "1"
        elif name == "slug":
            data[name] = TAG
        elif name in ("password", "old_password", "new_password1", "new_password2", "code"):
            data[name] = value
        else:
            data[name] = PAYLOAD
    return data


def _problems(url: str, response) -> list[str]:
    kind = response.get("Content-Type", "")
    if response.streaming or not ("html" in kind or "svg" in kind):
        return []
    body = response.content
    return [f"{url}: {pattern.pattern!r}" for pattern in INJECTED if pattern.search(body)]


def _seeds(world: World) -> list[str]:
    urls = []
    for name, entries in EXPECTED.items():
        for entry in entries:
            if entry.method == "GET" and entry.order == 0 and not name.startswith("tlog:"):
                with translation.override("en"):
                    urls.append(reverse(name, kwargs=entry.kwargs(world.ids)))
    return urls


def crawl(world: World, principal: str, *, submit: bool) -> tuple[list[str], int]:
    """Visit pages (and submit their forms); the problems found and how many pages showed
    the payload escaped."""
    client = world.client(principal)
    seen: set[str] = set()
    kinds: dict[str, int] = {}  # pages of one kind (ids aside) visited so far
    forms_done: set[tuple] = set()
    problems: list[str] = []
    shown = 0
    queue = deque(_seeds(world))
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        kind = re.sub(r"\d+", "N", path)
        if path in seen or SKIP_LINKS.search(path) or kinds.get(kind, 0) >= (1 if submit else 3):
            continue
        seen.add(path)
        kinds[kind] = kinds.get(kind, 0) + 1
        if submit:  # reflected: the parameters the site's views read
            response = client.get(url, {"q": PAYLOAD, "next": PAYLOAD, "page": PAYLOAD})
            problems += _problems(url + "?q=…", response)
            if response.status_code >= 500:
                problems.append(f"{url}?q=…: {response.status_code}")
        response = client.get(url)
        problems += _problems(url, response)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        shown += ESCAPED in response.content
        page = Forms()
        page.feed(response.content.decode())
        queue.extend(link for link in page.links if link.startswith("/en/"))
        if not submit:
            continue
        for form in page.forms:
            action = form["action"] or url
            key = (re.sub(r"\d+", "N", urlsplit(action).path), tuple(f[2] for f in form["fields"]))
            if key in forms_done or SKIP_ACTIONS.search(action) or not action.startswith("/"):
                continue
            forms_done.add(key)
            data = _fill(form)
            if form["method"] == "post":
                answer = client.post(action, data)
            else:
                answer = client.get(action, {k: v for k, v in data.items() if isinstance(v, str)})
            problems += _problems(f"{form['method'].upper()} {action}", answer)
            if answer.status_code >= 500:  # a hostile value must never break a view
                problems.append(f"{form['method'].upper()} {action}: {answer.status_code}")
            if answer.status_code == 302 and answer["Location"].startswith("/en/"):
                queue.appendleft(answer["Location"])
    return problems, shown


def test_no_form_lets_markup_through():
    world = build_world()
    problems: list[str] = []
    for principal in ORDER:
        found, _shown = crawl(world, principal, submit=True)
        problems += [f"{principal}: {p}" for p in found]
    shown_total = 0
    for principal in ORDER:
        found, shown = crawl(world, principal, submit=False)
        problems += [f"{principal} (stored): {p}" for p in found]
        shown_total += shown
    assert not problems, "\n".join(sorted(set(problems)))
    # Not vacuous: the payload was stored and shown, escaped, on several pages.
    assert shown_total >= 5, shown_total


def test_the_probe_sees_an_injection():
    """The detector itself: raw markup or a javascript: link is caught, escaped text is not."""

    class Fake:
        streaming = False

        def __init__(self, body: bytes) -> None:
            self.content = body

        def get(self, key: str, default: str = "") -> str:
            return "text/html; charset=utf-8"

    assert _problems("/x", Fake(f"<p>{PAYLOAD}</p>".encode()))
    assert _problems("/x", Fake(b'<a href="javascript:alert(1)">x</a>'))
    escaped = f"<p>&quot;&#x27;&gt;&lt;{TAG} id=p&gt;</p><p>{urlencode({'a': PAYLOAD})}</p>"
    assert not _problems("/x", Fake(escaped.encode()))
