"""Team features in Debian's chromium (issue 18, item 8), in English and Simplified Chinese at
390 px and 1280 px: on the one source page a journalist tags, assigns, notes and replies (each
form comes back to the page), filters the inbox by the tag; an admin moves a member's work.
axe finds nothing on the source page or the reassignment page."""

import secrets

import pytest
from playwright.sync_api import expect

from jiandu.newsroom.models import Note, SourceState, SourceTag
from jiandu.vault import actions as vault
from jiandu.vault import crypto, designations
from jiandu.vault.models import Item, SourceGrant
from tests.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"prefix": "/en", "tag": "Add a tag", "save": "Save", "note": "Internal note",
           "save_note": "Save the note", "reply": "Reply to this source", "send": "Send reply",
           "assigned": "Assigned to", "filter": "Filter", "tagfield": "Tag",
           "leaving": "Member who leaves", "successor": "Member who takes over",
           "move": "Move their work", "username": "Username", "password": "Password",
           "continue": "Continue", "code": "Six-digit code", "signin": "Sign in"},
    "zh-hans": {"prefix": "", "tag": "添加标签", "save": "保存", "note": "内部备注",
                "save_note": "保存备注", "reply": None, "send": None, "assigned": None,
                "filter": None, "tagfield": "标签", "leaving": "离开的成员",
                "successor": "接手的成员", "move": "移交其工作", "username": None,
                "password": None, "continue": None, "code": None, "signin": None},
}  # fmt: skip


def _sign_in(page, base, member):
    page.goto(f"{base}/en/newsroom/")
    page.locator("input[name=username]").fill(member.user.username)
    page.locator("input[name=password]").fill(member.password)
    page.locator("form button[type=submit]").first.click()
    page.locator("input[name=code]").fill(member.code(offset_steps=1))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_one_source_page_tag_assign_note_reply_and_reassign(
    live_server, new_page, axe_check, tmp_path, language, width
):
    text = TEXT[language]
    admin = make_member("chen", "admin")
    vault.do_create_member_key(admin.user, admin.password)
    leaving = make_member("li", "journalist")
    vault.do_create_member_key(leaving.user, leaving.password)
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, "土地转让两次签字")])
    successor = make_member("wang", "journalist")
    vault.do_create_member_key(successor.user, successor.password)
    base = live_server.url

    page = new_page(javascript=True, width=width, height=900)
    _sign_in(page, base, admin)
    page.goto(f"{base}{text['prefix']}/newsroom/sources/{source.pk}/")
    page.locator("select[name=assignee]").select_option(label="li")
    page.get_by_label(text["tag"]).fill("土地 land")
    page.locator("form.triage button[type=submit]").click()
    expect(page.locator(".tag-list")).to_contain_text("土地 land")
    page.get_by_role("textbox", name=text["note"], exact=True).fill("核对合同副本")
    page.get_by_role("button", name=text["save_note"]).click()
    expect(page.locator("#notes .note")).to_contain_text("核对合同副本")
    page.locator("textarea[name=text]").fill("谢谢，请发合同。")
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    expect(page.locator("article.item-reply")).to_contain_text("chen")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"source-{language}-{width}.png"), full_page=True)
    assert axe_check(page.url, cookies=page.context.cookies()) == []
    assert SourceTag.objects.count() == 1 and Note.objects.count() == 1

    # The inbox, filtered by the tag (any case), lists it.
    page.goto(f"{base}{text['prefix']}/newsroom/sources/?tag=%E5%9C%9F%E5%9C%B0%20LAND")
    name = designations.in_language(source.designation, language)
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

    # The admin moves li's work to wang.
    page.goto(f"{base}{text['prefix']}/newsroom/sources/reassign/?member={leaving.user.pk}")
    assert axe_check(page.url, cookies=page.context.cookies()) == []
    page.get_by_label(text["successor"]).select_option(label="wang")
    page.get_by_role("button", name=text["move"]).click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"reassign-{language}-{width}.png"), full_page=True)
    assert SourceState.objects.get(source=source).assignee == successor.user
    assert not SourceGrant.objects.filter(member_key__user=leaving.user).exists()
    assert SourceGrant.objects.filter(member_key__user=successor.user).count() == 1
