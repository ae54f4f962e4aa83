"""Recovery codes: ten single-use codes shown once at enrolment, for a lost phone."""

import hashlib
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are copied by hand
CODE_LENGTH = 10  # about 49.5 bits each
COUNT = 10


def new_codes() -> list[str]:
    return ["".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(COUNT)]


def normalize(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def display(code: str) -> str:
    """Codes are shown in two halves for legibility: abcde-fghjk."""
    return f"{code[:5]}-{code[5:]}"
