"""The tracker end to end in Debian's chromium, JavaScript off: an editor drafts a case, a
second editor publishes it, a reader sees it and comments, the comment appears only after a
moderator approves it; the Atom feed and the JSON API list the case; axe finds nothing."""

import pytest
from playwright.sync_api import expect

from jiandu.cases.demo import load_demo_case
from tests.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, member):
    page.goto(f"{base}/en/newsroom/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(member.code())
    page.get_by_role("button", name="Sign in").click()


def test_draft_publish_read_comment_moderate(live_server, new_page, axe_check):
    base = live_server.url
    load_demo_case()
    writer = make_member("writer", "journalist")
    editor = make_member("editor", "editor")
    moderator = make_member("moderator", "moderator")

    # A journalist drafts the case and asks for review.
    page = new_page(javascript=False)
    sign_in(page, base, writer)
    page.goto(f"{base}/en/newsroom/cases/")
    page.get_by_role("link", name="New case").click()
    page.get_by_label("title (English)").fill("Zhaotong land seizure")
    page.get_by_label("summary (English)").fill("Farmers say the county took their land.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_label("Note for the public history (English)").fill("First publication")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Another editor with the right to publish")).to_be_visible()
    workspace = page.url

    # Not public yet.
    reader = new_page(javascript=False, width=390)
    assert reader.goto(f"{base}/en/cases/zhaotong-land-seizure/").status == 404

    # A second editor publishes it.
    page2 = new_page(javascript=False)
    sign_in(page2, base, editor)
    page2.goto(workspace)
    page2.get_by_role("button", name="Publish this version").click()
    expect(page2.get_by_text("Published.")).to_be_visible()

    # A reader sees it and writes a comment, which waits for moderation.
    reader.goto(f"{base}/en/cases/")
    reader.get_by_role("link", name="Zhaotong land seizure").click()
    expect(reader.get_by_role("heading", name="Zhaotong land seizure")).to_be_visible()
    assert reader.context.cookies() == []  # reading sets no cookie
    reader.get_by_role("link", name="Write a comment").click()
    reader.get_by_label("Comment", exact=True).fill("I live there; it is true.")
    reader.get_by_role("button", name="Send for moderation").click()
    expect(reader.get_by_text("waiting for a moderator")).to_be_visible()
    reader.goto(f"{base}/en/cases/zhaotong-land-seizure/")
    assert reader.get_by_text("I live there; it is true.").count() == 0

    # A moderator approves it; now the reader sees it.
    page3 = new_page(javascript=False)
    sign_in(page3, base, moderator)
    page3.goto(f"{base}/en/newsroom/comments/")
    page3.get_by_label("Approve as written").check()
    page3.get_by_role("button", name="Save decision").click()
    reader.reload()
    expect(reader.get_by_text("I live there; it is true.")).to_be_visible()

    # The feed and the API list it.
    feed = reader.request.get(f"{base}/en/cases/feed/").text()
    assert "Zhaotong land seizure" in feed
    api = reader.request.get(f"{base}/cases/api/cases.json").json()
    assert "zhaotong-land-seizure" in [c["slug"] for c in api["cases"]]

    # The public pages pass axe, in both scripts of Chinese and in English.
    for path in (
        "/cases/",
        "/en/cases/",
        "/cases/chongqing-lei-zhengfu/",
        "/en/cases/chongqing-lei-zhengfu/",
        "/zh-hant/cases/people/lei-zhengfu/",
        "/en/cases/search/?q=%E9%87%8D%E6%85%B6",
        "/en/cases/zhaotong-land-seizure/comment/",
    ):
        assert axe_check(base + path) == [], path
    # And the newsroom desk.
    cookies = page2.context.cookies()
    assert axe_check(workspace, cookies=cookies) == []
