"""The questionnaire the newsroom designs: today's five questions as version 1; admins edit
it in the newsroom (kinds, required, help, pages, order, three languages with Traditional
generated from Simplified) and each save is a new version once a second member approves it
(tests/tipline/test_questionnaire_review.py); without JavaScript sources answer
one short page per group and review before sending; answers are encrypted and shown in the
newsroom with the questions of the version they answered, whatever was edited since."""

import json
import re

import pytest
from django.test import Client

from jiandu.tipline import questionnaire
from jiandu.tipline.models import Question, QuestionnaireVersion
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source
from jiandu.vault.session_keys import member_private_key
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

FIELDS = [
    "key",
    "kind",
    "required",
    "group",
    "order",
    "label_zh_hans",
    "label_zh_hant",
    "label_en",
    "help_zh_hans",
    "help_zh_hant",
    "help_en",
    "choices",
]


def designer_post(client, questions, initial=0):
    data = {
        "q-TOTAL_FORMS": str(len(questions)),
        "q-INITIAL_FORMS": str(initial),
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "1000",
    }
    for index, question in enumerate(questions):
        for name in FIELDS:
            value = question.get(name, "")
            if name == "required":
                if value:
                    data[f"q-{index}-required"] = "on"
                continue
            data[f"q-{index}-{name}"] = str(value)
        if question.get("DELETE"):
            data[f"q-{index}-DELETE"] = "on"
    return client.post("/en/newsroom/questionnaire/", data)


def publish(client, questions):
    """Save the questions as a draft, then have a second member (a new editor) approve it, as
    every change must be before sources see it (issue 17, item 2)."""
    response = designer_post(client, questions)
    assert response.status_code == 302, response.content.decode()[:2000]
    editor = make_member(f"editor{QuestionnaireVersion.objects.count()}", "editor")
    reviewer = Client()
    sign_in(reviewer, editor)
    draft = QuestionnaireVersion.objects.get(state=QuestionnaireVersion.State.DRAFT)
    approved = reviewer.post(
        "/en/newsroom/questionnaire/review/", {"draft": draft.pk, "decision": "approve"}
    )
    assert approved.status_code == 302
    return response


def admin_client():
    admin = make_member("boss", "admin")
    client = Client()
    sign_in(client, admin)
    return admin, client


NEW = [
    {
        "key": "who",
        "kind": "short",
        "group": 1,
        "order": 0,
        "label_zh_hans": "谁参与了？",
        "label_en": "Who took part?",
        "help_zh_hans": "只写职务也可以",
        "required": True,
    },
    {
        "key": "channel",
        "kind": "single",
        "group": 1,
        "order": 1,
        "label_zh_hans": "您是通过什么途径得知的？",
        "label_en": "How did you learn of it?",
        "choices": "亲眼所见 | | I saw it\n听别人说 | | Someone told me",
    },
    {
        "key": "kinds",
        "kind": "multiple",
        "group": 2,
        "order": 0,
        "label_en": "What do you have?",
        "choices": "文件 | | Documents\n照片 | | Photos\n录音 | | Recordings",
    },
    {"key": "date", "kind": "date", "group": 2, "order": 1, "label_en": "On what day?"},
    {"key": "safe", "kind": "yesno", "group": 3, "order": 0, "label_en": "Are you safe?"},
    {"key": "story", "kind": "long", "group": 3, "order": 1, "label_en": "Anything else?"},
]


def open_answers(member, newsroom, source_row):
    newsroom.get("/en/newsroom/sources/key/")  # the first visit shows the recovery key

    class Request:
        session = newsroom.session

    key = get_source_key_for_member(member.user, member_private_key(Request()), source_row)
    return [
        open_item(key, item).answers()
        for item in source_row.items.filter(kind=Item.Kind.QUESTIONNAIRE).order_by("pk")
    ]


def test_the_default_questionnaire_is_todays_five_questions_on_two_pages():
    version = questionnaire.current_version()
    assert version.number == 1
    assert [q.key for q in questionnaire.questions(version)] == [
        "who",
        "where",
        "when",
        "how_known",
        "files_show",
    ]
    assert [len(page) for page in questionnaire.groups(version)] == [3, 2]
    make_reader()
    assert "Where did it happen?" in Client().get("/en/submit/questions/1/").content.decode()
    assert "事情發生在哪裡？" in Client().get("/zh-hant/submit/questions/1/").content.decode()
    assert "事情发生在哪里？" in Client().get("/submit/questions/1/").content.decode()


def test_step_by_step_without_javascript_then_review_then_send():
    member, newsroom = make_reader()
    source = Client()
    landing = source.get("/en/").content.decode()
    start = re.search(r'class="button" href="([^"]+)"', landing).group(1)
    assert start == "/en/submit/questions/1/"
    page = source.get(start).content.decode()
    assert "Page 1 of 2" in page and 'name="who"' in page and 'name="how_known"' not in page
    response = source.post(start, {"who": "雷政富", "where": "Beibei", "next": "1"})
    assert response["Location"] == "/en/submit/questions/2/"
    # Back keeps what was answered.
    assert 'value="Beibei"' in source.get(start).content.decode()
    response = source.post("/en/submit/questions/2/", {"how_known": "I saw it", "next": "1"})
    assert response["Location"] == "/en/submit/"
    review = source.get("/en/submit/").content.decode()
    assert "雷政富" in review and "I saw it" in review and "Where did it happen?" in review
    assert 'href="/en/submit/questions/2/"' in review  # change the answers of a page
    response = source.post("/en/submit/", {"message": "", "style": "en", "website": ""})
    assert response.status_code == 302
    assert "Your answers to the questions" in source.get("/en/receipt/").content.decode()
    [answers] = open_answers(member, newsroom, Source.objects.get())
    assert answers == {"_version": 1, "who": "雷政富", "where": "Beibei", "how_known": "I saw it"}
    assert "tipline_answers" not in source.session


def test_only_admins_design():
    journalist = make_member("zhu", "journalist")
    client = Client()
    sign_in(client, journalist)
    assert client.get("/en/newsroom/questionnaire/").status_code == 403
    assert designer_post(client, NEW).status_code == 403
    anonymous = Client().get("/en/newsroom/questionnaire/")
    assert anonymous.status_code == 302 and "/newsroom/" in anonymous["Location"]
    assert QuestionnaireVersion.objects.count() == 1


def test_designing_a_version_with_every_kind_and_generated_traditional():
    _admin, client = admin_client()
    page = client.get("/en/newsroom/questionnaire/").content.decode()
    assert 'value="how_known"' in page  # the current questions, to edit
    response = publish(client, NEW)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = questionnaire.current_version()
    assert version.number == 2
    who = version.questions.get(key="who")
    assert who.required and who.label_zh_hant == "誰參與了？"
    assert who.help_zh_hant == "只寫職務也可以"
    channel = version.questions.get(key="channel")
    assert [c["zh_hant"] for c in channel.choices] == ["親眼所見", "聽別人說"]
    assert [len(p) for p in questionnaire.groups(version)] == [2, 2, 2]
    # Version 1 is untouched.
    assert QuestionnaireVersion.objects.get(number=1).questions.count() == 5


@pytest.mark.parametrize(
    "change, error",
    [
        ({"key": "message"}, "used by the form itself"),
        ({"key": "_version"}, "used by the form itself"),
        ({"key": "bad key"}, "Enter a valid"),
        ({"label_zh_hans": "", "label_en": ""}, "Simplified Chinese or English"),
        ({"kind": "single", "choices": "only one"}, "at least two choices"),
        ({"kind": "nonsense"}, "Select a valid choice"),
        ({"group": "0"}, "greater than or equal to 1"),
    ],
)
def test_the_designer_refuses_bad_questions(change, error):
    _admin, client = admin_client()
    response = designer_post(client, [{**NEW[0], **change}])
    assert response.status_code == 400
    assert error in response.content.decode()
    assert QuestionnaireVersion.objects.count() == 1


def test_two_questions_with_one_key_are_refused():
    _admin, client = admin_client()
    response = designer_post(client, [NEW[0], {**NEW[1], "key": "who"}])
    assert response.status_code == 400 and "same key" in response.content.decode()


def test_answers_of_every_kind_are_checked_and_read_back():
    member, newsroom = make_reader()
    _admin, client = admin_client()
    publish(client, NEW)
    source = Client()
    step = "/en/submit/questions/1/"
    # Required, and only offered choices.
    bad = source.post(step, {"who": "", "channel": "3"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "This field is required" in text and "Select a valid choice" in text
    assert source.post(step, {"who": "A", "channel": "2"}).status_code == 302
    page2 = "/en/submit/questions/2/"
    assert source.post(page2, {"kinds": ["1", "9"], "date": "2026-02-30"}).status_code == 400
    assert source.post(page2, {"kinds": ["1", "3"], "date": "2026-02-03"}).status_code == 302
    assert source.post("/en/submit/questions/3/", {"safe": "maybe"}).status_code == 400
    assert source.post("/en/submit/questions/3/", {"safe": "yes", "story": "x"}).status_code == 302
    assert source.post("/en/submit/", {"style": "en", "website": ""}).status_code == 302
    row = Source.objects.get()
    [answers] = open_answers(member, newsroom, row)
    assert answers == {
        "_version": 2,
        "who": "A",
        "channel": "2",
        "kinds": ["1", "3"],
        "date": "2026-02-03",
        "safe": "yes",
        "story": "x",
    }
    page = newsroom.get(f"/en/newsroom/sources/{row.pk}/").content.decode()
    assert "Someone told me" in page and "Documents, Recordings" in page
    assert "Are you safe?" in page and "<dd>Yes</dd>" in page
    zh = newsroom.get(f"/zh-hant/newsroom/sources/{row.pk}/").content.decode()
    assert "聽別人說" in zh and "誰參與了？" in zh


def test_a_required_question_skipped_stops_the_sending():
    make_reader()
    _admin, client = admin_client()
    publish(client, NEW)
    source = Client()
    response = source.post("/en/submit/", {"message": "hello", "style": "en", "website": ""})
    assert response.status_code == 200
    assert "required questions on page 1" in response.content.decode()
    assert not Source.objects.exists()


def test_editing_the_questionnaire_does_not_change_how_earlier_answers_read():
    member, newsroom = make_reader()
    first = Client()
    first.post("/en/submit/questions/1/", {"who": "Lei", "where": "Beibei"})
    # The source is between pages when the newsroom saves a new version.
    _admin, admin = admin_client()
    reworded = [
        {**NEW[0], "label_en": "Name the officials", "required": False},
        {"key": "where", "kind": "short", "group": 1, "label_en": "Which district?"},
    ]
    publish(admin, reworded)
    assert first.post("/en/submit/", {"style": "en", "website": ""}).status_code == 302
    second = Client()
    second.post("/en/submit/questions/1/", {"who": "Lei", "where": "Beibei"})
    assert second.post("/en/submit/", {"style": "en", "website": ""}).status_code == 302
    older, newer = Source.objects.order_by("pk")
    assert open_answers(member, newsroom, older)[0]["_version"] == 1
    assert open_answers(member, newsroom, newer)[0]["_version"] == 2
    old_page = newsroom.get(f"/en/newsroom/sources/{older.pk}/").content.decode()
    new_page = newsroom.get(f"/en/newsroom/sources/{newer.pk}/").content.decode()
    assert "Who is involved, and what is their position?" in old_page
    assert "Where did it happen?" in old_page and "Name the officials" not in old_page
    assert "Name the officials" in new_page and "Which district?" in new_page
    # A third version changes neither.
    publish(admin, [{**NEW[0], "label_en": "Third wording"}])
    again = newsroom.get(f"/en/newsroom/sources/{older.pk}/").content.decode()
    assert facts(old_page) and facts(again) == facts(old_page)
    assert "Third wording" not in again


def facts(page: str) -> list[str]:
    return re.findall(r'<dl class="facts">.*?</dl>', page, re.S)


def test_answers_from_before_versions_read_with_version_one():
    assert questionnaire.labelled({"who": "Lei", "when": "2012"}) == [
        ("Who is involved, and what is their position?", "Lei"),
        ("When did it happen?", "2012"),
    ]
    # Unknown keys are shown by name rather than hidden.
    shown = questionnaire.labelled({"_version": 99, "odd": ["a", "b"]})
    assert shown == [("odd", "a, b")]


def test_answers_posted_with_the_form_itself_still_count():
    member, newsroom = make_reader()
    source = Client()
    response = source.post(
        "/en/submit/", {"who": "Lei", "style": "en", "website": "", "message": ""}
    )
    assert response.status_code == 302
    [answers] = open_answers(member, newsroom, Source.objects.get())
    assert answers == {"_version": 1, "who": "Lei"}
    assert json.dumps(answers)  # plain JSON, as the offline tool reads it


def test_no_questions_means_straight_to_the_form():
    make_reader()
    Question.objects.all().delete()
    response = Client().get("/en/submit/questions/1/")
    assert response.status_code == 302 and response["Location"] == "/en/submit/"
    assert "A few questions" not in Client().get("/en/submit/").content.decode()


def test_steps_out_of_order_and_hostile_answers():
    make_reader()
    source = Client()
    for step in ("0", "99"):
        response = source.get(f"/en/submit/questions/{step}/")
        assert response.status_code == 302 and response["Location"] == "/en/submit/questions/1/"
    assert source.get("/en/submit/questions/-1/").status_code == 404
    # Page 2 before page 1; a key from another page is ignored; too long is refused.
    source.post("/en/submit/questions/2/", {"how_known": "saw it", "who": "not on this page"})
    too_long = source.post("/en/submit/questions/1/", {"who": "x" * 2001})
    assert too_long.status_code == 400
    source.post("/en/submit/questions/1/", {"who": "Lei"})
    assert source.session["tipline_answers"] == {
        "version": 1,
        "answers": {"how_known": "saw it", "who": "Lei"},
    }
    # Back on page 1 goes to the first page of the tip line, saving nothing.
    response = source.post("/en/submit/questions/1/", {"who": "changed", "back": "1"})
    assert response["Location"] == "/en/"
    assert source.session["tipline_answers"]["answers"]["who"] == "Lei"


def test_a_closed_tip_line_asks_no_questions():
    response = Client().get("/en/submit/questions/1/")
    assert response.status_code == 302 and response["Location"] == "/en/submit/"
