"""/log/verify/ hashes one file per request, within a bounded body (issue 17, item 12).

The no-JavaScript form uploads the file for the server to hash. Before, a request could carry
any number of files (each hashed, up to 512 MiB apiece): one anonymous POST cost the server as
much hashing as it liked. Now the body is bounded before it is read (413) and a second file
stops the upload (400), each with a page in the reader's language."""

import io

import pytest


def upload(name: str, data: bytes) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


@pytest.mark.django_db
def test_two_files_in_one_request_are_refused_in_the_readers_language(client):
    response = client.post("/en/log/verify/", {"file": [upload("a", b"a"), upload("b", b"b")]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "One file at a time" in html and 'id="answer"' not in html
    response = client.post("/log/verify/", {"file": upload("a", b"a"), "other": upload("b", b"b")})
    assert response.status_code == 400
    assert "一次只能核验一个文件" in response.content.decode()
    response = client.post("/zh-hant/log/verify/", {"file": [upload("a", b"a")] * 2})
    assert response.status_code == 400 and "一次只能核驗一個檔案" in response.content.decode()
    # One file is answered as before.
    response = client.post("/en/log/verify/", {"file": upload("a", b"a")})
    assert response.status_code == 200
    assert "Not in the newsroom&#x27;s public log" in response.content.decode()


@pytest.mark.django_db
def test_an_oversized_body_is_refused_before_it_is_read(client, settings):
    settings.JIANDU_VERIFY_UPLOAD_MAX_BYTES = 4096
    response = client.post("/en/log/verify/", {"file": upload("big", b"x" * 8192)})
    assert response.status_code == 413
    html = response.content.decode()
    assert "too large" in html and "Not in the log" not in html
    response = client.post("/log/verify/", {"file": upload("big", b"x" * 8192)})
    assert response.status_code == 413 and "文件太大" in response.content.decode()
    # A file within the bound is hashed.
    response = client.post("/en/log/verify/", {"file": upload("small", b"x" * 1024)})
    assert response.status_code == 200
    assert "Not in the newsroom&#x27;s public log" in response.content.decode()
