"""The publishing policy and the add-member grants in chromium (issue 18, items 5 and 7), in
English and Simplified Chinese, at 390 and 1280 px, axe clean, no sideways scrolling.

One person: the admin chooses "one person after a hold" on the policy page; an editor who
wrote the case asks for publication; the case desk lists the hold with its stop link; a
moderator, who has no case desk, follows that link and stops it (confirmed), and nothing is
published. Two people: a second editor publishes a submitted case from its workspace and the
public case page says it was reviewed by a second editor. Add a member: the admin ticks the
source the newcomer will work on and it is sealed to the newcomer's key at once.

Members sign in through the real views (tests.factories.sign_in) and the browser carries their
session cookie: the sign-in pages have browser tests of their own (test_login_browser.py).

Screenshots go to JIANDU_SCREENSHOTS when it is set (to look at them), else to the test's
temporary folder."""

import os
from pathlib import Path

import pytest
from django.test import Client

from jiandu.cases import actions
from jiandu.cases.models import HoldState, Policy, PublicationHold
from jiandu.vault.models import MemberKey, Source, SourceGrant
from tests.factories import make_member, sign_in
from tests.tipline.helpers import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-Hans": ""}
REVIEWED = {"en": "reviewed by a second editor", "zh-Hans": "经第二位编辑审阅"}
TITLE = {"en": "Bridge contracts in Beibei", "zh-Hans": "北碚桥梁合同"}
STOPPED = {"en": "Nothing was published.", "zh-Hans": "没有任何内容被公开。"}
WIDE = "document.documentElement.scrollWidth"


def signed_in_page(new_page, live_server, member, width=1280):
    """A chromium page holding `member`'s session, signed in through the real views."""
    client = Client()
    sign_in(client, member)
    page = new_page(javascript=True, width=width, height=900)
    page.context.add_cookies(
        [{"name": c.key, "value": c.value, "url": live_server.url} for c in client.cookies.values()]
    )
    return page


def look(page, url, name, shots, axe_check, *, axe=True):
    """The page at 390 and 1280 px: a screenshot of each, no sideways scrolling, axe clean."""
    page.goto(url)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate(WIDE) <= width, f"{name} scrolls sideways at {width} px"
    if axe:
        assert axe_check(url, cookies=page.context.cookies()) == [], name


@pytest.fixture
def shots(tmp_path, request):
    folder = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_one_person_policy_hold_shown_on_the_desk_and_stopped_by_a_moderator(
    live_server, new_page, axe_check, shots, language
):
    admin = make_member("boss", "admin")
    editor = make_member("solo", "editor")
    moderator = make_member("mod", "moderator")
    base = f"{live_server.url}{PREFIX[language]}/newsroom"

    # The admin (the only one: the change applies at once) chooses one person, a 2-hour hold.
    page = signed_in_page(new_page, live_server, admin)
    look(page, f"{base}/cases/policy/", f"policy-{language}", shots, axe_check)
    page.locator("input[name=mode][value=one_person]").check()
    page.locator("input[name=hold_hours]").fill("2")
    page.locator("form.step-form button[type=submit]").click()
    page.wait_for_load_state("load")
    policy = actions.get_policy()
    assert (policy.mode, policy.hold_hours) == (Policy.ONE_PERSON, 2)

    # The editor who wrote the case asks for publication from its workspace.
    case = actions.do_create_case(
        editor.user, title_en=TITLE["en"], title_zh=TITLE["zh-Hans"], summary_en="Three bids."
    )
    desk = signed_in_page(new_page, live_server, editor, width=390)
    desk.goto(f"{base}/cases/{case.pk}/")
    desk.locator("textarea[name=note_en]").fill("Published alone after the hold")
    desk.locator(f"form[action$='/cases/{case.pk}/request/'] button[type=submit]").click()
    desk.wait_for_load_state("load")
    hold = PublicationHold.objects.get(case=case)
    assert hold.state == HoldState.WAITING
    # The workspace says so, with its stop link.
    assert desk.locator(".notice.hold a[href$='/stop/']").count() == 1

    # The case desk lists the hold, by the case's title in the reader's language.
    look(desk, f"{base}/cases/", f"desk-hold-{language}", shots, axe_check)
    listed = desk.locator("#holds-h + ul li")
    assert TITLE[language] in listed.inner_text()
    stop_url = listed.locator("a[href$='/stop/']").get_attribute("href")

    # A moderator (no case desk) follows the link the notification names, and stops it.
    mod = signed_in_page(new_page, live_server, moderator, width=390)
    look(mod, f"{live_server.url}{stop_url}", f"stop-{language}", shots, axe_check)
    assert TITLE[language] in mod.locator("main").inner_text()
    mod.locator("input[name=confirm]").check()
    mod.locator("form.step-form button[type=submit]").click()
    mod.wait_for_load_state("load")
    assert STOPPED[language] in mod.locator("main").inner_text()
    hold.refresh_from_db()
    assert hold.state == HoldState.STOPPED and hold.ended_by_id == moderator.user.pk
    assert case.revisions.count() == 0

    # The desk no longer lists it.
    desk.goto(f"{base}/cases/")
    assert desk.locator("#holds-h").count() == 0


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_two_people_publish_and_a_new_member_gets_the_ticked_source(
    live_server, new_page, axe_check, shots, language
):
    admin = make_member("boss", "admin")
    writer = make_member("writer", "editor")
    second = make_member("second", "editor")
    base = f"{live_server.url}{PREFIX[language]}"

    # Two people: the writer submits; a second editor publishes from the workspace.
    case = actions.do_create_case(
        writer.user, title_en=TITLE["en"], title_zh=TITLE["zh-Hans"], summary_zh="三份标书。"
    )
    actions.do_submit_for_review(writer.user, case, {"zh": "首次发布", "en": "First publication"})
    page = signed_in_page(new_page, live_server, second)
    look(page, f"{base}/newsroom/cases/{case.pk}/", f"workspace-{language}", shots, axe_check)
    page.locator(f"form[action$='/cases/{case.pk}/publish/'] button[type=submit]").click()
    page.wait_for_load_state("load")
    case.refresh_from_db()
    assert case.revisions.count() == 1
    look(page, f"{base}/cases/{case.slug}/", f"public-case-{language}", shots, axe_check)
    assert REVIEWED[language] in page.locator("main").inner_text()

    # Add a member with the source they will work on (the admin's key opens it).
    admin_page = signed_in_page(new_page, live_server, admin)
    admin_page.goto(f"{base}/newsroom/sources/key/")  # the admin's recovery key, shown once
    assert submit(Client(), message="桥梁的账本").status_code == 302
    source = Source.objects.get()
    look(admin_page, f"{base}/newsroom/members/", f"add-member-{language}", shots, axe_check)
    box = admin_page.locator(f"input[name=sources][value='{source.pk}']")
    assert (
        source.designation
        in admin_page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
    )
    admin_page.locator("input[name=username]").fill("newcomer")
    admin_page.locator("select[name=role]").select_option("journalist")
    box.check()
    admin_page.locator("input[name=username]").press("Enter")
    admin_page.wait_for_load_state("load")
    key = MemberKey.objects.get(user__username="newcomer")
    assert set(SourceGrant.objects.filter(member_key=key).values_list("source_id", flat=True)) == {
        source.pk
    }
    # The one-time password and the new key's recovery key are shown once, on the page.
    assert admin_page.locator("code").count() >= 2
    look(admin_page, admin_page.url, f"member-added-{language}", shots, axe_check, axe=False)
