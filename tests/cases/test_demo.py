"""The demo case: loaded twice without change, published, with the 63-hour metric."""

import pytest

from jiandu.cases.demo import SLUG, load_demo_case
from jiandu.cases.models import Case, CaseStatus, Revision
from jiandu.cases.published import case_metrics_from_snapshot

pytestmark = pytest.mark.django_db


def test_demo_is_published_with_history_and_idempotent():
    load_demo_case()
    assert load_demo_case() == "the Chongqing case is already loaded"
    case = Case.objects.get(slug=SLUG)
    assert case.status == CaseStatus.PUBLISHED
    assert list(Revision.objects.filter(case=case).values_list("number", flat=True)) == [1, 2]
    snapshot = case.current_revision.snapshot
    values = [[v["value"]["zh"] for v in c["versions"]] for c in snapshot["claims"]]
    assert ["5", "10", "11"] in values
    assert ["63小时", "三天"] in values
    metrics = case_metrics_from_snapshot(snapshot)
    assert metrics.to_removal.text() == "63 hours"
    assert metrics.to_confirmation.text() == "63 hours"
    assert metrics.to_first_response.text() == "about 1 day"
    assert metrics.officials_still_in_post == ()
    # The demo follows the two-person rule: nobody publishes a version they changed, the
    # editor who attached the evidence included.
    first, second = Revision.objects.filter(case=case).order_by("number")
    evidence_adder = case.evidence.get().added_by
    assert evidence_adder in first.editors.all()
    for revision in (first, second):
        assert revision.publisher not in revision.editors.all()
        assert revision.publisher != revision.author
    # The demo's members of record cannot sign in.
    assert not case.created_by.is_active and not case.created_by.has_usable_password()


def test_demo_evidence_is_synthetic_png_without_metadata():
    load_demo_case()
    evidence = Case.objects.get(slug=SLUG).evidence.get()
    data = evidence.file.read()
    assert data.startswith(b"\x89PNG")
    assert b"tEXt" not in data and b"eXIf" not in data and b"iCCP" not in data
    import hashlib

    assert hashlib.sha256(data).hexdigest() == evidence.sha256
