"""The demo lets one newcomer publish (issue 18, item 7): `jiandu demo` prints a second
editor's one-time login beside the admin's, so one person in two browsers can try the
two-person publication. Before, the demo's other editors could not sign in, and the printed
admin could submit but nobody could publish.
"""

import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client

from jiandu.cases.models import Case

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum blossom river lantern"


def logins(text: str) -> list[dict[str, str]]:
    users = re.findall(r"username: (\S+)", text)
    passwords = re.findall(r"password: (\S+)", text)
    secrets = [
        parse_qs(urlparse(uri).query)["secret"][0] for uri in re.findall(r"(otpauth://\S+)", text)
    ]
    return [
        {"username": u, "password": p, "secret": s}
        for u, p, s in zip(users, passwords, secrets, strict=True)
    ]


def first_sign_in(login: dict[str, str]) -> Client:
    """The first sign-in any member makes: one-time password, enrol TOTP, new password."""
    client = Client()
    response = client.post(
        "/en/newsroom/", {"username": login["username"], "password": login["password"]}
    )
    assert response["Location"] == "/en/newsroom/enrol/"
    code = pyotp.TOTP(login["secret"]).now()
    assert client.post("/en/newsroom/enrol/", {"code": code}).status_code == 302
    client.post("/en/newsroom/finish/")
    response = client.post(
        "/en/newsroom/password/",
        {
            "old_password": login["password"],
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    return client


def test_the_demo_prints_two_logins_and_the_second_editor_publishes_the_admins_case():
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    found = logins(text)
    assert [login["username"] for login in found] == ["admin", "second-editor"]
    assert "private window" in text and "two-person publication" in text

    admin = first_sign_in(found[0])
    response = admin.post(
        "/en/newsroom/cases/new/", {"title_en": "A newcomer's case", "summary_en": "Tried."}
    )
    assert response.status_code == 302, response.content[:300]
    case = Case.objects.get(title_en="A newcomer's case")
    base = f"/en/newsroom/cases/{case.pk}/"
    assert admin.post(base + "submit/", {"note_en": "First try"}).status_code == 302
    assert admin.post(base + "publish/").status_code == 400  # the author cannot publish

    editor = first_sign_in(found[1])
    page = editor.get(base).content.decode()
    assert "Publish this version" in page
    assert editor.post(base + "publish/").status_code == 302
    case.refresh_from_db()
    assert case.current_revision.publisher.username == "second-editor"
    assert "A newcomer" in Client().get(f"/en/cases/{case.slug}/").content.decode()


def test_a_second_run_issues_a_fresh_login_until_the_editor_signed_in():
    first = StringIO()
    call_command("demo", stdout=first)
    again = StringIO()
    call_command("demo", stdout=again)
    one, two = logins(first.getvalue())[1], logins(again.getvalue())[1]
    assert one["username"] == two["username"] == "second-editor"
    assert one["password"] != two["password"]
    first_sign_in(two)
    later = StringIO()
    call_command("demo", stdout=later)
    assert [login["username"] for login in logins(later.getvalue())] == ["admin"]
    assert "second-editor) has already signed in" in later.getvalue()
