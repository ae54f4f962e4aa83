"""The proof pages speak to people (issue 19, item 9): the verify page says in the reader's
language what was checked and what it means, names log events in words, shows "still
current" as a calm confirmation, and the signed checkpoint has a page explaining it line by
line beside the plain-text note, which stays byte for byte what tools read."""

import hashlib
import html as htmllib
import re

import pytest

from jiandu.cases import actions
from jiandu.redaction.actions import do_publish_evidence
from jiandu.tlog import keys, note
from jiandu.tlog import read as logread
from tests.factories import make_member
from tests.ledger.test_tlog_publication import png, publish
from tests.redaction.helpers import rendered


@pytest.fixture
def published(db):
    writer, editor = make_member("w", "journalist").user, make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case", slug="the-case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    publish((writer, editor), case, "First")
    return case, evidence


def text_of(response) -> str:
    """The page's visible words, one space between them."""
    body = response.content.decode()
    body = body[body.index("<main") :]
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_a_match_is_said_in_english(client, published):
    case, evidence = published
    words = text_of(client.get(f"/en/log/verify/?sha256={evidence.sha256}"))
    entry = logread.get_entries_for(evidence.sha256)[0]
    assert "This file is exactly the one the newsroom published on" in words
    assert f"with revision 1 of the case “{case.slug}”" in words
    assert (
        f"Its fingerprint (SHA-256) is entry {entry.index} of the newsroom's public log." in words
    )
    assert "Anyone holding an older summary can check that the log was only added to" in words
    assert "It is still current: nothing published since has replaced or withdrawn it." in words
    assert "evidence file published" in words and "publish evidence" not in words


def test_a_match_is_said_in_simplified_chinese(client, published):
    case, evidence = published
    words = text_of(client.get(f"/log/verify/?sha256={evidence.sha256}"))
    entry = logread.get_entries_for(evidence.sha256)[0]
    assert "此文件与编辑部于" in words and "发布的文件完全相同" in words
    assert f"其指纹（SHA-256）是编辑部公开日志的第 {entry.index} 条记录。" in words
    assert f"“{case.slug}”" in words and "仍是现行版本" in words
    assert "证据文件发布" in words
    assert "publish evidence" not in words and "evidence file published" not in words


def test_a_non_match_is_said_in_both_languages(client, published):
    other = hashlib.sha256(b"not published").hexdigest()
    en = text_of(client.get(f"/en/log/verify/?sha256={other}"))
    assert "No entry in the newsroom's public log has this fingerprint (SHA-256)." in en
    assert "a re-saved, cropped or re-compressed copy has another fingerprint" in en
    zh = text_of(client.get(f"/log/verify/?sha256={other}"))
    assert "编辑部的公开日志中没有任何记录具有此指纹（SHA-256）。" in zh
    assert "No entry" not in zh


def test_still_current_is_a_calm_confirmation_not_an_alarm(client, published):
    _case, evidence = published
    page = client.get(f"/en/log/verify/?sha256={evidence.sha256}").content.decode()
    answer = page[
        page.index('id="answer"') - 200 : page.index("</section>", page.index('id="answer"'))
    ]
    assert "verify-ok" in answer
    assert "badge-accent" not in answer and 'role="alert"' not in answer


def test_the_verify_page_still_takes_one_bounded_file(client, published):
    """Kept from the change before (one file per request, hashed and dropped)."""
    _case, evidence = published
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.png", evidence.file.open("rb").read())
    words = text_of(client.post("/en/log/verify/", {"file": upload}))
    assert "This file is exactly the one the newsroom published on" in words


def test_the_checkpoint_page_explains_the_note_the_tools_read(client, published):
    raw = client.get("/log/checkpoint")
    assert raw["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.content == logread.get_signed_checkpoint().encode()  # byte for byte
    checkpoint, parsed, _cosigs = note.open_checkpoint(raw.content, keys.log_verifier())
    origin, size, root = parsed.text.split("\n")[:3]
    signature = parsed.signatures[0].line.rstrip("\n")

    page = client.get("/en/log/checkpoint/about/")
    assert page.status_code == 200
    body = page.content.decode()
    assert htmllib.escape(raw.content.decode()) in body  # the whole note, as served
    words = text_of(page)
    assert f"Line 1, the origin: {origin}" in words
    assert (
        f"Line 2, the size: {size}" in words
        and f"The number of entries in the log: {size}." in words
    )
    assert f"Line 3, the root hash: {root}" in words
    assert checkpoint.root.hex() in words
    assert f"Signature of the log: {signature}" in words
    assert keys.log_verifier().key_id.hex() in words

    zh = text_of(client.get("/log/checkpoint/about/"))
    assert f"第 1 行，来源： {origin}" in zh and f"第 2 行，大小： {size}" in zh
    assert "/log/checkpoint/about/" in client.get("/en/log/verify/").content.decode()
