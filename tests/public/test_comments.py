"""Comments: held for moderation, throttled, honeypot, moderators' public reasons."""

import pytest

from jiandu.public.models import Comment, CommentStatus
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db
CASE = "/en/cases/chongqing-lei-zhengfu/"


def post(client, body="Thank you for this.", **extra):
    return client.post(CASE + "comment/", {"body": body, "display_name": "", **extra})


def test_a_comment_appears_only_after_approval(client, demo):
    response = post(client, "First <b>comment</b>\u202e")
    assert response.status_code == 200 and "waiting for a moderator" in response.content.decode()
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.PENDING
    assert comment.body == "First <b>comment</b>"  # bidi override dropped, markup kept as text
    assert "First &lt;b&gt;" not in client.get(CASE).content.decode()
    moderator = make_member("mod", "moderator")
    sign_in(client, moderator)
    assert "First &lt;b&gt;comment" in client.get("/en/newsroom/comments/").content.decode()
    response = client.post(
        f"/en/newsroom/comments/{comment.pk}/", {f"{comment.pk}-decision": "approve"}
    )
    assert response.status_code == 302
    client.logout()
    assert "First &lt;b&gt;comment&lt;/b&gt;" in client.get(CASE).content.decode()


def test_an_edit_needs_a_reason_which_is_shown(client, demo):
    post(client, "Call 555-0100 to reach the source")
    comment = Comment.objects.get()
    sign_in(client, make_member("mod", "moderator"))
    url = f"/en/newsroom/comments/{comment.pk}/"
    p = f"{comment.pk}-"
    response = client.post(url, {p + "decision": "edit", p + "body": "Call [removed]"})
    assert response.status_code == 400
    client.post(
        url, {p + "decision": "edit", p + "body": "Call [removed]", p + "note": "a phone number"}
    )
    comment.refresh_from_db()
    assert comment.original_body.startswith("Call 555")
    client.logout()
    html = client.get(CASE).content.decode()
    assert "Call [removed]" in html and "555-0100" not in html
    assert "Edited by a moderator: a phone number" in html


def test_rejected_comments_never_show(client, demo):
    post(client, "spam spam")
    comment = Comment.objects.get()
    sign_in(client, make_member("mod", "moderator"))
    client.post(f"/en/newsroom/comments/{comment.pk}/", {f"{comment.pk}-decision": "reject"})
    client.logout()
    assert "spam spam" not in client.get(CASE).content.decode()


def test_only_moderators_moderate(client, demo):
    sign_in(client, make_member("writer", "journalist"))
    assert client.get("/en/newsroom/comments/").status_code == 403


def test_honeypot_is_answered_but_nothing_kept(client, demo):
    response = post(client, "bot text", website="http://spam.example")
    assert response.status_code == 200
    assert not Comment.objects.exists()


def test_comments_are_throttled_per_client_without_storing_the_address(client, demo, settings):
    settings.JIANDU_COMMENT_LIMIT = 2
    for _ in range(2):
        post(client)
    response = post(client)
    assert "Too many comments" in response.content.decode()
    assert Comment.objects.count() == 2
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value FROM jiandu_cache")
        dump = " ".join(str(row) for row in cursor.fetchall())
    assert "127.0.0.1" not in dump


def test_empty_and_overlong_comments_are_refused(client, demo):
    assert "Write something first" in post(client, "\u200b \n").content.decode()
    post(client, "x" * 2001)
    assert not Comment.objects.exists()


def test_no_comment_form_on_unknown_cases(client, demo):
    assert client.get("/cases/nothing/comment/").status_code == 404
