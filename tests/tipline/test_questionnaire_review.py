"""Issue 17, item 2: one admin rewrote what sources are asked (a required "your full name and
phone number" question went live at once) with no review and no record. A change to the
questionnaire is now a draft that a second admin or editor approves before any source sees it;
the author and the approver are written to the account audit and the custody log; the
designer and the review page show the draft against the live version question by question;
the tip line says when its questions last changed (to the day). And the designer works
without JavaScript: the blank extra row a browser posts as it is no longer refuses the form."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from jiandu.accounts.models import AccountEvent
from jiandu.ledger.models import CustodyRecord
from jiandu.tipline import questionnaire
from jiandu.tipline.models import QuestionnaireVersion
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader
from tests.tipline.test_questionnaire import designer_post

pytestmark = pytest.mark.django_db

PHONE = {
    "key": "identity",
    "kind": "short",
    "required": True,
    "group": 1,
    "label_zh_hans": "您的全名和电话号码",
    "label_en": "Your full name and phone number",
}
DESIGNER = "/en/newsroom/questionnaire/"
REVIEW = "/en/newsroom/questionnaire/review/"


def signed_in(username: str, role: str):
    member = make_member(username, role)
    client = Client()
    sign_in(client, member)
    return member.user, client


def live_questions():
    current = questionnaire.current_version()
    return [q.key for q in questionnaire.questions(current)]


def pending_draft() -> QuestionnaireVersion:
    return QuestionnaireVersion.objects.get(state=QuestionnaireVersion.State.DRAFT)


def test_one_admins_change_is_not_live_until_a_second_approves():
    make_reader()
    author, boss = signed_in("boss", "admin")
    _editor_user, editor = signed_in("bian", "editor")
    response = designer_post(boss, [PHONE])
    assert response.status_code == 302, response.content.decode()[:2000]
    # Sources still see version 1: not a word of the new question.
    source = Client()
    page = source.get("/en/submit/questions/1/").content.decode()
    assert "Your full name and phone number" not in page and 'name="identity"' not in page
    assert questionnaire.current_version().number == 1
    assert source.post("/en/submit/questions/1/", {"who": "Lei"}).status_code == 302
    # Every admin sees the diff on the designer page; the reviewer on the review page.
    for client in (boss, editor):
        shown = client.get(REVIEW if client is editor else DESIGNER).content.decode()
        assert "Your full name and phone number" in shown  # added
        assert "Who is involved, and what is their position?" in shown  # removed
        assert "Added" in shown and "Removed" in shown
    draft = pending_draft()
    assert draft.author == author and draft.number is None
    response = editor.post(REVIEW, {"draft": draft.pk, "decision": "approve"})
    assert response.status_code == 302
    assert live_questions() == ["identity"]
    assert questionnaire.current_version().number == 2
    page = Client().get("/en/submit/questions/1/").content.decode()
    assert "Your full name and phone number" in page
    day = timezone.localtime(questionnaire.current_version().live_hour).strftime("%Y-%m-%d")
    assert f"These questions last changed on {day}" in page


def test_the_author_cannot_approve_their_own_draft():
    _author, boss = signed_in("boss", "admin")
    designer_post(boss, [PHONE])
    draft = pending_draft()
    response = boss.post(REVIEW, {"draft": draft.pk, "decision": "approve"})
    assert response.status_code == 403
    assert "cannot approve your own" in response.content.decode()
    assert live_questions() == ["who", "where", "when", "how_known", "files_show"]
    assert pending_draft() == draft
    # A journalist or moderator cannot approve either; nor see the review page.
    for role in ("journalist", "moderator"):
        _user, other = signed_in(f"x{role}", role)
        assert other.get(REVIEW).status_code == 403
        assert other.post(REVIEW, {"draft": draft.pk, "decision": "approve"}).status_code == 403
    assert pending_draft() == draft


def test_one_draft_at_a_time_and_a_draft_can_be_discarded():
    _author, boss = signed_in("boss", "admin")
    second, other_admin = signed_in("zhang", "admin")
    designer_post(boss, [PHONE])
    response = designer_post(other_admin, [{**PHONE, "label_en": "Another wording"}])
    assert response.status_code == 409
    assert "waiting for review" in response.content.decode()
    assert QuestionnaireVersion.objects.filter(state="draft").count() == 1
    draft = pending_draft()
    response = other_admin.post(REVIEW, {"draft": draft.pk, "decision": "discard"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == QuestionnaireVersion.State.DISCARDED and draft.reviewer == second
    assert live_questions() == ["who", "where", "when", "how_known", "files_show"]
    # A stale page cannot approve the discarded draft.
    response = other_admin.post(REVIEW, {"draft": draft.pk, "decision": "approve"})
    assert response.status_code == 409
    assert designer_post(other_admin, [PHONE]).status_code == 302


def test_the_author_and_the_approver_are_recorded():
    author, boss = signed_in("boss", "admin")
    approver, editor = signed_in("bian", "editor")
    designer_post(boss, [PHONE])
    draft = pending_draft()
    editor.post(REVIEW, {"draft": draft.pk, "decision": "approve"})
    draft.refresh_from_db()
    assert draft.state == QuestionnaireVersion.State.LIVE
    assert (draft.author, draft.author_name) == (author, "boss")
    assert (draft.reviewer, draft.reviewer_name) == (approver, "bian")
    events = AccountEvent.objects.filter(kind=AccountEvent.Kind.QUESTIONNAIRE).order_by("id")
    assert [(e.actor, e.member) for e in events] == [(author, author), (approver, approver)]
    assert "draft" in events[0].detail and "approved" in events[1].detail
    custody = CustodyRecord.objects.filter(subject=f"questionnaire:{draft.pk}").order_by("id")
    assert [(r.actor, r.actor_name) for r in custody] == [(author, "boss"), (approver, "bian")]
    assert "approved as version 2" in custody[1].reason and "boss" in custody[1].reason
    # The designer's table of versions names both.
    table = boss.get(DESIGNER).content.decode()
    assert "boss" in table and "bian" in table


class _Form(HTMLParser):
    """What a browser without JavaScript posts for the page's one form: every named input
    with its value (a checkbox only when checked), every textarea's text, and each select's
    selected option, or its first option when none is selected."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("submit", "button"):
            if attr.get("type") == "checkbox" and "checked" not in attr:
                return
            self.data.append(
                (name, attr.get("value") or ("on" if attr.get("type") == "checkbox" else ""))
            )
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attr.get("value", ""), "selected" in attr))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            self.data.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None


def browser_post(client: Client, page: str, changes: dict[str, str]):
    form = _Form()
    form.feed(page[page.index('<form method="post" action="/en/newsroom/questionnaire/"') :])
    data: dict[str, list[str]] = {}
    for name, value in form.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    return client.post(DESIGNER, data)


def test_the_designer_works_without_javascript_a_blank_extra_row_is_ignored():
    _author, boss = signed_in("boss", "admin")
    page = boss.get(DESIGNER).content.decode()
    assert 'name="q-5-key"' in page  # the blank extra row, posted as the browser has it
    response = browser_post(boss, page, {"q-0-label_en": "Who took part, in what role?"})
    assert response.status_code == 302, response.content.decode()[:3000]
    draft = pending_draft()
    assert [q.key for q in draft.questions.all()] == [
        "who",
        "where",
        "when",
        "how_known",
        "files_show",
    ]
    assert draft.questions.get(key="who").label_en == "Who took part, in what role?"
    # The diff shows the reworded question as changed, the others not at all.
    shown = boss.get(DESIGNER).content.decode()
    assert "Changed" in shown and "Who took part, in what role?" in shown
