"""Publication is one action with one transaction (issue 20, item 4): the evidence and the
custody record of the item it was made from are written together, or neither is."""

import pytest

from jiandu.cases import actions as cases
from jiandu.forensics import handoff
from jiandu.ledger.models import Action, CustodyRecord
from jiandu.redaction import actions
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from tests.forensics.conftest import run_tasks
from tests.redaction.test_flow import newsroom_with_file
from tests.redaction.test_image import astronaut_jpeg

pytestmark = pytest.mark.django_db


def finished_render(django_capture_on_commit_callbacks):
    editor, _client, source_key, item = newsroom_with_file(astronaut_jpeg())
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, parse({"kind": "image"}))
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.DONE
    return editor, source_key, item, render


def exports_of(item) -> int:
    return CustodyRecord.objects.filter(action=Action.EXPORT, subject=f"item:{item.pk}").count()


def test_without_its_custody_record_the_evidence_is_not_attached(
    isolated_data_dir, monkeypatch, django_capture_on_commit_callbacks
):
    editor, source_key, item, render = finished_render(django_capture_on_commit_callbacks)
    case = cases.do_create_case(editor.user, title_en="A case")

    def custody_fails(*args, **kwargs):
        raise RuntimeError("the custody log is unavailable")

    monkeypatch.setattr(actions, "do_record_custody", custody_fails)
    with pytest.raises(RuntimeError):
        actions.do_publish_render(editor.user, source_key, render, case)
    assert not case.evidence.exists()
    monkeypatch.undo()
    evidence = actions.do_publish_render(editor.user, source_key, render, case)
    assert case.evidence.get() == evidence and exports_of(item) == 1
