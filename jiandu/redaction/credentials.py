"""Content Credentials (C2PA) on published derivatives, signed with the newsroom's certificate.

Each published image or video carries a C2PA manifest that says, in C2PA's own vocabulary,
what the newsroom did: `c2pa.opened` (the original, a `parentOf` ingredient known only by its
SHA-256: no title, thumbnail, metadata or manifest of the original is copied), `c2pa.filtered`
for blurred or pixelated regions, `c2pa.cropped`, `c2pa.transcoded` (always: every derivative
is re-encoded from pixels) and `c2pa.published`. (`c2pa.redacted` is not used: in C2PA it means
removing an assertion from a manifest, not pixels from a picture.)

The signing key and its certificate chain: by default made on this server at setup
(`ensure_credentials`, called by `jiandu serve` and at first use) under the data dir, `c2pa/`,
readable by the service only: a small CA and an ES256 signing certificate under it. Outside
validators read that as "signing certificate untrusted" (it is not on the C2PA trust list); a
newsroom that wants its credentials trusted configures a certificate from a CA on the trust
list with JIANDU_C2PA_CHAIN and JIANDU_C2PA_KEY (PEM files), and nothing else changes
(docs/redaction.md).

The library (c2pa-python, the Rust c2pa-rs underneath) reads the file it signs: only the
derivative, already re-encoded by the sandboxed workers and checked, never an original.
"""

from __future__ import annotations

import datetime
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ALGORITHM = b"es256"
GENERATOR = "Jiandu"


@dataclass(frozen=True)
class Credentials:
    chain: bytes  # PEM: the signing certificate first, then its CA
    key: bytes  # PEM PKCS#8
    anchor: bytes  # PEM: the CA this server made (empty for a configured certificate)


def _folder() -> Path:
    return Path(settings.DATA_DIR) / "c2pa"


def ensure_credentials() -> Credentials:
    """The configured certificate, or the one made here (made now when missing)."""
    chain_path = getattr(settings, "JIANDU_C2PA_CHAIN", "") or os.environ.get("JIANDU_C2PA_CHAIN")
    key_path = getattr(settings, "JIANDU_C2PA_KEY", "") or os.environ.get("JIANDU_C2PA_KEY")
    if chain_path and key_path:
        return Credentials(Path(chain_path).read_bytes(), Path(key_path).read_bytes(), b"")
    folder = _folder()
    files = [folder / name for name in ("chain.pem", "key.pem", "ca.pem")]
    if not all(path.exists() for path in files):
        _make(folder)
    chain, key, anchor = (path.read_bytes() for path in files)
    return Credentials(chain, key, anchor)


def _make(folder: Path) -> None:
    """A CA and an ES256 signing certificate (10 and 2 years), as C2PA expects of a signer:
    digital signature only, e-mail protection as extended use, not self-signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Jiandu newsroom"),
            ]
        )

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=not sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign,
            crl_sign=sign,
            encipher_only=False,
            decipher_only=False,
        )

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Jiandu newsroom CA"))
        .issuer_name(name("Jiandu newsroom CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("Jiandu newsroom content credentials"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for file_name, data in (
        ("key.pem", key_pem),
        ("chain.pem", signer.public_bytes(pem) + ca.public_bytes(pem)),
        ("ca.pem", ca.public_bytes(pem)),
    ):
        path = folder / file_name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    # The CA's private key is not kept: it signed one certificate and is no longer needed.


def actions_for(treatment: dict) -> list[dict]:
    """C2PA actions for what the studio did (`treatment`: hidden faces and regions, crop,
    clip, audio), after `c2pa.opened` of the original ingredient."""
    actions: list[dict] = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}}]
    hidden = int(treatment.get("hidden_faces", 0)) + int(treatment.get("regions", 0))
    if hidden:
        actions.append(
            {"action": "c2pa.filtered", "description": f"{hidden} region(s) blurred or pixelated"}
        )
    if treatment.get("cropped"):
        actions.append({"action": "c2pa.cropped"})
    if treatment.get("clip"):
        actions.append({"action": "c2pa.edited", "description": f"clip {treatment['clip']}"})
    if treatment.get("audio") == "mute":
        actions.append({"action": "c2pa.edited", "description": "audio removed"})
    if treatment.get("audio") == "disguise":
        actions.append({"action": "c2pa.filtered", "description": "voices pitch-shifted"})
    actions.append({"action": "c2pa.transcoded"})
    actions.append({"action": "c2pa.published"})
    return actions


def sign(data: bytes, content_type: str, original_sha256: str, treatment: dict) -> bytes:
    """`data` with a C2PA manifest embedded, signed with the newsroom's credentials."""
    import c2pa

    credentials = ensure_credentials()
    ingredient = {
        "label": "original",
        "title": "original",
        "relationship": "parentOf",
        "format": "application/octet-stream",
        "instance_id": f"sha256:{original_sha256}" if original_sha256 else "unknown",
    }
    manifest = {
        "claim_generator_info": [{"name": GENERATOR}],
        "title": "derivative",
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions_for(treatment)}}],
        "ingredients": [ingredient],
    }
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(ALGORITHM, credentials.chain, credentials.key, None)
    )
    output = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, content_type, io.BytesIO(data), output)
    return output.getvalue()


def read(data: bytes, content_type: str, anchors: bytes = b"") -> dict:
    """The manifest store as c2pa reads it (validation included); with `anchors` (PEM), those
    CAs are trusted, so a signature by this newsroom validates as trusted."""
    import c2pa

    context = None
    if anchors:
        context = c2pa.Context.from_dict(
            {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors.decode()}}
        )
    with c2pa.Reader(content_type, io.BytesIO(data), context=context) as reader:
        return json.loads(reader.json())


# What each C2PA action of `actions_for` means to a reader, as a key the public page words in
# its language (cases stores the keys, the page translates them; no English text is stored).
def _plain(action: dict) -> dict:
    code, description = action.get("action", ""), str(action.get("description", ""))
    if code == "c2pa.filtered":
        if "voice" in description:
            return {"key": "voice"}
        count = description.split(" ", 1)[0]
        return {"key": "hidden", "count": int(count) if count.isdigit() else 0}
    if code == "c2pa.edited" and description.startswith("clip "):
        return {"key": "clip", "detail": description[5:][:200]}
    if code == "c2pa.edited" and description == "audio removed":
        return {"key": "muted"}
    plain = {
        "c2pa.opened": "opened",
        "c2pa.cropped": "cropped",
        "c2pa.edited": "edited",
        "c2pa.transcoded": "transcoded",
        "c2pa.published": "published",
    }
    return {"key": plain.get(code, "other")}


def summary(data: bytes, content_type: str) -> dict:
    """What a reader is told of a file's Content Credentials, read back from the signed bytes
    at publication (so the page states what the file itself says, not what we meant to write):
    the signer, each action in plain keys, whether the signature validates against this
    newsroom's own certificate (`state`), and whether an outside validator with only the C2PA
    trust list trusts the signer (`trust_list`). Empty when the file carries no manifest."""
    try:
        store = read(data, content_type, ensure_credentials().anchor)
        outside = read(data, content_type)
    except Exception:  # the library's own errors: no manifest we can read
        return {}
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "")
    if not manifest:
        return {}
    actions = [
        _plain(action)
        for assertion in manifest.get("assertions", [])
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for action in assertion.get("data", {}).get("actions", [])
    ]
    signature = manifest.get("signature_info") or {}
    return {
        "signer": str(signature.get("issuer") or signature.get("common_name") or "")[:200],
        "actions": actions,
        "state": str(store.get("validation_state", "")).lower()[:20],
        "trust_list": outside.get("validation_state") == "Trusted",
        "standard": "C2PA",
    }
