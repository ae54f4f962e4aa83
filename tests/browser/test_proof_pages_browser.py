"""The proof pages in a browser (issue 19, items 9 and 10): the verify page's answer for a
published file and for an unknown one, and the checkpoint's page, in English and Simplified
Chinese, fit 390 px and 1280 px without sideways scrolling and axe finds nothing on them at
either width; the case's history shows the revision note in the page's language.

Screenshots go to JIANDU_SCREENSHOTS when it is set (to look at them), else to the test's
temporary folder."""

import hashlib
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from jiandu.cases import actions
from jiandu.redaction.actions import do_publish_evidence
from tests.browser.test_phone_layout import SIDEWAYS
from tests.factories import make_member
from tests.ledger.test_tlog_publication import png
from tests.redaction.helpers import rendered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-Hans": ""}
WORDS = {
    "en": {
        "match": "This file is exactly one the newsroom published",
        "current": "It is still current",
        "absent": "Not in the newsroom's public log",
        "about": "Line 3, the root hash:",
        "note": "Added the sentence.",
    },
    "zh-Hans": {
        "match": "此文件正是编辑部发布的文件",
        "current": "它仍是现行版本",
        "absent": "不在编辑部的公开日志中",
        "about": "第 3 行，根哈希：",
        "note": "补充判决。",
    },
}
AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_proof_pages_speak_and_fit_a_phone(live_server, new_page, tmp_path, language):
    writer, editor = make_member("w", "journalist").user, make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case", slug="the-case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    actions.do_submit_for_review(writer, case, {"zh": "补充判决。", "en": "Added the sentence."})
    actions.do_publish_case(make_member("e2", "editor").user, case)

    words = WORDS[language]
    base = f"{live_server.url}{PREFIX[language]}"
    pages = {
        "verify-match": (f"{base}/log/verify/?sha256={evidence.sha256}", words["match"]),
        "verify-absent": (
            f"{base}/log/verify/?sha256={hashlib.sha256(b'x').hexdigest()}",
            words["absent"],
        ),
        "checkpoint": (f"{base}/log/checkpoint/about/", words["about"]),
        "history": (f"{base}/cases/the-case/#history", words["note"]),
    }
    shots = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(javascript=True, width=390, height=844, bypass_csp=True)
    axe = Axe()
    too_wide, violations = {}, {}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        for name, (url, said) in pages.items():
            page.goto(url)
            page.wait_for_load_state("load")
            assert said in page.inner_text("main"), (name, width)
            page.screenshot(
                path=str(shots / f"proof-{name}-{language}-{width}.png"), full_page=True
            )
            if name == "history":
                continue  # the case page's other parts belong to other items; only its words
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[f"{name}@{width}"] = scroll
            if inner := page.evaluate(SIDEWAYS):
                too_wide[f"{name}@{width} inside"] = inner
            found = axe.run(page, options=AXE_TAGS).response["violations"]
            if found:
                violations[f"{name}@{width}"] = [(v["id"], v["nodes"][0]["html"]) for v in found]
    assert too_wide == {}
    assert violations == {}
    page.goto(pages["verify-match"][0])
    assert words["current"] in page.inner_text("#answer")
    # A calm confirmation: the answer's heading is in the "ok" colour, not the alarm red.
    colour = page.evaluate("getComputedStyle(document.querySelector('#answer-h')).color")
    assert colour == "rgb(31, 107, 58)"  # --ok in site.css
