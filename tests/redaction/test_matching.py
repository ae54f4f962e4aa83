"""Every render is indexed by the workbench: a copy of the derivative found later matches the
render, and the match names the original's file and source (for members who can read it)."""

import io

import pytest

from jiandu.forensics import fingerprints, handoff, index, report_text
from jiandu.forensics.metadata import analyse_file
from jiandu.redaction import actions
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from jiandu.vault import actions as vault
from tests.factories import make_member
from tests.forensics.conftest import run_tasks
from tests.redaction.test_flow import newsroom_with_file
from tests.redaction.test_image import astronaut_jpeg

pytestmark = pytest.mark.django_db


def test_a_derivative_found_later_is_linked_to_its_original(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    editor, _client, source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(
            editor.user, source_key, item, parse({"kind": "image", "edge": 320})
        )
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.DONE and render.fingerprint
    assert b"render" not in bytes(render.fingerprint)  # sealed
    derivative = actions.open_render(source_key, render).data()

    private = vault.do_unlock_member_key(editor.user, editor.password).private_key
    probe = fingerprints.from_report(analyse_file(io.BytesIO(derivative), "found-online.jpg"))
    found = index.find_matches(editor.user, private, probe)
    labels = [label for _match, label in found if label.render_id is not None]
    assert labels and labels[0].item_id == item.pk
    assert (labels[0].render_id, labels[0].render_kind, labels[0].name) == (
        render.pk,
        "image",
        "IMG_1.jpg",
    )
    assert report_text.match_name(
        labels[0].kind, labels[0].name, labels[0].render_id, labels[0].render_kind
    ) == (f"render {render.pk} (image) of IMG_1.jpg")

    # A member without a grant for the source gets nothing of it.
    other = make_member("late", "journalist")
    other_private = vault.do_unlock_member_key(other.user, other.password).private_key
    index.forget_member_index(other.user.pk)
    assert not index.find_matches(other.user, other_private, probe)
