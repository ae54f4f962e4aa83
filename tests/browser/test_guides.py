"""The user guides' journeys (docs/guides, issue 19 item 11) walked in Debian's chromium, in
English and Simplified Chinese: a source with JavaScript off at 390 x 844 (landing, the
questions, sending, the codename, the conversation, coming back), then a journalist, an editor
and an admin at 1280 x 800.

Each step of a guide has a screenshot named after the page the walk is on. The walk records the
buttons and links of that page, and the test fails when a guide names (**[Name]**) a button or
link its step's page no longer has, or shows a screenshot the walk no longer takes.

With JIANDU_GUIDE_SHOTS set (`make guides`), the screenshots are written there as
<lang>/<name>.png, cropped to the page's main area; otherwise to the test's temporary folder."""

import os
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from playwright.sync_api import expect

from jiandu.core import guides
from jiandu.vault import actions as vault
from jiandu.vault import designations
from jiandu.vault.models import Source
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-hans": ""}
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
NAMES = """[...document.querySelectorAll('a, button, input[type=submit], summary')]
  .map(e => (e.textContent || e.value || e.getAttribute('aria-label') || '').trim())
  .filter(Boolean)"""


class Walk:
    """Takes each step's screenshot and keeps the names of its page's buttons and links."""

    def __init__(self, language: str, folder: Path):
        self.language = language
        self.folder = folder / language
        self.folder.mkdir(parents=True, exist_ok=True)
        self.names: dict[str, set[str]] = {}

    def shot(self, page, name: str) -> None:
        page.wait_for_load_state()
        self.names[name] = {" ".join(n.split()) for n in page.evaluate(NAMES)}
        box = page.locator("main").bounding_box()
        width = page.viewport_size["width"]
        page.screenshot(
            path=str(self.folder / f"{name}.png"),
            full_page=True,
            clip={"x": 0, "y": box["y"], "width": width, "height": min(box["height"], 1100)},
        )


SIGN_IN = {
    "en": ("Username", "Password", "Continue", "Six-digit code", "Sign in"),
    "zh-hans": ("用户名", "密码", "继续", "六位数验证码", "登录"),
}


def _sign_in(page, base: str, member) -> None:
    user, password, go_on, code, enter = SIGN_IN["en" if base.endswith("/en") else "zh-hans"]
    page.goto(f"{base}/newsroom/")
    page.get_by_label(user).fill(member.user.username)
    page.get_by_label(password).fill(member.password)
    page.get_by_role("button", name=go_on).click()
    page.get_by_label(code).fill(member.code(offset_steps=1))
    page.get_by_role("button", name=enter).click()


def _walk_source(walk: Walk, new_page, base: str, tmp_path: Path, journalist) -> None:
    page = new_page(javascript=False, **PHONE)
    page.goto(f"{base}/")
    walk.shot(page, "source-landing")
    page.get_by_role("link", name=_("Read the guide: staying safe, sending, coming back")).click()
    expect(page.locator("article.guide h1")).to_be_visible()  # the guide, from the tip line
    page.go_back()
    page.get_by_role("link", name=_("Send evidence")).first.click()
    walk.shot(page, "source-questions")
    page.get_by_role("button", name=_("Next")).click()
    page.get_by_role("button", name=_("Review and send")).click()
    walk.shot(page, "source-send")
    note = tmp_path / "notes.txt"
    note.write_text("Notes of the meeting, page 1.\n")
    page.get_by_label(_("Your message")).fill("The tape is from 2007. 录像是2007年的。")
    page.get_by_label(_("Choose files")).set_input_files(str(note))
    page.get_by_role("button", name=_("Send securely")).click()
    codename = page.locator(".codename").inner_text().strip()
    walk.shot(page, "source-codename")
    page.get_by_label(_("I have written my codename down")).check()
    page.get_by_role("button", name=_("Continue")).click()
    expect(page.locator(".conversation > li")).to_have_count(1)
    walk.shot(page, "source-conversation")
    page.context.close()  # the careful source closes the browser
    reply = "Thank you. Who else was there? 谢谢。"
    vault.do_add_reply(Source.objects.get(), journalist.user, reply)  # the newsroom answers

    page = new_page(javascript=False, **PHONE)
    page.goto(f"{base}/return/")
    page.locator("#id_codename").fill(codename)
    walk.shot(page, "source-return")
    page.get_by_role("button", name=_("Continue")).click()
    expect(page.locator(".conversation > li")).to_have_count(2)  # the newsroom's reply too
    walk.shot(page, "source-reply")


def _walk_newsroom(walk: Walk, new_page, base: str, members: dict) -> None:
    page = new_page(javascript=False, **DESK)
    page.goto(f"{base}/newsroom/")
    walk.shot(page, "journalist-sign-in")
    _sign_in(page, base, members["journalist"])
    walk.shot(page, "journalist-home")
    page.get_by_role("link", name=pgettext("people who send tips", "Sources")).first.click()
    walk.shot(page, "journalist-inbox")
    designation = Source.objects.get().designation
    page.get_by_role("link", name=designations.in_language(designation, walk.language)).click()
    walk.shot(page, "journalist-source")
    page.context.close()

    page = new_page(javascript=False, **DESK)
    _sign_in(page, base, members["editor"])
    page.get_by_role("link", name=_("Cases"), exact=True).first.click()
    walk.shot(page, "editor-cases")
    page.get_by_role("link", name=_("New case")).click()
    walk.shot(page, "editor-new-case")
    page.context.close()

    page = new_page(javascript=False, **DESK)
    _sign_in(page, base, members["admin"])
    page.get_by_role("link", name=_("Members"), exact=True).click()
    walk.shot(page, "admin-members")
    page.get_by_role("link", name=_("Key status")).click()
    walk.shot(page, "admin-key-status")
    page.get_by_role("link", name=_("Help")).click()
    expect(page.locator("article.guide h1")).to_be_visible()  # the admin's guide
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_guides_walk_and_name_only_what_exists(live_server, new_page, tmp_path, language):
    journalist, _client = make_reader("zhu")  # the tip line is open
    members = {
        "journalist": journalist,
        "editor": make_member("lin", "editor"),
        "admin": make_member("gao", "admin"),
    }
    for member in ("editor", "admin"):
        sign_in(Client(), members[member])
    folder = Path(os.environ.get("JIANDU_GUIDE_SHOTS") or tmp_path / "shots")
    walk = Walk(language, folder)
    base = live_server.url + PREFIX[language]

    with translation.override(language):
        _walk_source(walk, new_page, base, tmp_path, journalist)
        _walk_newsroom(walk, new_page, base, members)

    problems = []
    for role in guides.ROLES:
        text = (guides.guides_dir() / language / f"{role}.md").read_text(encoding="utf-8")
        for step in guides.steps(text):
            missing = [image for image in step.images if image not in walk.names]
            if missing:
                problems.append(f"{language}/{role}.md: {step.title!r} shows {missing}")
                continue
            on_its_pages = set().union(*(walk.names[image] for image in step.images))
            for name in step.names:
                if not any(name in found for found in on_its_pages):
                    problems.append(f"{language}/{role}.md: {step.title!r} names [{name}]")
    assert problems == [], "\n".join(problems)
