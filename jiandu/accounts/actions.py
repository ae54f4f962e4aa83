"""Every write to newsroom accounts: creating members, second factors, login outcomes."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiandu.accounts import recovery, signals, totp
from jiandu.accounts.models import Passkey, RecoveryCode, User
from jiandu.accounts.roles import ROLE_PERMISSIONS


class AccountError(ValueError):
    """A request the accounts room refuses, with a message fit to show."""


@dataclass(frozen=True)
class NewMember:
    user: User
    one_time_password: str


def one_time_password() -> str:
    """A password to hand over once; the member must replace it at first login."""
    return "-".join(secrets.token_urlsafe(4) for _ in range(4))


@transaction.atomic
def do_create_member(
    username: str, role: str, *, email: str = "", password: str | None = None
) -> NewMember:
    """Create a newsroom member with one role. Without `password`, a one-time password is made
    and the member must change it at first login."""
    if role not in ROLE_PERMISSIONS:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLE_PERMISSIONS)}.")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"A member named {username!r} already exists.")
    generated = password is None
    password = password or one_time_password()
    user = User.objects.create_user(username=username, email=email, password=password)
    user.must_change_password = generated
    user.is_staff = False
    user.save(update_fields=["must_change_password", "is_staff"])
    user.groups.set([Group.objects.get(name=role)])
    return NewMember(user=user, one_time_password=password)


def _is_last_admin(user: User) -> bool:
    admins = User.objects.filter(groups__name="admin", is_active=True)
    return user.role == "admin" and not admins.exclude(pk=user.pk).exists()


@transaction.atomic
def do_set_role(user: User, role: str) -> None:
    if role not in ROLE_PERMISSIONS:
        raise AccountError(f"Unknown role {role!r}.")
    if role != "admin" and _is_last_admin(user):
        raise AccountError(_("The newsroom needs at least one active admin."))
    user.groups.set([Group.objects.get(name=role)])


@transaction.atomic
def do_set_active(user: User, active: bool) -> None:
    """Deactivating keeps the member's history (custody records name them) but ends access:
    Django's ModelBackend refuses inactive users, so their open sessions stop at the next
    request."""
    if not active and _is_last_admin(user):
        raise AccountError(_("The newsroom needs at least one active admin."))
    user.is_active = active
    user.save(update_fields=["is_active"])


@transaction.atomic
def do_reset_credentials(user: User) -> NewMember:
    """Give a member a new one-time password and a new TOTP enrolment (lost phone and codes)."""
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.totp_secret = totp.new_secret()
    user.totp_confirmed = False
    user.totp_last_step = 0
    user.failed_logins = 0
    user.locked_until = None
    user.save()
    user.recovery_codes.all().delete()
    user.passkeys.all().delete()
    transaction.on_commit(lambda: signals.credentials_reset.send(sender=User, user=user))
    return NewMember(user=user, one_time_password=password)


def do_start_totp_enrolment(user: User) -> str:
    """The secret the member is enrolling; kept until confirmed with a first code."""
    if user.totp_confirmed:
        raise AccountError("Two-factor authentication is already set up for this account.")
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        user.save(update_fields=["totp_secret"])
    return user.totp_secret


@transaction.atomic
def do_confirm_totp(user: User, step: int) -> list[str]:
    """Mark the TOTP secret confirmed and issue fresh recovery codes (returned once)."""
    user.totp_confirmed = True
    user.totp_last_step = step
    user.save(update_fields=["totp_confirmed", "totp_last_step"])
    return do_regenerate_recovery_codes(user)


@transaction.atomic
def do_regenerate_recovery_codes(user: User) -> list[str]:
    codes = recovery.new_codes()
    user.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=recovery.digest(code)) for code in codes
    )
    return codes


def do_use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code; True if it was valid and unused."""
    updated = RecoveryCode.objects.filter(
        user=user, code_hash=recovery.digest(code), used=False
    ).update(used=True)
    return updated == 1


def do_accept_totp_step(user: User, step: int) -> bool:
    """Record `step` as used; False if a concurrent login already used it (replay)."""
    updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    user.totp_last_step = step
    return updated == 1


def do_record_login_failure(user: User) -> None:
    """Count a wrong password or code; lock the account when the limit is reached."""
    user.failed_logins += 1
    if user.failed_logins >= settings.JIANDU_LOGIN_MAX_FAILURES:
        user.locked_until = timezone.now() + timedelta(
            seconds=settings.JIANDU_LOGIN_LOCKOUT_SECONDS
        )
        user.failed_logins = 0
    user.save(update_fields=["failed_logins", "locked_until"])


def do_record_login_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])


def do_unlock(user: User) -> None:
    do_record_login_success(user)


def do_password_changed(user: User) -> None:
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])


@transaction.atomic
def do_prepare_demo_admin(username: str = "admin") -> NewMember | None:
    """The demo newsroom's admin, with a one-time password and a TOTP secret to print.

    Run on every `make run`: while the admin has never signed in, a fresh password and
    enrolment are issued (the last printout may be lost); after that, nothing changes.
    """
    user = User.objects.filter(username=username).first()
    if user is None:
        member = do_create_member(username, "admin")
        user = member.user
    elif user.last_login is not None:
        return None
    member = do_reset_credentials(user)
    return member


def do_add_passkey(
    user: User, name: str, credential_id: str, public_key: bytes, sign_count: int
) -> Passkey:
    return Passkey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
    )


def do_use_passkey(passkey: Passkey, new_sign_count: int) -> None:
    passkey.sign_count = new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])


def do_delete_passkey(user: User, passkey_id: int) -> bool:
    deleted, _rows = Passkey.objects.filter(user=user, pk=passkey_id).delete()
    return deleted > 0
