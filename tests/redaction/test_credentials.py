"""Content Credentials: a published derivative carries a C2PA manifest that c2pa-python reads
back, whose signature verifies (trusted when the newsroom's CA is the anchor, "untrusted"
otherwise, as outside validators will say of a self-made certificate), with C2PA's actions and
the original as a parentOf ingredient known only by its hash."""

import hashlib

import pytest

from jiandu.cases import actions as cases
from jiandu.redaction import credentials
from jiandu.redaction.actions import do_publish_evidence
from tests.factories import make_member
from tests.redaction.helpers import rendered
from tests.redaction.test_image import astronaut_jpeg

pytestmark = pytest.mark.django_db


def publish(settings, isolated_data_dir, data: bytes, fmt: str = "jpeg"):
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    editor = make_member("e", "editor").user
    case = cases.do_create_case(editor, title_en="Case")
    evidence = do_publish_evidence(case, editor, rendered(editor, data, fmt=fmt), "verified")
    return evidence, evidence.file.read()


def test_a_published_image_carries_signed_credentials(settings, isolated_data_dir):
    original = astronaut_jpeg()
    evidence, published = publish(settings, isolated_data_dir, original)
    assert hashlib.sha256(published).hexdigest() == evidence.sha256  # the hash covers them
    anchors = credentials.ensure_credentials().anchor
    store = credentials.read(published, "image/jpeg", anchors)
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    manifest = store["manifests"][store["active_manifest"]]
    actions = [
        action["action"]
        for assertion in manifest["assertions"]
        if assertion["label"].startswith("c2pa.actions")
        for action in assertion["data"]["actions"]
    ]
    assert actions[0] == "c2pa.opened" and "c2pa.filtered" in actions  # the face blurred
    assert actions[-2:] == ["c2pa.transcoded", "c2pa.published"]
    assert "c2pa.redacted" not in actions
    (ingredient,) = manifest["ingredients"]
    assert ingredient["relationship"] == "parentOf"
    assert ingredient["instance_id"] == f"sha256:{hashlib.sha256(original).hexdigest()}"
    assert "thumbnail" not in ingredient and "manifest_data" not in ingredient
    assert b"LeakyCam" not in published and b"Insider" not in published


def test_outside_validators_see_a_self_made_certificate_as_untrusted(settings, isolated_data_dir):
    _evidence, published = publish(settings, isolated_data_dir, astronaut_jpeg(), fmt="png")
    store = credentials.read(published, "image/png")
    codes = [status["code"] for status in store.get("validation_status", [])]
    assert codes == ["signingCredential.untrusted"]  # the signature itself verifies


def test_a_changed_pixel_breaks_the_credentials(settings, isolated_data_dir):
    _evidence, published = publish(settings, isolated_data_dir, astronaut_jpeg(), fmt="png")
    anchors = credentials.ensure_credentials().anchor
    tampered = bytearray(published)
    position = published.index(b"IDAT") + 40
    tampered[position] ^= 0xFF
    store = credentials.read(bytes(tampered), "image/png", anchors)
    codes = [status["code"] for status in store.get("validation_status", [])]
    assert store["validation_state"] != "Trusted" and any("mismatch" in c for c in codes), codes


def test_the_certificate_is_made_once_and_kept_private(settings, isolated_data_dir):
    first = credentials.ensure_credentials()
    assert credentials.ensure_credentials() == first
    key = isolated_data_dir / "c2pa" / "key.pem"
    assert key.stat().st_mode & 0o077 == 0
