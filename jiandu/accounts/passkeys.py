"""WebAuthn passkeys as an alternative second factor (py_webauthn does the verification).

A passkey replaces the TOTP code, never the password: the password step comes first either way.
Challenges live in the server-side session and are used once. The relying-party ID is the host
the member reached us on (an onion address, a domain or localhost); passkeys registered on one
address do not work on another, which is the point of WebAuthn's origin binding.
"""

import json
import secrets
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from jiandu.accounts.models import Passkey, User

REGISTRATION_CHALLENGE = "accounts_passkey_reg_challenge"
AUTHENTICATION_CHALLENGE = "accounts_passkey_auth_challenge"
MAX_RESPONSE_BYTES = 64 * 1024


class PasskeyError(ValueError):
    """The browser's answer did not verify; the message is fit to show."""


def _rp_id(request: HttpRequest) -> str:
    return request.get_host().rsplit(":", 1)[0].strip("[]")


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _parse(body: bytes) -> dict:
    if len(body) > MAX_RESPONSE_BYTES:
        raise PasskeyError(_("The answer from the browser is too large."))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PasskeyError(_("The answer from the browser could not be read.")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        raise PasskeyError(_("The answer from the browser could not be read."))
    return data


def registration_options(request: HttpRequest, user: User) -> str:
    challenge = secrets.token_bytes(32)
    request.session[REGISTRATION_CHALLENGE] = bytes_to_base64url(challenge)
    options = generate_registration_options(
        rp_id=_rp_id(request),
        rp_name="Jiandu",
        user_name=user.get_username(),
        user_id=f"jiandu-member-{user.pk}".encode(),
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in user.passkeys.all()
        ],
    )
    return options_to_json(options)


@dataclass(frozen=True)
class NewPasskey:
    name: str
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_registration(request: HttpRequest, user: User, body: bytes) -> NewPasskey:
    challenge = request.session.pop(REGISTRATION_CHALLENGE, None)
    if challenge is None:
        raise PasskeyError(_("Start again: the request to add a passkey has expired."))
    data = _parse(body)
    name = str(data.get("name") or "").strip()[:80] or "Passkey"
    try:
        verified = verify_registration_response(
            credential=data["credential"],
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
        )
    except (WebAuthnException, KeyError, ValueError, TypeError) as exc:
        raise PasskeyError(_("The passkey could not be verified. Try again.")) from exc
    return NewPasskey(
        name=name,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(request: HttpRequest, user: User) -> str:
    challenge = secrets.token_bytes(32)
    request.session[AUTHENTICATION_CHALLENGE] = bytes_to_base64url(challenge)
    options = generate_authentication_options(
        rp_id=_rp_id(request),
        challenge=challenge,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in user.passkeys.all()
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def verify_authentication(request: HttpRequest, user: User, body: bytes) -> tuple[Passkey, int]:
    """The passkey that signed this login and its new counter; PasskeyError otherwise."""
    challenge = request.session.pop(AUTHENTICATION_CHALLENGE, None)
    if challenge is None:
        raise PasskeyError(_("Start again: the sign-in request has expired."))
    data = _parse(body)
    credential_id = str(data["credential"].get("id", ""))
    passkey = user.passkeys.filter(credential_id=credential_id).first()
    if passkey is None:
        raise PasskeyError(_("This passkey is not registered for your account."))
    try:
        verified = verify_authentication_response(
            credential=data["credential"],
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, KeyError, ValueError, TypeError) as exc:
        raise PasskeyError(_("The passkey could not be verified. Try again.")) from exc
    return passkey, verified.new_sign_count
