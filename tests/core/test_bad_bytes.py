"""A NUL byte or invalid UTF-8 anywhere a client writes text is a clear 400, never a 500: on
every URL the URLconf defines, signed in or not, in the query string, the path and form fields."""

import re

import pytest
from django.test import Client

from jiandu.core.middleware import unreadable, unreadable_urlencoded
from tests.core.test_headers import all_paths, assert_baseline
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db

BAD_QUERIES = [
    "q=abcd%00",  # the scanner's request: SQLite's FTS parser said "unterminated string"
    "q=%ff%fe",  # not UTF-8
    "q=%ed%a0%80",  # a lone surrogate, UTF-8-encoded: not UTF-8 either
    "%00=1",  # in a name
    "q=ok&next=%c3",  # a truncated sequence in a second field
]

# Field names the site's forms and views read, so the bad value reaches real code.
FIELDS = [
    "q",
    "body",
    "display_name",
    "website",
    "username",
    "password",
    "code",
    "note",
    "reason",
    "message",
    "title_en",
    "name_en",
    "status",
    "next",
]


def _client(signed_in: bool) -> Client:
    client = Client(raise_request_exception=False)
    if signed_in:
        sign_in(client, make_member("admin1", "admin"))
    return client


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_url_answers_bad_bytes_in_the_query_string_or_path_with_400(signed_in):
    client = _client(signed_in)
    for path in all_paths():
        for query in BAD_QUERIES:
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query, response.status_code)
        response = client.get(path + "%00")
        assert response.status_code == 400, (path, "%00", response.status_code)


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_url_answers_bad_bytes_in_a_form_field_without_500(signed_in):
    client = _client(signed_in)
    nul = dict.fromkeys(FIELDS, "abcd\x00")
    not_utf8 = "&".join(f"{name}=%ff%ed%a0%80" for name in FIELDS)
    nul_urlencoded = "&".join(f"{name}=abcd%00" for name in FIELDS)
    for path in all_paths():
        answers = [
            client.post(path, nul),  # multipart
            client.post(path, nul_urlencoded, content_type="application/x-www-form-urlencoded"),
            client.post(path, not_utf8, content_type="application/x-www-form-urlencoded"),
        ]
        for response in answers:
            assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("path", ["/en/cases/abc%00/", "/%00", "/en/newsroom/%00/"])
def test_a_nul_in_the_path_is_400(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/en/cases/%ff/", "/en/cases/evidence/%ed%a0%80", "/%c3"])
def test_invalid_utf8_in_the_path_is_an_empty_result(client, path):
    """Django re-percent-encodes invalid UTF-8 in the path, so no view sees it: a plain 404."""
    assert client.get(path).status_code == 404


def test_the_scanners_search_is_400_and_a_chinese_search_still_works(client):
    assert client.get("/en/cases/search/?q=abcd%00").status_code == 400
    assert client.get("/en/cases/search/?q=%E9%9B%B7%E6%94%BF%E5%AF%8C").status_code == 200
    assert client.get("/en/cases/search/?q=a+b%2500").status_code == 200  # a literal "%00"


def test_a_nul_in_a_form_field_is_400_and_the_fields_stay_unread(client):
    response = client.post("/en/newsroom/", {"username": "zhu\x00", "password": "x"})
    assert response.status_code == 400
    response = client.post(
        "/en/newsroom/",
        "username=zhu%ff&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_a_nul_beside_a_valid_csrf_token_is_400():
    """With CSRF enforced, the CSRF check parses the body before the view: still a 400."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    html = client.get("/en/newsroom/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    fields = {"csrfmiddlewaretoken": token, "username": "zhu", "password": "x"}
    assert client.post("/en/newsroom/", fields).status_code == 200  # a wrong password: the form
    response = client.post("/en/newsroom/", {**fields, "username": "zhu\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        (b"", False),
        (b"plain", False),
        ("雷政富".encode(), False),
        (b"\x00", True),
        (b"a\x00b", True),
        (b"\xff", True),
        (b"\xed\xa0\x80", True),  # surrogate
        (b"\xc3", True),  # truncated
        (b"\xf4\x90\x80\x80", True),  # above U+10FFFF
    ],
)
def test_unreadable(raw, bad):
    assert unreadable(raw) is bad


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        (b"q=%", False),
        (b"q=%zz", False),
        (b"q=%2500", False),  # "%00" as text, decoded once
        (b"q=a+b", False),
        (b"q=%00", True),
        (b"q=%0", False),
        (b"%FF=1", True),
        (b"q=\xff", True),  # a raw byte, not percent-encoded
        (None, True),  # not representable as WSGI bytes at all
    ],
)
def test_unreadable_urlencoded(raw, bad):
    assert unreadable_urlencoded(raw) is bad


@pytest.mark.parametrize(
    ("prefix", "heading"),
    [("/en", "Bad request"), ("/zh-hant", "請求無法處理"), ("", "请求无法处理")],
)
def test_the_400_page_says_so_in_the_readers_language_with_the_headers(client, prefix, heading):
    response = client.get(f"{prefix}/cases/search/?q=abcd%00")
    assert response.status_code == 400
    assert heading in response.content.decode()
    assert_baseline(response, "400")
