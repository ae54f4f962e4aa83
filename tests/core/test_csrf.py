"""`Origin: null` (sent by browsers under no-referrer) passes the origin check, never the token."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db


def test_null_origin_with_token_is_accepted():
    make_member()
    client = Client(enforce_csrf_checks=True)
    page = client.get("/en/newsroom/")
    token = page.context["csrf_token"]
    response = client.post(
        "/en/newsroom/",
        {"username": "zhu", "password": PASSWORD, "csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 302


def test_null_origin_without_token_is_refused():
    make_member()
    client = Client(enforce_csrf_checks=True)
    client.get("/en/newsroom/")
    response = client.post(
        "/en/newsroom/", {"username": "zhu", "password": PASSWORD}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 403
    assert b"Your session has expired" in response.content


def test_foreign_origin_is_refused_even_with_token():
    make_member()
    client = Client(enforce_csrf_checks=True)
    token = client.get("/en/newsroom/").context["csrf_token"]
    response = client.post(
        "/en/newsroom/",
        {"username": "zhu", "password": PASSWORD, "csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
