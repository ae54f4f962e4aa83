"""Time-based one-time passwords (RFC 6238) for the newsroom's second factor.

pyotp does the arithmetic; this module adds what a login needs around it: a window of one step
either side for clock drift, refusal of a code whose time step was already used (replay), and a
QR code rendered on the server as SVG so no third-party service ever sees the secret.
"""

import time

import pyotp
import segno
from django.conf import settings

STEP_SECONDS = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, as RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=account_name, issuer_name=settings.JIANDU_TOTP_ISSUER
    )


def qr_svg(uri: str) -> str:
    """An inline SVG QR code for `uri`; presentation attributes only, so CSP allows it."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def qr_terminal(uri: str) -> str:
    """The QR code as text, for `jiandu demo` to print in a terminal."""
    import io

    buffer = io.StringIO()
    segno.make(uri, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def normalize(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step `code` is valid for, or None.

    A step at or before `last_step` is refused even if the code is right: each code works once.
    """
    code = normalize(code)
    if not secret or len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now = time.time() if now is None else now
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None
