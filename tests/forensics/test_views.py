"""The workbench's pages: a signed-in reader's report shows the findings (GPS and serial as red
warnings, numbers only, no map), the checklist records entries and shows the derived status,
and "have we received this before?" finds a file without storing it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics.models import Analysis, CheckEntry
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import run_tasks, sign_in_and_analyse
from tests.forensics.test_metadata import exif_photo
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(isolated_data_dir, django_capture_on_commit_callbacks):
    member, _ = make_reader()
    photo = exif_photo()
    submit(
        Client(),
        message="see",
        when="2024-05-01",
        files=[SimpleUploadedFile("photo.jpg", photo, "image/jpeg")],
    )
    client = sign_in_and_analyse(member, django_capture_on_commit_callbacks)
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    assert Analysis.objects.get(item=item).state == Analysis.State.DONE
    return member, client, item, photo


def test_report_shows_red_gps_and_serial_warnings_without_a_map(analysed):
    _member, client, item, _photo = analysed
    page = client.get(f"/en/newsroom/forensics/items/{item.pk}/").content.decode()
    assert 'class="finding-red" data-code="gps"' in page
    assert 'class="finding-red" data-code="serial"' in page
    assert "29.56, 106.5" in page and "SN-0123456789" in page
    assert "openstreetmap" not in page.lower() and "maps.google" not in page.lower()
    assert 'data-status="unverified"' in page


def test_checklist_entries_derive_the_status(analysed):
    member, client, item, _photo = analysed
    url = f"/en/newsroom/forensics/items/{item.pk}/"
    client.post(
        url,
        {"topic": "origin", "origin-outcome": "confirmed", "origin-note": "called the source"},
    )
    page = client.get(url).content.decode()
    assert 'data-status="partly"' in page and "called the source" in page
    for topic in CheckEntry.Topic.values:
        client.post(url, {"topic": topic, f"{topic}-outcome": "confirmed", f"{topic}-note": ""})
    assert 'data-status="verified"' in client.get(url).content.decode()
    assert CheckEntry.objects.filter(item=item, author=member.user).count() == 6


def test_lookup_finds_a_file_we_received_and_stores_nothing(analysed):
    _member, client, _item, photo = analysed
    count = Analysis.objects.count()
    page = client.post(
        "/en/newsroom/forensics/lookup/",
        {"file": SimpleUploadedFile("again.jpg", photo, "image/jpeg")},
    ).content.decode()
    assert "Identical to file photo.jpg from source" in page
    assert Analysis.objects.count() == count


def test_a_member_without_a_grant_gets_no_report(analysed):
    _member, _client, item, _photo = analysed
    other = make_member("outsider", "journalist")
    client = Client()
    sign_in(client, other)
    assert client.get(f"/en/newsroom/forensics/items/{item.pk}/").status_code == 403


def test_files_arriving_while_signed_in_are_handed_over_by_the_inbox(analysed):
    _member, client, _item, _photo = analysed
    submit(
        Client(), message="more", files=[SimpleUploadedFile("b.jpg", exif_photo(80), "image/jpeg")]
    )
    newest = Item.objects.filter(kind=Item.Kind.FILE).latest("pk")
    assert not Analysis.objects.filter(item=newest).exists()
    page = client.get("/en/newsroom/sources/").content.decode()
    assert not Analysis.objects.filter(item=newest).exists()  # a GET hands nothing over
    assert 'id="hand-new-files"' in page and "data-auto-submit" in page  # its form does
    assert "/en/newsroom/forensics/lookup/" in page  # the newsroom's menu links the lookup
    response = client.post("/en/newsroom/sources/hand-new-files/", HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 204
    assert Analysis.objects.get(item=newest).state == Analysis.State.PENDING
    assert 'id="hand-new-files"' not in client.get("/en/newsroom/sources/").content.decode()
    run_tasks()
    source_page = client.get(f"/en/newsroom/sources/{newest.source_id}/").content.decode()
    assert f"/en/newsroom/forensics/items/{newest.pk}/" in source_page


def test_the_decrypted_index_leaves_memory_at_sign_out(analysed):
    from jiandu.forensics import index

    member, client, item, _photo = analysed
    client.get(f"/en/newsroom/forensics/items/{item.pk}/")
    assert member.user.pk in index._cache
    client.post("/en/newsroom/sign-out/")
    assert member.user.pk not in index._cache
