"""Long text and long or odd file names get a true answer: long text is refused with what to do
(attach it as a file), and any file name is accepted, kept shortened and shown safely."""

import pytest
from django.test import Client

from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Source
from jiandu.vault.session_keys import member_private_key
from jiandu.vault.uploads import MAX_NAME_LENGTH, clean_name
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db
RLO = "\u202e"


def _post_file(client: Client, filename: bytes, content: bytes = b"evidence"):
    """A multipart body as a browser writes it: the name as raw UTF-8 in the part's header."""
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="style"\r\n\r\nen\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n--XyZ--\r\n"
    )
    client.get("/en/submit/")
    return client.generic(
        "POST", "/en/submit/", body, content_type="multipart/form-data; boundary=XyZ"
    )


def _stored_names(member, newsroom) -> list[str]:
    class Request:
        session = newsroom.session

    source = Source.objects.get()
    key = get_source_key_for_member(member.user, member_private_key(Request()), source)
    return [open_item(key, i).meta["name"] for i in source.items.filter(kind="file")]


def test_a_ten_megabyte_message_is_told_to_attach_it_as_a_file():
    make_reader()
    response = submit(Client(), message="举报" * (5 * 1024 * 1024 // 3))
    assert response.status_code == 413
    page = response.content.decode()
    assert "Save the text as a file and attach it instead" in page
    assert "did not arrive complete" not in page
    assert not Source.objects.exists()


def test_a_message_over_the_text_box_limit_gets_the_same_advice():
    make_reader()
    response = submit(Client(), message="x" * 100_001)
    assert response.status_code == 200
    page = response.content.decode()
    assert "100001 characters long" in page and "attach it instead" in page
    assert not Source.objects.exists()


def test_a_two_thousand_character_file_name_is_kept_shortened_with_its_extension():
    member, newsroom = make_reader()
    client = Client()
    name = "审讯笔记" * 500 + ".pdf"
    response = _post_file(client, name.encode())
    assert response.status_code == 302
    [stored] = _stored_names(member, newsroom)
    assert len(stored) == MAX_NAME_LENGTH and stored.endswith("….pdf")
    assert stored.startswith("审讯笔记审讯笔记")
    assert stored in client.get("/en/receipt/").content.decode()


def test_a_right_to_left_override_in_a_file_name_is_accepted_and_removed():
    member, newsroom = make_reader()
    client = Client()
    response = _post_file(client, f"invoice{RLO}fdp.exe".encode())
    assert response.status_code == 302
    assert _stored_names(member, newsroom) == ["invoicefdp.exe"]
    page = client.get("/en/receipt/").content.decode()
    assert RLO not in page and "<bdi>invoicefdp.exe</bdi>" in page


def test_a_name_in_a_problem_message_is_isolated_from_the_sentence():
    make_reader()
    client = Client()
    response = _post_file(client, "شهادة.txt".encode(), content=b"")
    assert response.status_code == 200  # nothing was kept, so nothing was sent
    assert "“\u2068شهادة.txt\u2069” was empty" in response.content.decode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "file"),
        ("...", "file"),
        ("\x00\x07\x1b[31m", "[31m"),
        ("a\u200bb\u200dc.txt", "abc.txt"),
        (f"{RLO}cod.exe", "cod.exe"),
        ("\ud800broken.txt", "broken.txt"),
        ("证据\u3000照片.jpg", "证据 照片.jpg"),
        ("  spaced\tout\n.txt  ", "spaced out .txt"),
        (".hidden", "hidden"),
        ("e\u0301.txt", "\u00e9.txt"),
    ],
)
def test_clean_name_keeps_a_printable_name_for_hostile_input(raw, expected):
    assert clean_name(raw) == expected


def test_clean_name_shortens_long_names_keeping_a_short_extension():
    assert clean_name("a" * 5000 + ".docx") == "a" * (MAX_NAME_LENGTH - 6) + "….docx"
    assert clean_name("b" * 5000) == "b" * (MAX_NAME_LENGTH - 1) + "…"
    assert clean_name("c" * 300 + "." + "d" * 300) == ("c" * 300 + "." + "d" * 300)[:199] + "…"
    assert len(clean_name("文" * 100_000)) == MAX_NAME_LENGTH
