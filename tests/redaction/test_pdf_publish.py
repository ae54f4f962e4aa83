"""A redacted PDF published to a case: the case desk takes a PDF render of the studio (its
bytes checked against the record, its first and last markers checked, nothing parsed), the
public page links it for download with its SHA-256 and what was done, the file is served as
an attachment, and the text under the redaction is not in it. Forged or broken PDFs are
refused."""

import dataclasses
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.cases import actions as cases
from jiandu.cases.evidence import Derivative, EvidenceError
from jiandu.forensics import handoff
from jiandu.redaction import actions
from jiandu.redaction.actions import do_publish_evidence
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import run_tasks
from tests.redaction.helpers import rendered_from_item
from tests.redaction.test_pdf import pdftotext, text_pdf
from tests.tipline.helpers import submit

pytestmark = pytest.mark.django_db


def newsroom_with_pdf():
    editor = make_member("ed", "editor")
    client = Client()
    sign_in(client, editor)
    submit(
        Client(),
        message="see file",
        files=[SimpleUploadedFile("minutes.pdf", text_pdf(), "application/pdf")],
    )
    source = Source.objects.get()
    private = vault.do_unlock_member_key(editor.user, editor.password).private_key
    source_key = get_source_key_for_member(editor.user, private, source)
    return editor, client, source_key, source.items.get(kind=Item.Kind.FILE)


def test_a_redacted_pdf_is_published_as_a_download_with_its_hash_and_treatment(
    isolated_data_dir, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor, _client, source_key, item = newsroom_with_pdf()
    handoff.start_worker_key()
    recipe = parse({"kind": "pdf", "terms": ["Zhang Wei"]})
    with django_capture_on_commit_callbacks(execute=True):
        render = actions.do_request_render(editor.user, source_key, item, recipe)
    run_tasks()
    render.refresh_from_db()
    assert render.state == Render.State.DONE
    writer = make_member("w", "journalist").user
    case = cases.do_create_case(writer, title_en="A case", summary_en="ready")
    evidence = actions.do_publish_render(editor.user, source_key, render, case)
    assert evidence.content_type == "application/pdf" and evidence.file.name.endswith(".pdf")
    assert evidence.treatment_en
    cases.do_update_case(writer, case, summary_en="ready to go")
    cases.do_submit_for_review(writer, case, "First")
    cases.do_publish_case(make_member("e2", "editor").user, case)  # not who attached it
    name = evidence.file.name.rsplit("/", 1)[-1]
    html = Client().get(f"/en/cases/{case.slug}/").content.decode()
    assert "Redacted document (PDF)" in html and f"/cases/evidence/{name}" in html
    assert evidence.sha256 in html and evidence.treatment_en in html
    assert "<img" not in html.split('id="evidence-h"')[1].split("</section>")[0]
    served = Client().get(f"/cases/evidence/{name}")
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment;")
    published = b"".join(served.streaming_content)
    assert published.startswith(b"%PDF-")
    import hashlib

    assert hashlib.sha256(published).hexdigest() == evidence.sha256
    assert "Zhang Wei" not in pdftotext(published)
    from jiandu.redaction import credentials

    store = credentials.read(published, "application/pdf", credentials.ensure_credentials().anchor)
    assert store["validation_state"] == "Trusted"  # Content Credentials signed into the PDF
    assert (
        subprocess.run(["/usr/bin/pdfinfo", "-"], input=published, capture_output=True).returncode
        == 0
    )


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",  # not a PDF at all
        b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n",  # cut short: no end-of-file marker
        b"%%EOF\n%PDF-1.4\n",  # markers in the wrong order
        b"  %PDF-1.4\n%%EOF\n",  # signature not first
        b"",
    ],
)
def test_a_pdf_render_that_is_not_a_whole_pdf_is_refused(isolated_data_dir, settings, data):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor, _client, _source_key, item = newsroom_with_pdf()
    case = cases.do_create_case(editor.user, title_en="A case", summary_en="ready")
    derivative = dataclasses.replace(
        rendered_from_item(editor.user, item, data),
        content_type="application/pdf",
        width=1275,
        height=1650,
    )
    with pytest.raises(EvidenceError):
        do_publish_evidence(case, editor.user, derivative, "unverified")
    assert not case.evidence.exists()


def test_a_pdf_not_produced_by_a_render_or_with_an_absurd_size_is_refused(
    isolated_data_dir, settings
):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor, _client, _source_key, item = newsroom_with_pdf()
    case = cases.do_create_case(editor.user, title_en="A case", summary_en="ready")
    good = b"%PDF-1.4\n%%EOF\n"
    record = rendered_from_item(editor.user, item, good)
    forged = Derivative(
        record.reference,
        record.original,
        good + b"x",
        content_type="application/pdf",
        width=10,
        height=10,
    )
    with pytest.raises(EvidenceError):
        do_publish_evidence(case, editor.user, forged, "unverified")
    for width, height in ((0, 10), (10, -1), (10**9, 10), (True, 10)):
        odd = dataclasses.replace(
            record, content_type="application/pdf", width=width, height=height
        )
        with pytest.raises(EvidenceError):
            do_publish_evidence(case, editor.user, odd, "unverified")
    accepted = dataclasses.replace(record, content_type="application/pdf", width=10, height=10)
    evidence = do_publish_evidence(case, editor.user, accepted, "unverified")
    assert evidence.content_type == "application/pdf" and evidence.size >= len(good)


def test_the_new_words_are_translated():
    from django.utils import translation

    for language in ("zh-hans", "zh-hant"):
        with translation.override(language):
            for text in ("Redacted document (PDF)", "The file is not a PDF we can publish."):
                assert translation.gettext(text) != text, (language, text)


def test_the_static_mirror_exports_a_published_pdf_and_links_it(
    isolated_data_dir, settings, tmp_path
):
    import hashlib

    from jiandu.public import mirror
    from jiandu.redaction import studio

    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor, _client, _source_key, item = newsroom_with_pdf()
    output = studio.render_pdf(parse({"kind": "pdf", "terms": ["Zhang Wei"]}), text_pdf())
    assert output.ok
    derivative = dataclasses.replace(
        rendered_from_item(editor.user, item, output.data),
        content_type="application/pdf",
        width=output.width,
        height=output.height,
    )
    writer = make_member("w", "journalist").user
    case = cases.do_create_case(writer, title_en="A case", summary_en="ready")
    evidence = do_publish_evidence(case, editor.user, derivative, "unverified")
    cases.do_update_case(writer, case, summary_en="ready to go")
    cases.do_submit_for_review(writer, case, "First")
    cases.do_publish_case(make_member("e2", "editor").user, case)  # not who attached it
    out = tmp_path / "mirror"
    result = mirror.export_mirror(out)
    name = evidence.file.name.rsplit("/", 1)[-1]
    assert f"cases/evidence/{name}" in set(result.files)
    exported = (out / "cases/evidence" / name).read_bytes()
    assert hashlib.sha256(exported).hexdigest() == evidence.sha256
    assert "Zhang Wei" not in pdftotext(exported)
    page = (out / "en/cases" / case.slug / "index.html").read_text()
    assert "Redacted document (PDF)" in page and name in page and evidence.sha256 in page
