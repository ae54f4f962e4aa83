"""Without the sandbox, a submitted file is kept but not analysed, and the newsroom says why;
with the weak sandbox allowed, the newsroom warns on every page that shows previews."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import handoff
from jiandu.forensics.models import Preview
from jiandu.sandbox import isolation, runner
from jiandu.vault.models import Item, Source
from tests.forensics.conftest import run_tasks
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_bubblewrap(monkeypatch):
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    runner.forget_probe()
    yield
    runner.forget_probe()


@pytest.fixture
def photo_of_a_source(media):
    _member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    files = [SimpleUploadedFile("photo.jpg", media["photo.jpg"], "image/jpeg")]
    assert submit(Client(), message="照片", files=files).status_code == 302
    source = Source.objects.get()
    return client, source, source.items.get(kind=Item.Kind.FILE)


def ask_preview(client, source, item, capture) -> str:
    handoff.start_worker_key()
    page = f"/en/newsroom/sources/{source.pk}/items/{item.pk}/preview/"
    with capture(execute=True):
        client.post(page)
    run_tasks()
    return client.get(page).content.decode()


def test_without_the_sandbox_the_file_is_kept_and_not_analysed(
    settings, no_bubblewrap, photo_of_a_source, django_capture_on_commit_callbacks
):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    client, source, item = photo_of_a_source
    page = ask_preview(client, source, item, django_capture_on_commit_callbacks)
    assert Preview.objects.get(item=item).state == Preview.State.FAILED
    assert "Could not be analysed: sandbox unavailable" in page
    assert "submitted files are kept but not analysed" in page  # the banner
    download = client.get(f"/en/newsroom/sources/{source.pk}/items/{item.pk}/")
    assert download.status_code == 200  # the file itself is kept


def test_the_weak_sandbox_is_announced_in_the_newsroom(
    settings, no_bubblewrap, photo_of_a_source, django_capture_on_commit_callbacks
):
    settings.JIANDU_SANDBOX_ALLOW_WEAK = True
    client, source, item = photo_of_a_source
    page = ask_preview(client, source, item, django_capture_on_commit_callbacks)
    assert Preview.objects.get(item=item).state == Preview.State.READY
    assert "the sandbox is weakened on this server" in page
    source_page = client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert "the sandbox is weakened on this server" in source_page


def test_no_warning_when_the_sandbox_works(photo_of_a_source):
    client, source, _item = photo_of_a_source
    runner.forget_probe()
    page = client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert "sandbox-warning" not in page
