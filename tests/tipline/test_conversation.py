"""Issue 19, items 1, 3 and 4 through HTTP: the source's page is a conversation (its own
messages and file names opened in its session, the newsroom's replies between them, a reply box
that never repeats the questionnaire), for a pending source too; the receipt says what a reload
does; deleting asks first; sizes are written one way."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.tipline import actions as tipline
from jiandu.vault import actions as vault
from jiandu.vault import crypto, storage
from jiandu.vault.models import Item, Source
from tests.tipline.helpers import codename_of, make_reader, submit
from tests.tipline.test_flood import _every_kdf_slot_taken

pytestmark = pytest.mark.django_db


def _required_questionnaire(member) -> None:
    """A live questionnaire whose only question must be answered by a first submission."""
    editor = make_reader("jing")[0]
    draft = tipline.do_draft_questionnaire(
        [
            {
                "key": "where",
                "kind": "text",
                "required": True,
                "label_en": "Where?",
                "label_zh_hans": "在哪里？",
            }
        ],
        member.user,
    )
    tipline.do_approve_questionnaire(draft.pk, editor.user)


def _conversation_text(client: Client) -> str:
    page = client.get("/en/conversation/").content.decode()
    return re.sub(r"\s+", " ", page)


def test_returning_source_reads_what_it_sent_and_replies_without_the_questionnaire():
    member, _ = make_reader()
    first = Client()
    notes = SimpleUploadedFile("notes-of-the-interrogation.txt", b"x" * 200_000)
    response = submit(first, message="Lei is on the tape.", files=[notes])
    assert response.status_code == 302
    codename = codename_of(first)
    first.post("/en/codename/noted/", {"noted": "1"})
    source = Source.objects.get()
    vault.do_add_reply(source, member.user, "Thank you. Where was it filmed?")
    _required_questionnaire(member)

    returning = Client()
    assert returning.post("/en/return/", {"codename": codename}).status_code == 302
    page = _conversation_text(returning)
    assert "Lei is on the tape." in page
    assert "notes-of-the-interrogation.txt" in page and "200 kB" in page
    assert hashlib.sha256(b"x" * 200_000).hexdigest() in page
    assert "Thank you. Where was it filmed?" in page
    assert page.index("Lei is on the tape.") < page.index("Thank you. Where was it filmed?")
    assert 'action="/en/conversation/reply/"' in page and 'enctype="multipart/form-data"' in page

    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8" + b"p" * 1_500_000)
    sent = returning.post(
        "/en/conversation/reply/",
        {"message": "In Beibei, by the river.", "files": [photo], "website": ""},
    )
    assert sent.status_code == 302 and sent["Location"] == "/en/conversation/#latest"
    assert source.submissions.count() == 2
    page = _conversation_text(returning)
    assert "In Beibei, by the river." in page and "photo.jpg" in page and "1.5 MB" in page
    assert page.index("Thank you. Where was it filmed?") < page.index("In Beibei, by the river.")
    assert "Where?" not in page  # no question asked again
    # The send-more form does not send a signed-in source back to the required question.
    assert submit(returning, message="and one more").status_code == 302
    assert source.submissions.count() == 3


def test_what_the_source_sent_opens_with_its_codename_key_and_file_contents_do_not():
    make_reader()
    client = Client()
    submit(client, message="hello", files=[SimpleUploadedFile("a.txt", b"abc")])
    _source, reply_key = tipline.get_source_by_codename(codename_of(client))
    message = Item.objects.get(kind=Item.Kind.MESSAGE)
    file = Item.objects.get(kind=Item.Kind.FILE)
    with storage.open_blob(message.blob) as handle:
        text = crypto.decrypt_bytes(crypto.unseal(reply_key, message.source_sealed_key), handle)
    assert text == b"hello"
    meta_key = crypto.unseal(reply_key, file.source_sealed_key)
    assert crypto.open_meta_with(meta_key, file.meta)["name"] == "a.txt"
    with storage.open_blob(file.blob) as handle, pytest.raises(crypto.VaultCryptoError):
        crypto.decrypt_bytes(meta_key, handle)  # the metadata subkey is not the content key


def test_a_pending_source_sees_its_first_message_once_its_codename_works(monkeypatch):
    make_reader()
    monkeypatch.setattr(crypto, "KDF_WAIT_SECONDS", 0.2)
    client = Client()
    with _every_kdf_slot_taken():
        submit(client, message="sent while the server was busy")
        codename = codename_of(client)
        assert vault.codename_pending(Source.objects.get())
        assert Item.objects.get(kind=Item.Kind.MESSAGE).source_sealed_key is None
    assert client.post("/en/codename/noted/", {"noted": "1"}).status_code == 302
    assert "sent while the server was busy" in _conversation_text(client)
    returning = Client()
    assert returning.post("/en/return/", {"codename": codename}).status_code == 302
    assert "sent while the server was busy" in _conversation_text(returning)


def test_receipt_says_what_a_reload_does_and_does_it():
    make_reader()
    client = Client()
    submit(client, message="hi")
    codename = codename_of(client)
    page = client.get("/en/receipt/").content.decode()
    again = client.get("/en/receipt/").content.decode()
    assert "shown only once" not in page
    assert "even if you reload it, until you tick the box" in page
    assert codename in page and codename in again  # as it says: reloads show it
    client.post("/en/codename/noted/", {"noted": "1"})
    after = client.get("/en/receipt/").content.decode()
    assert codename not in after  # and after the box, nobody shows it again


def test_deleting_asks_first_without_javascript():
    make_reader()
    client = Client()
    submit(client, message="delete me", files=[SimpleUploadedFile("x.txt", b"x")])
    client.post("/en/codename/noted/", {"noted": "1"})
    submission = Source.objects.get().submissions.get()
    page = client.get("/en/conversation/").content.decode()
    assert f'href="/en/conversation/delete/{submission.pk}/"' in page
    assert f'action="/en/conversation/delete/{submission.pk}/"' not in page
    confirm = client.get(f"/en/conversation/delete/{submission.pk}/")
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Delete this submission?" in text and "x.txt" in text
    assert f'method="post" action="/en/conversation/delete/{submission.pk}/"' in text
    assert Source.objects.get().submissions.count() == 1  # asking deletes nothing
    assert client.post(f"/en/conversation/delete/{submission.pk}/").status_code == 302
    assert Source.objects.get().submissions.count() == 0
    # Another source's submission is neither shown nor deleted.
    other = Client()
    submit(other, message="not yours")
    theirs = Source.objects.exclude(submissions=None).get().submissions.get()
    assert client.get(f"/en/conversation/delete/{theirs.pk}/").status_code == 302
    client.post(f"/en/conversation/delete/{theirs.pk}/")
    assert theirs.__class__.objects.filter(pk=theirs.pk).exists()
