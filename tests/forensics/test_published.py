"""Published derivatives: their fingerprints join the matching index (so "have we published this
before?" finds them), and a derivative of a vault item shows the status its checklist derives,
on the public record, instead of a status chosen by hand."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw

from jiandu.cases.actions import do_create_case
from jiandu.cases.snapshot import take_snapshot
from jiandu.forensics import actions, fingerprints, index
from jiandu.forensics.metadata import analyse_file
from jiandu.forensics.models import CheckEntry, PublishedFingerprint
from jiandu.redaction.actions import do_publish_evidence
from jiandu.vault import actions as vault
from jiandu.vault.models import Item, Source
from tests.factories import make_member
from tests.forensics.conftest import run_tasks
from tests.redaction.helpers import rendered_from_item
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db


def picture() -> bytes:
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    for n in range(12):
        draw.ellipse((n * 40, n * 30, n * 40 + 120, n * 30 + 90), fill=(n * 20, 90, 200 - n * 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_published_derivative_is_found_and_shows_the_derived_status(
    isolated_data_dir, django_capture_on_commit_callbacks, settings
):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    member, _client = make_reader()
    submit(Client(), message="m", files=[SimpleUploadedFile("a.png", picture(), "image/png")])
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    editor = make_member("editor", "editor")
    case = do_create_case(editor.user, title_en="A case", title_zh="案件")
    actions.do_record_check(member.user, item, CheckEntry.Topic.ORIGIN, "confirmed", "")
    with django_capture_on_commit_callbacks(execute=True):
        evidence = do_publish_evidence(
            case, editor.user, rendered_from_item(editor.user, item, picture()), "verified",
            caption_en="x",
        )  # fmt: skip
    assert evidence.verification_status == "partly"  # derived, not the hand-picked "verified"
    run_tasks()
    row = PublishedFingerprint.objects.get(reference=f"evidence:{evidence.pk}")
    assert row.sha256 == evidence.sha256

    # The published copy (re-encoded by the cases room) is found from the original picture.
    private = vault.do_unlock_member_key(member.user, member.password).private_key
    probe = fingerprints.from_report(analyse_file(io.BytesIO(picture()), "again.png"))
    found = index.find_matches(member.user, private, probe)
    assert [(label.kind, label.name) for _match, label in found] == [
        ("published", f"evidence:{evidence.pk}")
    ]

    # The checklist moves on: the working copy and the public record follow it.
    with django_capture_on_commit_callbacks(execute=True):
        for topic in CheckEntry.Topic.values:
            actions.do_record_check(member.user, item, topic, "confirmed", "")
    evidence.refresh_from_db()
    assert evidence.verification_status == "verified"
    snapshot = take_snapshot(case)
    assert snapshot["evidence"][0]["verification_status"] == "verified"
