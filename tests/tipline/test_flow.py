"""The source's flow without JavaScript: submit, codename once, receipt with SHA-256s, return
with the codename, read replies, send more, delete own submissions."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source
from jiandu.vault.session_keys import member_private_key
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db


def test_closed_until_a_reader_has_a_key():
    client = Client()
    assert b"not open yet" in client.get("/en/").content
    response = submit(client, message="hello")
    assert response.status_code == 403
    assert b"Nothing was stored" in response.content
    assert not Source.objects.exists()


def test_first_submission_end_to_end():
    member, newsroom = make_reader()
    source = Client()
    landing = source.get("/en/")
    assert (
        landing["Cache-Control"].startswith("max-age=0") or "no-store" in landing["Cache-Control"]
    )
    files = [
        SimpleUploadedFile("tape-1.mp4", b"video bytes " * 1000, "video/mp4"),
        SimpleUploadedFile("notes.txt", "审讯笔记".encode(), "text/plain"),
    ]
    response = submit(source, message="Lei is on tape", files=files, who="Lei Zhengfu")
    assert response.status_code == 302 and response["Location"] == "/en/receipt/"
    receipt = source.get("/en/receipt/")
    assert "no-store" in receipt["Cache-Control"] and "ETag" not in receipt
    page = receipt.content.decode()
    codename = codename_of(source)
    assert codename in page and len(codename.split()) == 8
    assert hashlib.sha256(b"video bytes " * 1000).hexdigest() in page
    assert hashlib.sha256("审讯笔记".encode()).hexdigest() in page
    assert "tape-1.mp4" in page
    # The codename is shown until the source confirms writing it down, then never again.
    assert source.post("/en/codename/noted/", {}).status_code == 302
    assert codename in source.get("/en/receipt/").content.decode()
    source.post("/en/codename/noted/", {"noted": "1"})
    assert codename not in source.get("/en/receipt/").content.decode()
    assert [c for c in source.cookies] == ["jiandu_session"]

    # The newsroom opens everything with the member's key.
    row = Source.objects.get()
    source_key = get_source_key_for_member(member.user, member_private_key(_req(newsroom)), row)
    opened = {i.kind: open_item(source_key, i) for i in row.items.exclude(kind="file")}
    assert opened["message"].text() == "Lei is on tape"
    assert opened["questionnaire"].answers() == {"_version": 1, "who": "Lei Zhengfu"}
    names = sorted(open_item(source_key, i).meta["name"] for i in row.items.filter(kind="file"))
    assert names == ["notes.txt", "tape-1.mp4"]

    # A reply, then the source returns with the codename (sloppily typed) and reads it.
    vault.do_add_reply(row, member.user, "Thank you. 我们会核实。")
    returning = Client()
    sloppy = "  " + codename.upper().replace(" ", "   ") + " "
    response = returning.post("/en/return/", {"codename": sloppy})
    assert response.status_code == 302 and response["Location"] == "/en/conversation/"
    page = returning.get("/en/conversation/").content.decode()
    assert "Thank you. 我们会核实。" in page

    # Send more, then delete the first submission.
    assert submit(returning, message="one more thing").status_code == 302
    assert row.submissions.count() == 2
    first = row.submissions.order_by("pk").first()
    blobs = list(first.items.values_list("blob", flat=True))
    with_callbacks = returning.post(f"/en/conversation/delete/{first.pk}/")
    assert with_callbacks.status_code == 302
    assert row.submissions.count() == 1
    assert Item.objects.filter(blob__in=blobs).count() == 0


def test_chinese_codename_works_in_either_script():
    make_reader()
    source = Client()
    submit(source, message="你好", style="zh")
    codename = codename_of(source)
    assert all("\u4e00" <= ch <= "\u9fff" for ch in codename.replace(" ", ""))
    from jiandu.core.wordlists import load as _list

    simplified = _list("chinese_words_simplified")
    traditional = [
        _list("chinese_words_traditional")[simplified.index(w)] for w in codename.split()
    ]
    for typed in (codename.replace(" ", ""), "".join(traditional), " ".join(traditional)):
        assert Client().post("/zh-hant/return/", {"codename": typed}).status_code == 302


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", "This field is required"),
        ("abandon ability able", "A codename has 8 words or characters; you typed 3."),
        ("abandon " * 7 + "notaword", "“notaword” is not a word codenames are made of"),
        ("abandon " * 8, "No conversation has this codename"),
        ("x" * 500, "Ensure this value has at most 400 characters"),
    ],
)
def test_codename_errors_are_clear(typed, expected):
    make_reader()
    response = Client().post("/en/return/", {"codename": typed})
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_nothing_to_send_and_honeypot():
    make_reader()
    client = Client()
    response = submit(client)
    assert b"Nothing was received" in response.content
    response = client.post("/en/submit/", {"message": "spam", "website": "http://spam"})
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_source_session_idles_out_after_120_minutes():
    make_reader()
    client = Client()
    submit(client, message="hello")
    assert client.session.get_expiry_age() == 120 * 60
    assert client.session.get_expire_at_browser_close()


def _req(client):
    class Request:
        session = client.session

    return Request()


def test_submit_page_says_when_the_tip_line_is_closed():
    page = Client().get("/en/submit/").content.decode()
    assert "not open yet" in page and 'type="file"' not in page
    make_reader()
    assert 'type="file"' in Client().get("/en/submit/").content.decode()
