"""Triage benchmark: how many pages a newsroom loads to handle new sources and to publish.

    .venv/bin/python bench/triage.py [--sources 10] [--headed]

It starts Jiandu on loopback (a threaded WSGI server in this process) with a fresh data dir
under /tmp, makes three members with known passwords and TOTP secrets (a journalist and two
editors, the way tests/factories.py does, through the accounts and vault actions), N new
sources with a message each (vault actions, sealed to the members' keys) and one draft case.
Then Debian's chromium, driven by Playwright, does what a newsroom does:

- the journalist signs in and, for each new source: opens it from the inbox, reads it, saves
  status, assignee and a tag in the one triage form, writes an internal note, sends a reply;
- one editor submits the case for review; a second editor opens it and publishes it (the
  two-person flow as the cases room has it).

Page loads are the main frame's `load` events (a POST answered by a redirect is one load);
clicks are the clicks the script makes. Sign-in pages are counted apart. Goals: at most 6
page loads per source, at most 8 for the two-person publication. The last line printed is one
JSON object: sources, page_loads, clicks, wall_s (and the parts).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench password 1234567"  # noqa: S105  (throw-away bench accounts)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def setup_django(data_dir: Path) -> None:
    os.environ["JIANDU_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
    os.environ["JIANDU_SECURE_COOKIES"] = "false"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    from jiandu.vault.crypto import KdfParams

    settings.JIANDU_VAULT_KDF = KdfParams(opslimit=1, memlimit=8192)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def make_member(username: str, role: str) -> tuple[object, str]:
    """A member with a password, a confirmed TOTP secret and a vault key (as after a first
    sign-in), so sources made afterwards are sealed to them."""
    from jiandu.accounts import actions
    from jiandu.vault import actions as vault

    user = actions.do_create_member(username, role, password=PASSWORD).user
    secret = actions.do_start_totp_enrolment(user)
    user.totp_confirmed = True
    user.save(update_fields=["totp_confirmed"])
    vault.do_create_member_key(user, PASSWORD)
    return user, secret


def make_data(count: int) -> tuple[dict[str, tuple[object, str]], object, list]:
    from jiandu.cases import actions as cases
    from jiandu.vault import actions as vault
    from jiandu.vault import crypto
    from jiandu.vault.models import Item

    members = {
        "zhu": make_member("zhu", "journalist"),
        "li": make_member("li", "editor"),
        "chen": make_member("chen", "editor"),
    }
    sources = []
    for n in range(count):
        source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
        text = f"Tip {n + 1}: the district's land office signed the transfer twice."
        vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, text)])
        sources.append(source)
    case = cases.do_create_case(
        members["li"][0], title_en="Land transfers in the district", title_zh="区里的土地转让"
    )
    return members, case, sources


def serve() -> str:
    """Jiandu on a free loopback port, in threads of this process."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class Counter:
    """Page loads of the main frame and clicks, per part of the run."""

    def __init__(self) -> None:
        self.loads = 0
        self.clicks = 0

    def watch(self, page) -> None:
        page.on("load", lambda _page: self._loaded())

    def _loaded(self) -> None:
        self.loads += 1

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def snapshot(self) -> tuple[int, int]:
        return self.loads, self.clicks


def sign_in(page, counter: Counter, base: str, username: str, secret: str) -> None:
    import pyotp

    page.goto(f"{base}/en/newsroom/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    counter.click(page.get_by_role("button", name="Continue"))
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    counter.click(page.get_by_role("button", name="Sign in"))
    page.wait_for_load_state()


def triage_sources(page, counter: Counter, base: str, sources: list) -> None:
    """Open each new source from the inbox; read; status, assignee and tag in one form; a
    note; a reply. Each form posts and comes back to the source page."""
    page.goto(f"{base}/en/newsroom/sources/?status=new")
    for n, source in enumerate(sources):
        counter.click(page.get_by_role("link", name=source.designation, exact=True))
        text = page.locator("article.item-message .item-text").first.inner_text()
        assert f"Tip {n + 1}:" in text, text
        page.get_by_label("Status").select_option("in_review")
        page.get_by_label("Assigned to").select_option(label="zhu")
        page.get_by_label("Add a tag").fill("land" if n % 2 else "land, follow up")
        counter.click(page.get_by_role("button", name="Save", exact=True))
        page.get_by_text("Saved.").wait_for()
        page.get_by_label("Internal note", exact=True).fill(
            f"Source {n + 1}: ask for the contract copy."
        )
        counter.click(page.get_by_role("button", name="Save the note"))
        page.get_by_text("Note saved.").wait_for()
        page.get_by_label("Reply to this source").fill("Thank you. Can you send the contract?")
        counter.click(page.get_by_role("button", name="Send reply"))
        page.get_by_text("Reply sent.").wait_for()
        counter.click(page.get_by_role("link", name="All sources"))
        # Handled sources leave the "new" filter: the next one is at the top.
        page.get_by_role("heading", name="Sources", exact=True).wait_for()


def publish(page_a, page_b, counter: Counter, base: str, case) -> None:
    """li submits the draft for review; chen opens it and publishes it."""
    page_a.goto(f"{base}/en/newsroom/cases/")
    counter.click(page_a.get_by_role("link", name=case.title_en).first)
    page_a.locator("section.workflow textarea").fill("First publication: the two transfers.")
    counter.click(page_a.get_by_role("button", name="Submit for review"))
    page_a.get_by_text("Submitted for review").first.wait_for()
    page_b.goto(f"{base}/en/newsroom/cases/")
    counter.click(page_b.get_by_role("link", name=case.title_en).first)
    counter.click(page_b.get_by_role("button", name="Publish this version"))
    page_b.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--headed", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="jiandu-triage-"))
    setup_django(data_dir)
    members, case, sources = make_data(args.sources)
    base = serve()

    from playwright.sync_api import sync_playwright

    from jiandu.cases.models import Case
    from jiandu.newsroom.models import Note, SourceState, SourceTag
    from jiandu.vault.models import Item

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=not args.headed
        )
        pages = {}
        signin = Counter()
        for name, (user, secret) in members.items():
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(20_000)
            signin.watch(page)
            sign_in(page, signin, base, user.username, secret)
            pages[name] = page
        signin_loads = signin.loads

        triage = Counter()
        triage.watch(pages["zhu"])
        begin = time.perf_counter()
        triage_sources(pages["zhu"], triage, base, sources)
        triage_s = time.perf_counter() - begin

        publication = Counter()
        publication.watch(pages["li"])
        publication.watch(pages["chen"])
        begin = time.perf_counter()
        publish(pages["li"], pages["chen"], publication, base, case)
        publish_s = time.perf_counter() - begin
        browser.close()

    # What the clicks did, checked in the database.
    assert SourceState.objects.filter(status="in_review", assignee__username="zhu").count() == len(
        sources
    )
    assert SourceTag.objects.count() == len(sources) and Note.objects.count() == len(sources)
    assert Item.objects.filter(kind=Item.Kind.REPLY).count() == len(sources)
    published = Case.objects.get(pk=case.pk).current_revision
    assert published is not None and published.publisher.username == "chen"

    per_source = triage.loads / len(sources)
    print(f"sign-in: {signin_loads} page loads for {len(members)} members (not counted below)")
    print(
        f"triage: {len(sources)} sources, {triage.loads} page loads ({per_source:.1f} per source,"
        f" goal <= 6), {triage.clicks} clicks, {triage_s:.1f} s"
    )
    print(
        f"publication (two people): {publication.loads} page loads (goal <= 8), "
        f"{publication.clicks} clicks, {publish_s:.1f} s"
    )
    print(
        json.dumps(
            {
                "sources": len(sources),
                "page_loads": triage.loads + publication.loads,
                "clicks": triage.clicks + publication.clicks,
                "wall_s": round(triage_s + publish_s, 1),
                "page_loads_per_source": round(per_source, 2),
                "publication_page_loads": publication.loads,
                "publication_clicks": publication.clicks,
            }
        )
    )


if __name__ == "__main__":
    main()
