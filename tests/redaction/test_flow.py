"""A render from request to publication: the journalist's form (no JavaScript), the worker with
the handed-over keys, the derivative encrypted at rest, side by side, the editor's publication
to a case, and the public page with the derivative's hash and what was done to it."""

import hashlib
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jiandu.cases import actions as cases
from jiandu.core import taskqueue
from jiandu.forensics import handoff
from jiandu.ledger.models import Action, CustodyRecord
from jiandu.redaction import actions, storage, tasks
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import run_tasks
from tests.redaction.test_image import FACE, astronaut_jpeg, lbp_faces, overlaps
from tests.tipline.helpers import submit
from tests.vault.test_marker import encodings

pytestmark = pytest.mark.django_db


def newsroom_with_file(data: bytes):
    editor = make_member("ed", "editor")
    client = Client()
    sign_in(client, editor)  # unlocks the member key: the new source is granted to them
    submit(
        Client(), message="see file", files=[SimpleUploadedFile("IMG_1.jpg", data, "image/jpeg")]
    )
    source = Source.objects.get()
    private = vault.do_unlock_member_key(editor.user, editor.password).private_key
    source_key = get_source_key_for_member(editor.user, private, source)
    return editor, client, source_key, source.items.get(kind=Item.Kind.FILE)


def test_render_in_the_worker_is_encrypted_and_never_touches_the_original(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    original = astronaut_jpeg()
    editor, _client, source_key, item = newsroom_with_file(original)
    blob_before = item.blob
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    task = DBTaskResult.objects.get()
    item_key = crypto.unseal(source_key, bytes(item.sealed_key))
    queued = repr(task.args_kwargs).encode()
    assert not any(form in queued for form in encodings(item_key) + encodings(source_key))
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.DONE and render.progress == 100
    # At rest: the blob is a vault stream, the record's meta a secretbox.
    with storage.store().open(render.blob) as handle:
        stored = handle.read()
    assert stored.startswith(crypto.MAGIC) and b"\xff\xd8\xff" not in stored[:64]
    opened = actions.open_render(source_key, render)
    derivative = opened.data()
    assert derivative.startswith(b"\xff\xd8\xff")
    assert not any(overlaps(box, FACE) for box in lbp_faces(derivative))
    assert opened.meta["hidden_faces"] == 1 and opened.meta["original_sha256"]
    assert opened.meta["treatment_en"].startswith("1 face blurred")
    item.refresh_from_db()
    assert item.blob == blob_before


def test_a_journalist_renders_compares_and_an_editor_publishes(
    isolated_data_dir, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor, client, _source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    page = client.get(f"/en/newsroom/redaction/items/{item.pk}/")
    assert page.status_code == 200 and "<script" not in page.content.decode().split("<main")[-1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/newsroom/redaction/items/{item.pk}/",
            {"faces": "on", "effect": "pixelate", "edge": "320", "audio": "keep"},
        )
    assert response.status_code == 302
    render = Render.objects.get()
    waiting_response = client.get(response["Location"])
    waiting = waiting_response.content.decode()
    assert waiting_response["Refresh"] == "2" and "<progress" in waiting and "Cancel" in waiting
    assert "Refresh" not in client.get(response["Location"] + "?still=1")
    run_tasks()
    done_response = client.get(response["Location"])
    done = done_response.content.decode()
    assert "Refresh" not in done_response
    assert f"/en/newsroom/redaction/renders/{render.pk}/output/" in done  # side by side
    assert "/preview/0/" in done and "Face 1" in done
    # What was done, in the reader's language and script (it was English on every page).
    assert '<p id="treatment">1 face pixelated,' in done
    for prefix, words in (("", "马赛克"), ("/zh-hant", "馬賽克")):
        shown = client.get(f"{prefix}/newsroom/redaction/renders/{render.pk}/").content.decode()
        treatment = shown.split('<p id="treatment">')[1].split("</p>")[0]
        assert words in treatment and "pixelated" not in treatment
    studio = client.get(f"/newsroom/redaction/items/{item.pk}/").content.decode()
    assert f"渲染 {render.pk}</a> · 已完成" in studio  # the state too (it read "Done")
    looked = CustodyRecord.objects.filter(subject=f"item:{item.pk}", reason="redaction derivative")
    assert not looked.exists()
    image = client.get(f"/en/newsroom/redaction/renders/{render.pk}/output/")
    assert image["Content-Type"] == "image/jpeg" and image.content.startswith(b"\xff\xd8\xff")
    assert "no-store" in image["Cache-Control"]
    assert looked.get().action == Action.VIEW and looked.get().actor == editor.user

    writer = make_member("w", "journalist").user
    case = cases.do_create_case(writer, title_en="A case", summary_en="ready")
    response = client.post(
        f"/en/newsroom/redaction/renders/{render.pk}/publish/",
        {"case": case.pk, "caption_en": "The frame", "caption_zh": "画面"},
    )
    assert response.status_code == 302
    evidence = case.evidence.get()
    assert evidence.render == render.reference and evidence.derived_from == f"item:{item.pk}"
    assert "face pixelated" in evidence.treatment_en and "马赛克" in evidence.treatment_zh
    cases.do_update_case(writer, case, summary_en="ready to go")
    cases.do_submit_for_review(writer, case, "First")
    cases.do_publish_case(make_member("e2", "editor").user, case)  # not who attached it
    html = Client().get(f"/en/cases/{case.slug}/").content.decode()
    assert evidence.sha256 in html and "1 face pixelated" in html
    assert "Not yet verified" in html  # the workbench's derived status: nothing checked yet


def test_other_members_and_signed_out_visitors_cannot_open_a_render(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    editor, _client, source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    run_tasks()
    url = f"/en/newsroom/redaction/renders/{render.pk}/output/"
    assert Client().get(url).status_code == 302  # to the sign-in
    other = Client()
    sign_in(other, make_member("late", "journalist"))  # no grant for this source
    assert other.get(url).status_code == 403
    assert other.post(f"/en/newsroom/redaction/renders/{render.pk}/publish/").status_code == 403


def test_cancel_before_the_worker_starts(isolated_data_dir, django_capture_on_commit_callbacks):
    editor, client, source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    response = client.post(f"/en/newsroom/redaction/renders/{render.pk}/cancel/")
    assert response.status_code == 302
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.CANCELLED and not render.blob


def test_a_render_that_is_not_done_cannot_be_published(isolated_data_dir):
    from django.core.exceptions import PermissionDenied

    editor, _client, source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    case = cases.do_create_case(editor.user, title_en="A case")
    with pytest.raises(PermissionDenied):
        actions.do_publish_render(editor.user, source_key, render, case)
    assert not case.evidence.exists()


def test_a_video_clip_is_published_with_what_was_done_to_it(
    isolated_data_dir, settings, tmp_path, django_capture_on_commit_callbacks
):
    from tests.redaction.media import faces_video

    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    video = faces_video(tmp_path / "v.mp4", 320, 240, 10, 5)
    editor, client, source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    recipe = parse({"kind": "video", "ranges": [[1, 3]], "audio": "mute"})
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, recipe)
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.DONE and render.progress == 100
    page = client.get(f"/en/newsroom/redaction/renders/{render.pk}/").content.decode()
    assert "<video" in page
    # The tracks by number, with the moment each was first seen in the original.
    assert "Face 1 at" in page and "first seen at 00:00:01" in page and "Faces left visible" in page
    assert 'value="00:00:01-00:00:03"' in page  # "render again" keeps the clip (and its faces)
    writer = make_member("w", "journalist").user
    case = cases.do_create_case(writer, title_en="A case", summary_en="ready")
    evidence = actions.do_publish_render(editor.user, source_key, render, case)
    assert evidence.content_type == "video/mp4" and (evidence.width, evidence.height) == (320, 240)
    assert evidence.treatment_en.startswith("clip 00:00:01–00:00:03")
    assert "audio removed" in evidence.treatment_en
    cases.do_update_case(writer, case, summary_en="ready to go")
    cases.do_submit_for_review(writer, case, "First")
    cases.do_publish_case(make_member("e2", "editor").user, case)  # not who attached it
    html = Client().get(f"/en/cases/{case.slug}/").content.decode()
    assert "<video" in html and evidence.sha256 in html and "audio removed" in html
    name = evidence.file.name.rsplit("/", 1)[-1]
    served = Client().get(f"/cases/evidence/{name}")
    assert served["Content-Type"] == "video/mp4"
    # Content Credentials on the video too, with the clip and the removed audio declared.
    from jiandu.redaction import credentials

    published = b"".join(served.streaming_content)
    store = credentials.read(published, "video/mp4", credentials.ensure_credentials().anchor)
    assert store["validation_state"] == "Trusted"
    manifest = store["manifests"][store["active_manifest"]]
    described = [
        action.get("description", "")
        for assertion in manifest["assertions"]
        if assertion["label"].startswith("c2pa.actions")
        for action in assertion["data"]["actions"]
    ]
    assert "clip 00:00:01-00:00:03" in described and "audio removed" in described
    probe = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         "-"], input=published, capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert abs(float(probe) - 2) < 0.3  # still a playable two-second clip


def test_cancel_while_the_worker_renders_stops_the_tool(
    isolated_data_dir, tmp_path, django_capture_on_commit_callbacks
):
    from tests.redaction.media import faces_video

    video = faces_video(tmp_path / "v.mp4", 320, 240, 10, 5)
    editor, _client, source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "video"}))
    # Pressed while it runs: the worker's first progress report finds it and stops the tool.
    Render.objects.filter(pk=render.pk).update(cancel_requested=True)
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.CANCELLED and not render.blob and not render.output_sha256


def test_a_render_whose_worker_stopped_says_so_and_stops_reloading(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    from jiandu.forensics.actions import do_retire_worker

    editor, client, source_key, item = newsroom_with_file(astronaut_jpeg())
    worker = handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    do_retire_worker(handoff.stop_worker_key() or worker.pk)
    page = client.get(f"/en/newsroom/redaction/renders/{render.pk}/")
    assert "Refresh" not in page and 'id="expired"' in page.content.decode()
    render.refresh_from_db()
    assert render.state == Render.State.PENDING  # shown expired; a GET writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_orphaned_renders.call() == 1  # the sweep writes it
    render.refresh_from_db()
    assert render.state == Render.State.EXPIRED and render.finished
    assert taskqueue.is_waiting(tasks.SWEEP_PATH)  # and enqueued its next run


def test_a_render_running_when_its_worker_was_killed_expires(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    """Killed mid-render (no goodbye, the key row stays): once the key has not been seen for
    handoff.STALE, the render reads as expired at once, and the sweep or the next start
    writes it; a page never writes it (issue 20, item 6: no writes on GET)."""
    from datetime import timedelta

    from django.utils import timezone

    from jiandu.forensics.models import WorkerKey
    from jiandu.redaction.apps import RedactionConfig

    editor, client, source_key, item = newsroom_with_file(astronaut_jpeg())
    worker = handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
        second = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    Render.objects.filter(pk__in=[first.pk, second.pk]).update(state=Render.State.RUNNING)
    assert actions.do_expire_orphaned_renders() == 0  # the worker is alive: leave them
    page = client.get(f"/en/newsroom/redaction/renders/{first.pk}/")
    assert page["Refresh"] == "2"
    WorkerKey.objects.filter(pk=worker.pk).update(seen=timezone.now() - handoff.STALE * 2)
    page = client.get(f"/en/newsroom/redaction/renders/{first.pk}/")
    assert "Refresh" not in page and 'id="expired"' in page.content.decode()
    listing = client.get("/en/newsroom/redaction/").content.decode()
    assert listing.count("expired") >= 2
    # Shown, not written: both are still running in the database until the sweep.
    assert Render.objects.filter(state=Render.State.RUNNING).count() == 2
    message = RedactionConfig.on_serve(None)
    assert "2 render(s)" in message
    assert Render.objects.get(pk=second.pk).state == Render.State.EXPIRED
    assert not Render.objects.filter(state=Render.State.RUNNING).exists()
    # A finished render is never touched.
    Render.objects.filter(pk=first.pk).update(state=Render.State.DONE)
    WorkerKey.objects.filter(pk=worker.pk).update(seen=timezone.now() - timedelta(days=1))
    assert actions.do_expire_orphaned_renders() == 0


def test_the_format_is_chosen_in_the_form(isolated_data_dir, django_capture_on_commit_callbacks):
    _editor, client, _source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    page = client.get(f"/en/newsroom/redaction/items/{item.pk}/").content.decode()
    assert 'name="format"' in page and 'value="webp"' in page and 'value="webm"' not in page
    assert 'name="ranges"' not in page  # not for an image
    assert 'name="terms"' in page  # a photo of a page is read by OCR (issue 21, part 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/newsroom/redaction/items/{item.pk}/",
            {"faces": "on", "effect": "blur", "edge": "320", "format": "webp"},
        )
    assert response.status_code == 302
    run_tasks()
    render = Render.objects.get()
    image = client.get(f"/en/newsroom/redaction/renders/{render.pk}/output/")
    assert image["Content-Type"] == "image/webp" and image.content[8:12] == b"WEBP"
    again = client.get(f"/en/newsroom/redaction/renders/{render.pk}/").content.decode()
    assert '<option value="webp" selected>' in again  # the form starts from the last recipe
    refused = client.post(
        f"/en/newsroom/redaction/items/{item.pk}/", {"faces": "on", "format": "gif"}
    )
    assert refused.status_code == 400 and Render.objects.count() == 1


def test_the_form_offers_what_each_kind_can_be():
    from jiandu.redaction.forms import RecipeForm

    video = RecipeForm(kind="video")
    assert [value for value, _label in video.fields["format"].choices] == ["mp4", "webm"]
    assert {"ranges", "audio", "stills"} <= set(video.fields) and "crop" not in video.fields
    pdf = RecipeForm(kind="pdf")
    assert set(pdf.fields) == {"boxes", "terms"}
    webm = RecipeForm({"faces": "on", "effect": "blur", "audio": "mute", "format": "webm"},
                      kind="video")  # fmt: skip
    assert webm.is_valid(), webm.errors
    assert webm.cleaned_data["recipe"].format == "webm"


def test_a_tampered_original_gives_a_failed_render_and_no_derivative(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    """The original is decrypted chunk by chunk into the sandbox's memory file: a chunk that
    does not authenticate stops it there, and the render fails with nothing stored."""
    from jiandu.vault import storage as vault_storage

    original = astronaut_jpeg()
    editor, _client, source_key, item = newsroom_with_file(original)
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        good = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    run_tasks()
    good.refresh_from_db()
    assert good.state == Render.State.DONE
    opened = actions.open_render(source_key, good)
    assert opened.meta["original_sha256"] == hashlib.sha256(original).hexdigest()

    path = vault_storage.blob_path(item.blob)
    stored = bytearray(path.read_bytes())
    stored[len(stored) // 2] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(stored))
    with django_capture_on_commit_callbacks(execute=True):
        bad = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    run_tasks()
    bad.refresh_from_db()
    assert bad.state == Render.State.FAILED and not bad.blob and not bad.output_sha256
