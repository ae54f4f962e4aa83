"""Issue 17, item 9: a refused submission (a required answer missing) emptied the session's
finished uploads and orphaned their parts, and left the message it had already encrypted on
disk. Now everything is checked before anything is prepared or taken: the uploads stay listed
and sendable, and no new part is left behind."""

import hashlib

import pytest

from jiandu.tipline.models import Question, QuestionnaireVersion
from jiandu.vault import actions as vault
from jiandu.vault import storage
from jiandu.vault.models import Submission
from tests.tipline.test_tus import DATA, create, patch, session

pytestmark = pytest.mark.django_db


def _require_an_answer() -> None:
    """A live questionnaire whose one question is required (written as the approved version
    would be, whatever the designer's review steps)."""
    latest = QuestionnaireVersion.objects.order_by("-number").first()
    fields = {f.name for f in QuestionnaireVersion._meta.get_fields()}
    extra = {"state": "live"} if "state" in fields else {}
    version = QuestionnaireVersion.objects.create(
        number=(latest.number + 1) if latest else 1, created_hour=vault.hour_now(), **extra
    )
    Question.objects.create(
        version=version,
        key="who",
        kind="short",
        required=True,
        group=1,
        order=0,
        label_en="Who took part?",
        label_zh_hans="谁参与了？",
        label_zh_hant="誰參與了？",
    )


def _parts() -> set[str]:
    return {p.name for p in storage.incoming_dir().iterdir() if p.is_file()}


def test_a_refused_submission_keeps_the_finished_uploads_listed():
    client, headers = session()
    _require_an_answer()
    url = create(client, headers, name="whole.bin")["Location"]
    assert patch(client, headers, url, 0, DATA).status_code == 204
    parts_before = _parts()
    form = {"csrfmiddlewaretoken": headers["X-CSRFToken"], "uploads": url, "style": "en"}

    refused = client.post("/en/submit/", {**form, "message": "a tip"})
    assert refused.status_code == 200
    assert "required questions on page 1" in refused.content.decode()
    page = client.get("/en/submit/").content.decode()
    assert f'name="uploads" value="{url}"' in page  # still listed, still ticked to send
    assert _parts() == parts_before  # the upload's part is kept, nothing new was left
    assert not Submission.objects.exists()

    sent = client.post("/en/submit/", {**form, "message": "a tip", "who": "Lei"})
    assert sent.status_code == 302
    assert hashlib.sha256(DATA).hexdigest() in client.get("/en/receipt/").content.decode()
