"""Chinese word codenames in Debian's chromium with JavaScript off (issue 19, item 5): a source
on the Simplified Chinese page gets seven words by default, an English-page source who picks
Chinese words gets them too; each writes them down, closes the session and signs back in typing
the words without spaces (the English-page one in Traditional, with full-width spaces). The
receipt fits 390 px and 1280 px and axe finds nothing on it or the return page.

Screenshots go to JIANDU_SCREENSHOTS when it is set (to look at them), else to the test's
temporary folder."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from jiandu.core import wordlists
from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-Hans": ""}
TEXT = {
    "en": {
        "next": "Next",
        "review": "Review and send",
        "message": "Your message",
        "style": "Chinese words (Simplified)",
        "send": "Send securely",
        "noted": "I have written my codename down",
        "continue": "Continue",
        "codename": "Your codename",
        "conversation": "Your conversation",
    },
    "zh-Hans": {
        "next": "下一步",
        "review": "核对并发送",
        "message": "您的留言",
        "style": "中文词语（简体）",
        "send": "安全发送",
        "noted": "我已抄下我的代号",
        "continue": "继续",
        "codename": "您的代号",
        "conversation": "您的对话",
    },
}


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_a_source_gets_chinese_words_and_signs_back_in_typing_them_without_spaces(
    live_server, new_page, axe_check, tmp_path, language
):
    make_reader()
    text = TEXT[language]
    base = f"{live_server.url}{PREFIX[language]}"
    shots = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    page = new_page(javascript=False, width=390, height=844)
    page.goto(f"{base}/submit/")
    for _ in range(10):  # the questionnaire's pages, if any, left empty
        if page.get_by_label(text["message"]).count():
            break
        review = page.get_by_role("button", name=text["review"])
        (review if review.count() else page.get_by_role("button", name=text["next"])).click()
    page.get_by_label(text["message"]).fill("仓库的账本在二楼。")
    style = page.get_by_label(text["style"])
    if language == "zh-Hans":
        expect(style).to_be_checked()  # the page's language decides the default
    else:
        style.check()
    page.get_by_role("button", name=text["send"]).click()
    expect(page.get_by_role("heading", name=text["codename"])).to_be_visible()
    shown = page.locator(".codename").inner_text().strip()
    words = shown.split()
    simplified = wordlists.load("chinese_words_simplified")
    assert len(words) == 7 and all(word in simplified for word in words), shown

    too_wide = {}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=str(shots / f"codename-{language}-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            too_wide[width] = scroll
        box = page.locator(".codename").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert too_wide == {}
    assert axe_check(page.url, cookies=page.context.cookies()) == []
    page.get_by_label(text["noted"]).check()
    page.get_by_role("button", name=text["continue"]).click()
    expect(page.get_by_role("heading", name=text["conversation"])).to_be_visible()
    page.context.clear_cookies()

    if language == "zh-Hans":
        typed = "".join(words)
    else:
        traditional = wordlists.load("chinese_words_traditional")
        typed = "\u3000".join(traditional[simplified.index(word)] for word in words)
    returning = new_page(javascript=False, width=390, height=844)
    returning.goto(f"{base}/return/")
    assert axe_check(returning.url) == []
    returning.get_by_label(text["codename"]).fill(typed)
    returning.get_by_role("button", name=text["continue"]).click()
    expect(returning.get_by_role("heading", name=text["conversation"])).to_be_visible()
    expect(returning.get_by_text("仓库的账本在二楼。")).to_be_visible()
