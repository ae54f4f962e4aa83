"""The tus 1.0.0 server (jiandu.tipline.tus): what it offers, creation with metadata, offsets,
checksums (460 and nothing kept), termination, the version and CSRF checks with the tus header
on every answer, hostile and out-of-order requests, another session's upload URL, and the
form's `uploads` field taking the finished upload URLs."""

import base64
import hashlib
import os
import re

import pytest
from django.test import Client

from jiandu.tipline import tus
from jiandu.vault import crypto, storage
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Source
from jiandu.vault.session_keys import member_private_key
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

DATA = os.urandom(3 * crypto.CHUNK_SIZE + 1234)
TUS = {"Tus-Resumable": "1.0.0"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def session(reader=True):
    if reader:
        make_reader()
    client = Client(enforce_csrf_checks=True)
    client.get("/en/submit/" if reader else "/en/return/")  # a page with a form: a token
    return client, {**TUS, "X-CSRFToken": client.session["_csrftoken"]}


def create(client, headers, length=None, name="tape 1.mp4", filetype="video/mp4"):
    length = len(DATA) if length is None else length
    return client.post(
        "/en/upload/",
        headers={
            **headers,
            "Upload-Length": str(length),
            "Upload-Metadata": f"filename {b64(name)},filetype {b64(filetype)}",
        },
    )


def patch(client, headers, url, offset, body, **extra):
    return client.generic(
        "PATCH",
        url,
        body,
        content_type=extra.pop("content_type", "application/offset+octet-stream"),
        headers={**headers, "Upload-Offset": str(offset), **extra},
    )


def checksum(algorithm, body):
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, body).digest()).decode()}"


def test_options_says_what_the_server_offers(settings):
    settings.JIANDU_MAX_FILE_BYTES = 12345
    response = Client().options("/en/upload/")
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0" and response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
        "checksum",
    }
    assert response["Tus-Max-Size"] == "12345"
    assert set(response["Tus-Checksum-Algorithm"].split(",")) == {"sha256", "sha1"}


def test_create_append_head_and_submit_through_the_uploads_field():
    member, newsroom = make_reader()
    client = Client(enforce_csrf_checks=True)
    client.get("/en/submit/")
    headers = {**TUS, "X-CSRFToken": client.session["_csrftoken"]}
    response = create(client, headers, name="录音 1.mp4")
    assert response.status_code == 201 and response["Tus-Resumable"] == "1.0.0"
    url = response["Location"]
    assert url.startswith("/en/upload/") and "Upload-Expires" in response
    head = client.head(url, headers=headers)
    assert head["Upload-Offset"] == "0" and head["Upload-Length"] == str(len(DATA))
    assert "no-store" in head["Cache-Control"]
    first = patch(client, headers, url, 0, DATA[:100_000])
    assert first.status_code == 204 and first["Upload-Offset"] == "100000"
    assert first["Tus-Resumable"] == "1.0.0"
    # Out of order: a piece at the wrong offset is refused with the right one.
    wrong = patch(client, headers, url, 5, DATA[5:10])
    assert wrong.status_code == 409 and wrong["Upload-Offset"] == "100000"
    assert client.head(url, headers=headers)["Upload-Offset"] == "100000"
    last = patch(
        client,
        headers,
        url,
        100_000,
        DATA[100_000:],
        **{"Upload-Checksum": checksum("sha256", DATA[100_000:])},
    )
    assert last.status_code == 204 and last["Upload-Offset"] == str(len(DATA))
    # The part is ciphertext.
    part = next(storage.incoming_dir().iterdir())
    assert DATA[:1000] not in part.read_bytes()
    # The form takes absolute URLs or paths, one a line; junk lines are ignored.
    response = client.post(
        "/en/submit/",
        {
            "csrfmiddlewaretoken": headers["X-CSRFToken"],
            "uploads": f"http://127.0.0.1:8000{url}\r\nnot a url\r\nhttp://[\r\n{url}",
            "style": "en",
            "message": "x",
        },
    )
    assert response.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()

    class Request:
        session = newsroom.session

    source = Source.objects.get()
    key = get_source_key_for_member(member.user, member_private_key(Request()), source)
    item = open_item(key, source.items.get(kind="file"))
    assert item.meta["name"] == "录音 1.mp4" and item.meta["content_type"] == "video/mp4"
    assert b"".join(item.stream()) == DATA


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
def test_a_checksum_mismatch_is_460_and_keeps_nothing_of_the_piece(algorithm):
    client, headers = session()
    url = create(client, headers)["Location"]
    assert patch(client, headers, url, 0, DATA[:70_000]).status_code == 204
    part = next(storage.incoming_dir().iterdir())
    size_before = part.stat().st_size
    damaged = DATA[70_000:140_000]
    bad = patch(
        client,
        headers,
        url,
        70_000,
        damaged[:-1] + b"\0",
        **{"Upload-Checksum": checksum(algorithm, damaged)},
    )
    assert bad.status_code == 460 and bad["Tus-Resumable"] == "1.0.0"
    assert bad["Upload-Offset"] == "70000"
    assert client.head(url, headers=headers)["Upload-Offset"] == "70000"
    assert part.stat().st_size == size_before
    good = patch(
        client,
        headers,
        url,
        70_000,
        DATA[70_000:],
        **{"Upload-Checksum": checksum(algorithm, DATA[70_000:])},
    )
    assert good.status_code == 204 and good["Upload-Offset"] == str(len(DATA))
    response = client.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": headers["X-CSRFToken"], "uploads": url, "style": "en"},
    )
    assert response.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()


@pytest.mark.parametrize(
    "value",
    [
        "md5 " + base64.b64encode(b"x" * 16).decode(),
        "sha256 not-base64!",
        "sha256 " + b64("short"),
        "sha256",
    ],
)
def test_a_malformed_or_unknown_checksum_is_400(value):
    client, headers = session()
    url = create(client, headers)["Location"]
    response = patch(client, headers, url, 0, DATA[:10], **{"Upload-Checksum": value})
    assert response.status_code == 400
    assert client.head(url, headers=headers)["Upload-Offset"] == "0"


def test_every_answer_carries_the_tus_header_and_a_missing_version_is_412():
    client, headers = session()
    no_version = {"X-CSRFToken": headers["X-CSRFToken"]}
    refused = create(client, no_version)
    assert refused.status_code == 412 and refused["Tus-Version"] == "1.0.0"
    assert refused["Tus-Resumable"] == "1.0.0"
    assert create(client, {**headers, "Tus-Resumable": "0.2.2"}).status_code == 412
    # CSRF is checked inside: the refusal still speaks tus.
    no_token = create(client, TUS)
    assert no_token.status_code == 403 and no_token["Tus-Resumable"] == "1.0.0"
    url = create(client, headers)["Location"]
    assert patch(client, TUS, url, 0, b"abc").status_code == 403
    assert client.delete(url, headers=TUS).status_code == 403
    assert client.head(url, headers=headers)["Upload-Offset"] == "0"
    for response in (
        client.head("/en/upload/" + "f" * 32 + "/", headers=headers),
        client.get(url, headers=headers),
        client.put("/en/upload/", headers=headers),
    ):
        assert response["Tus-Resumable"] == "1.0.0"
        assert response.status_code in {404, 405}


@pytest.mark.parametrize(
    "extra",
    [
        {"content_type": "application/octet-stream"},
        {"content_type": "multipart/form-data; boundary=x"},
        {"Upload-Offset": "-1"},
        {"Upload-Offset": "1e3"},
        {"Upload-Offset": "٣"},
        {"Upload-Offset": ""},
    ],
    ids=["octet-stream", "multipart", "negative", "exponent", "arabic-digit", "empty"],
)
def test_hostile_patches_are_refused_and_change_nothing(extra):
    client, headers = session()
    url = create(client, headers)["Location"]
    offset = extra.pop("Upload-Offset", "0")
    response = client.generic(
        "PATCH",
        url,
        DATA[:100],
        content_type=extra.pop("content_type", "application/offset+octet-stream"),
        headers={**headers, "Upload-Offset": offset},
    )
    assert response.status_code in {400, 415}
    assert client.head(url, headers=headers)["Upload-Offset"] == "0"


@pytest.mark.parametrize(
    "metadata",
    [
        "filename not*base64",
        "filename " + b64("a") + ",filename " + b64("b"),
        "filename \xff",
        ",".join(f"k{i} " for i in range(40)),
    ],
    ids=["not-base64", "duplicate", "non-ascii", "too-many"],
)
def test_bad_metadata_is_400(metadata):
    client, headers = session()
    response = client.post(
        "/en/upload/",
        headers={**headers, "Upload-Length": "10", "Upload-Metadata": metadata},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("length", ["", "-5", "abc", "99999999999999999999999"])
def test_creation_without_a_usable_length_is_400(length):
    client, headers = session()
    response = client.post("/en/upload/", headers={**headers, "Upload-Length": length})
    assert response.status_code == 400


def test_limits(settings):
    client, headers = session()
    settings.JIANDU_MAX_FILE_BYTES = 10
    too_big = create(client, headers, length=11)
    assert too_big.status_code == 413 and "larger than" in too_big.content.decode()
    assert create(client, headers, length=0).status_code == 400
    settings.JIANDU_MAX_FILE_BYTES = 1000
    url = create(client, headers, length=5)["Location"]
    assert patch(client, headers, url, 0, b"123456").status_code == 413
    assert client.head(url, headers=headers)["Upload-Offset"] == "0"


def test_a_closed_tip_line_creates_nothing():
    client, headers = session(reader=False)
    response = create(client, headers)
    assert response.status_code == 403 and "not open" in response.content.decode()
    assert list(storage.incoming_dir().iterdir()) == []


def test_termination_drops_the_upload_and_its_part():
    client, headers = session()
    url = create(client, headers)["Location"]
    patch(client, headers, url, 0, DATA[:1000])
    assert len(list(storage.incoming_dir().iterdir())) == 1
    response = client.delete(url, headers=headers)
    assert response.status_code == 204 and response["Tus-Resumable"] == "1.0.0"
    assert list(storage.incoming_dir().iterdir()) == []
    assert client.head(url, headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 404


def test_an_upload_url_is_useless_to_another_session():
    client, headers = session()
    url = create(client, headers)["Location"]
    patch(client, headers, url, 0, DATA[:1000])
    other = Client(enforce_csrf_checks=True)
    other.get("/en/submit/")
    other_headers = {**TUS, "X-CSRFToken": other.session["_csrftoken"]}
    assert other.head(url, headers=other_headers).status_code == 404
    assert patch(other, other_headers, url, 1000, DATA[1000:2000]).status_code == 404
    assert other.delete(url, headers=other_headers).status_code == 404
    # Nor can the other session submit it through the form.
    other.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": other_headers["X-CSRFToken"], "uploads": url, "style": "en"},
    )
    assert not Source.objects.exists()
    assert client.head(url, headers=headers)["Upload-Offset"] == "1000"


def test_the_page_lists_held_uploads_and_a_finished_one_is_sent_without_javascript():
    client, headers = session()
    unfinished = create(client, headers, name="half.bin")["Location"]
    patch(client, headers, unfinished, 0, DATA[:1000])
    finished = create(client, headers, name="whole.bin")["Location"]
    patch(client, headers, finished, 0, DATA)
    page = client.get("/en/submit/").content.decode()
    assert f'data-url="{unfinished}"' in page and 'data-name="half.bin"' in page
    assert f'name="uploads" value="{finished}"' in page and "checked" in page
    assert "tus.min.js" in page
    response = client.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": headers["X-CSRFToken"], "uploads": finished, "style": "en"},
    )
    assert response.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()


def test_a_patch_after_the_last_byte_is_answered_with_the_length():
    client, headers = session()
    url = create(client, headers, length=100)["Location"]
    assert patch(client, headers, url, 0, DATA[:100])["Upload-Offset"] == "100"
    again = client.generic(  # the test client sets no type on an empty body: set it here
        "PATCH",
        url,
        b"",
        headers={**headers, "Upload-Offset": "100"},
        CONTENT_TYPE="application/offset+octet-stream",
        CONTENT_LENGTH="0",
    )
    assert again.status_code == 204 and again["Upload-Offset"] == "100"
    assert patch(client, headers, url, 0, DATA[:100]).status_code == 409


def test_metadata_parser_takes_empty_values_and_keys_alone():
    assert tus.parse_metadata("") == {}
    assert tus.parse_metadata(f"filename {b64('a.txt')},is_confidential") == {
        "filename": "a.txt",
        "is_confidential": "",
    }


def test_the_page_loads_the_vendored_tus_client_unchanged_and_nothing_from_elsewhere():
    """tus.min.js is npm's tus-js-client 4.3.1 byte for byte (vendor/tus-js-client/README.md),
    and the submission page loads scripts from this site only."""
    from pathlib import Path

    import jiandu.tipline

    vendored = Path(jiandu.tipline.__file__).parent / "static/tipline/vendor/tus-js-client"
    digest = hashlib.sha256((vendored / "tus.min.js").read_bytes()).hexdigest()
    assert digest == "8cbb1b63fccc3bba0ae73ad1deb160ce046c3750851d0c3e94921ae3ef070eb8"
    assert "MIT License" in (vendored / "LICENSE").read_text()
    client, _headers = session()
    page = client.get("/en/submit/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts == [
        "/static/tipline/vendor/tus-js-client/tus.min.js",
        "/static/tipline/sizes.js",
        "/static/tipline/upload.js",
    ]
    assert "<script>" not in page  # the CSP forbids inline script
    script = (vendored.parent.parent / "upload.js").read_text()
    assert "storeFingerprintForResuming: false" in script
    assert "urlStorage: memoryStorage" in script
    assert "localStorage." not in script and "sessionStorage" not in script
