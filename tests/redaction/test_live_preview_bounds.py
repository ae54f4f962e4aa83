"""The live preview's cost to the web process (issue 17, item 12): the original goes into the
sandbox chunk by chunk, never whole into the web process's memory, and a member has one
preview being made at a time (a second answers 429 until the first is done)."""

import tracemalloc

import pytest
from django.utils import translation

from jiandu.accounts.models import User
from jiandu.redaction import actions
from tests.redaction.test_image import astronaut_jpeg
from tests.redaction.test_live_preview import FORM, newsroom_with

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def test_a_40_mib_original_is_never_whole_in_the_web_process(isolated_data_dir):
    # A real photo, then 40 MiB after its end marker: a viewer shows the photo, the sandbox
    # must still receive every byte.
    original = astronaut_jpeg() + bytes(40 * MIB)
    client, item = newsroom_with(original, "IMG_2.jpg", "image/jpeg")
    del original
    tracemalloc.start()
    try:
        response = client.post(f"/en/newsroom/redaction/items/{item.pk}/frame/", FORM)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    # Joined, the original alone is 40 MiB (and was 80 with its list of chunks).
    assert peak < 8 * MIB, f"{peak / MIB:.1f} MiB"


def test_a_members_second_preview_waits_for_the_first(isolated_data_dir):
    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    url = f"/en/newsroom/redaction/items/{item.pk}/frame/"
    member = User.objects.get(username="ed")
    # The first preview is being made (in another thread or process): it holds the slot.
    with actions.one_preview_per_member(member):
        busy = client.post(url, FORM)
        assert busy.status_code == 429
        assert busy["Retry-After"] == "2"
        assert busy.content.decode() == "A preview is already being made."
        chinese = client.post(f"/newsroom/redaction/items/{item.pk}/frame/", FORM)
        assert chinese.status_code == 429
        with translation.override("zh-hans"):
            assert chinese.content.decode() == translation.gettext(
                "A preview is already being made."
            )
        assert chinese.content.decode() != "A preview is already being made."
    # Done: the next one is made, and each preview gives the slot back, made or not.
    assert client.post(url, FORM).status_code == 200
    assert client.post(url, FORM).status_code == 200


def test_a_preview_that_fails_gives_its_slot_back(isolated_data_dir, monkeypatch):
    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    url = f"/en/newsroom/redaction/items/{item.pk}/frame/"
    monkeypatch.setattr(actions, "PREVIEW_MAX_BYTES", 10_000)  # too large: the sandbox refuses
    assert client.post(url, FORM).status_code == 422
    monkeypatch.undo()
    assert client.post(url, FORM).status_code == 200
