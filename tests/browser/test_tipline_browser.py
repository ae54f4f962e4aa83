"""The issue's scenario in Debian's chromium with JavaScript off: a source submits a message and
a file and notes the codename; a journalist signs in with TOTP, reads both, replies; the source
returns with the codename and reads the reply. axe finds nothing on any page on the way."""

import pytest
from playwright.sync_api import expect

from jiandu.vault.models import Source
from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_source_and_journalist_in_a_browser_without_javascript(
    live_server, new_page, axe_check, tmp_path
):
    member, _prepared = make_reader("zhu")  # signed in once: the tip line is open
    evidence = tmp_path / "interrogation-notes.txt"
    evidence.write_text("Notes of the interrogation, page 1.\n")

    source = new_page(javascript=False, width=390, height=844)
    source.goto(f"{live_server.url}/en/")
    assert axe_check(f"{live_server.url}/en/") == []
    source.get_by_role("link", name="Send evidence").first.click()
    # The questionnaire, one short page per group, then the review with the form.
    expect(source.get_by_role("heading", name="A few questions")).to_be_visible()
    assert "Page 1 of 2" in source.content()
    assert axe_check(source.url, cookies=source.context.cookies()) == []
    source.get_by_label("Where did it happen?").fill("Beibei, Chongqing")
    source.get_by_role("button", name="Next").click()
    assert "Page 2 of 2" in source.content()
    source.get_by_role("button", name="Back").click()
    assert source.get_by_label("Where did it happen?").input_value() == "Beibei, Chongqing"
    source.get_by_role("button", name="Next").click()
    source.get_by_label("How do you know this?").fill("I was there.")
    source.get_by_role("button", name="Review and send").click()
    review = source.locator("section.review")
    assert "Beibei, Chongqing" in review.inner_text() and "I was there." in review.inner_text()
    assert axe_check(source.url, cookies=source.context.cookies()) == []
    source.get_by_label("Your message").fill("Lei Zhengfu is on the tape. 雷政富。")
    source.get_by_label("Choose files").set_input_files(str(evidence))
    source.get_by_label("English words").check()
    source.get_by_role("button", name="Send securely").click()
    expect(source.get_by_role("heading", name="We received your submission")).to_be_visible()
    expect(source.get_by_text("interrogation-notes.txt")).to_be_visible()
    codename = source.locator(".codename").inner_text().strip()
    assert len(codename.split()) == 8
    cookies = source.context.cookies()
    assert [c["name"] for c in cookies] == ["jiandu_session"]
    assert cookies[0]["expires"] == -1  # a browser-session cookie, even with the idle limit
    assert axe_check(source.url, cookies=cookies) == []
    source.get_by_label("I have written my codename down").check()
    source.get_by_role("button", name="Continue").click()
    expect(source.get_by_role("heading", name="Your conversation")).to_be_visible()
    source.context.clear_cookies()

    journalist = new_page(javascript=False)
    journalist.goto(f"{live_server.url}/en/newsroom/")
    journalist.get_by_label("Username").fill("zhu")
    journalist.get_by_label("Password").fill(member.password)
    journalist.get_by_role("button", name="Continue").click()
    journalist.get_by_label("Six-digit code").fill(member.code(offset_steps=1))
    journalist.get_by_role("button", name="Sign in").click()
    journalist.get_by_role("link", name="Sources").click()
    designation = Source.objects.get().designation
    assert axe_check(journalist.url, cookies=journalist.context.cookies()) == []
    journalist.get_by_role("link", name=designation).click()
    expect(journalist.get_by_text("Lei Zhengfu is on the tape. 雷政富。")).to_be_visible()
    expect(journalist.get_by_text("Beibei, Chongqing")).to_be_visible()
    expect(journalist.get_by_text("How do you know this?")).to_be_visible()
    expect(journalist.get_by_text("interrogation-notes.txt", exact=True)).to_be_visible()
    with journalist.expect_download() as download:
        journalist.get_by_role("link", name="Download decrypted").click()
    saved = tmp_path / "downloaded.txt"
    download.value.save_as(saved)
    assert saved.read_bytes() == evidence.read_bytes()
    assert download.value.suggested_filename == "interrogation-notes.txt"
    assert axe_check(journalist.url, cookies=journalist.context.cookies()) == []
    journalist.get_by_label("Reply to this source").fill("Thank you. Can you tell us more?")
    journalist.get_by_role("button", name="Send reply").click()
    expect(journalist.get_by_text("Reply sent.")).to_be_visible()

    returning = new_page(javascript=False, width=390, height=844)
    returning.goto(f"{live_server.url}/en/return/")
    assert axe_check(returning.url) == []
    returning.get_by_label("Your codename").fill(codename.upper())
    returning.get_by_role("button", name="Continue").click()
    expect(returning.get_by_text("Thank you. Can you tell us more?")).to_be_visible()
    assert axe_check(returning.url, cookies=returning.context.cookies()) == []
