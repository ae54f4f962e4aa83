"""Phone layout (issue 18, item 11): the inbox, a source page, the workbench's item page and the
redaction studio fit a 390 px wide screen without sideways scrolling, in English and
Simplified Chinese; at 1280 px they fit too; axe finds nothing on them; and the navigation shows
what waits (item 9) on a phone as well.

Screenshots go to JIANDU_SCREENSHOTS when it is set (to look at them), else to the test's
temporary folder."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import handoff
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import make_worker
from tests.forensics.test_metadata import exif_photo
from tests.tipline.helpers import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-Hans": ""}
LABELS = {
    "en": ("Username", "Password", "Continue", "Six-digit code", "Sign in"),
    "zh-Hans": ("用户名", "密码", "继续", "六位数验证码", "登录"),
}


SIDEWAYS = """[...document.querySelectorAll('body *')].filter(e => {
  const x = getComputedStyle(e).overflowX;
  return (x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1;
}).map(e => e.tagName + '.' + e.className)"""

FILTERS = """(() => {
  const picked = '.inbox-filters select, .inbox-filters input:not([type=checkbox])';
  const boxes = [...document.querySelectorAll(picked)]
    .map(e => e.getBoundingClientRect());
  return [...new Set(boxes.map(b => Math.round(b.left) + ':' + Math.round(b.right)))];
})()"""


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_workbench_studio_and_inbox_fit_a_phone(
    live_server, new_page, axe_check, tmp_path, language
):
    member = make_member("zhu", "editor")
    sign_in(Client(), member)  # the tip line opens once a reader has a key
    photo = exif_photo()
    files = [SimpleUploadedFile("街头-street-2024-06-04-protest-photo.jpg", photo, "image/jpeg")]
    message = (
        "Taken at the protest. " + "长长的一段话没有空格" * 20 + " https://example.org/" + "x" * 80
    )
    assert submit(Client(), message=message, files=files).status_code == 302
    source = Source.objects.get()
    item = source.items.get(kind=Item.Kind.FILE)
    handoff.start_worker_key()

    page = new_page(javascript=True, width=390, height=844)
    base = f"{live_server.url}{PREFIX[language]}/newsroom"
    user, password, go_on, code, enter = LABELS[language]
    page.goto(f"{base}/")
    page.get_by_label(user).fill("zhu")
    page.get_by_label(password).fill(member.password)
    page.get_by_role("button", name=go_on).click()
    page.get_by_label(code).fill(member.code(offset_steps=1))
    page.get_by_role("button", name=enter).click()
    page.goto(f"{base}/sources/key/")
    make_worker(f"phone-{language}").run()  # analysis and preview, as a member signs in

    shots = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "inbox": f"{base}/sources/",
        "source": f"{base}/sources/{source.pk}/",
        "workbench": f"{base}/forensics/items/{item.pk}/",
        "studio": f"{base}/redaction/items/{item.pk}/",
        "home": f"{base}/home/",
    }
    too_wide = {}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("load")
            page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[f"{name}@{width}"] = scroll
            # Nor a part of the page that scrolls sideways on its own (a table's wrapper).
            inner = page.evaluate(SIDEWAYS)
            if inner:
                too_wide[f"{name}@{width} inside"] = inner
    assert too_wide == {}
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(pages["inbox"])
    assert len(page.evaluate(FILTERS)) == 1  # every filter the same width, one under another

    cookies = page.context.cookies()
    for name in ("inbox", "source", "studio"):
        assert axe_check(pages[name], cookies=cookies) == [], name
