"""Every write to newsroom accounts: creating members, second factors, sign-in outcomes.

Each change to an account (creation, role, reset, (de)activation, password, second factors)
writes its AccountEvent in the same transaction (issue #8, item 9). Writes another room must
make with it (the vault's key wrap, the member's grants) are made by the room above both, which
calls these actions inside its own transaction (jiandu.accounts.flows), so either both commit
or neither does.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiandu.accounts import recovery, totp
from jiandu.accounts.models import AccountEvent, Passkey, RecoveryCode, User
from jiandu.accounts.roles import ROLE_PERMISSIONS


class AccountError(ValueError):
    """A request the accounts room refuses, with a message fit to show."""


class CredentialsBusy(AccountError):
    """The vault could not rewrap the member key now (every key-derivation slot was taken);
    raised by the password-change flow inside its transaction, which is then rolled back."""

    def __init__(self) -> None:
        super().__init__(
            _("The server is busy. Your password has not been changed; try again in a minute.")
        )


class SoleKeyHolder(AccountError):
    """A demotion would destroy sources only this member's key can open."""

    def __init__(self, count: int) -> None:
        super().__init__(
            ngettext(
                "This member holds the only access to %(count)d source. Another reader must be "
                "granted it first (from their vault-key page), or the source deleted.",
                "This member holds the only access to %(count)d sources. Another reader must "
                "be granted them first (from their vault-key page), or the sources deleted.",
                count,
            )
            % {"count": count}
        )


@dataclass(frozen=True)
class NewMember:
    user: User
    one_time_password: str


def one_time_password() -> str:
    """A password to hand over once; the member must replace it at first login."""
    return "-".join(secrets.token_urlsafe(4) for _ in range(4))


def _record(
    actor: User | None, member: User, kind: AccountEvent.Kind, detail: str = ""
) -> AccountEvent:
    """The audit row of one account change; call inside the change's transaction."""
    return AccountEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        member=member,
        member_name=member.get_username(),
        kind=kind,
        detail=detail[:200],
    )


@transaction.atomic
def do_record_questionnaire_work(actor: User, detail: str) -> AccountEvent:
    """The account audit's row for a member's draft, approval or discard of the tip line's
    questionnaire (issue 17, item 2), on the member's own history: what sources are asked is
    changed by two named people, and each one's page shows their part. The tip line's action
    calls it inside its own transaction."""
    return _record(actor, actor, AccountEvent.Kind.QUESTIONNAIRE, detail)


@transaction.atomic
def do_record_reassignment(actor: User, member: User, detail: str) -> AccountEvent:
    """The account audit's row for moving a member's assignments and source access to another
    member (issue 18, item 8), on the leaving member's history, where an admin looking back at
    a departure expects it. The newsroom's action calls it inside its own transaction."""
    return _record(actor, member, AccountEvent.Kind.REASSIGN, detail)


@transaction.atomic
def do_record_policy_change(actor: User, detail: str) -> AccountEvent:
    """The account audit's row for an admin's change (or proposal, or confirmation) of the
    publishing policy (issue 18, item 5), on the admin's own history: who weakened or restored
    the review of what the public reads. The cases room's action calls it in its transaction."""
    return _record(actor, actor, AccountEvent.Kind.POLICY, detail)


@transaction.atomic
def do_create_member(
    username: str,
    role: str,
    *,
    email: str = "",
    password: str | None = None,
    actor: User | None = None,
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
    _record(actor, user, AccountEvent.Kind.CREATE, role)
    return NewMember(user=user, one_time_password=password)


def _is_last_admin(user: User) -> bool:
    admins = User.objects.filter(groups__name="admin", is_active=True)
    return user.role == "admin" and not admins.exclude(pk=user.pk).exists()


def can_read(role: str) -> bool:
    return "read_submissions" in ROLE_PERMISSIONS.get(role, [])


@transaction.atomic
def do_set_role(user: User, role: str, *, actor: User | None = None) -> bool:
    """Give the member one role. Returns whether the member lost read access, so that the
    caller's flow takes away what they could open in the same transaction (the vault's grants:
    jiandu.newsroom.actions.do_set_role)."""
    if role not in ROLE_PERMISSIONS:
        raise AccountError(f"Unknown role {role!r}.")
    if role != "admin" and _is_last_admin(user):
        raise AccountError(_("The newsroom needs at least one active admin."))
    old = user.role
    user.groups.set([Group.objects.get(name=role)])
    # A fresh row: has_perm caches permissions on the instance. A superuser or a member given
    # the permission directly still reads, whatever the role.
    lost = can_read(old) and not User.objects.get(pk=user.pk).has_perm("accounts.read_submissions")
    _record(actor, user, AccountEvent.Kind.ROLE, f"{old} -> {role}")
    return lost


@transaction.atomic
def do_set_active(
    user: User, active: bool, *, actor: User | None = None, sole_grants_kept: int = 0
) -> None:
    """Deactivating keeps the member's history (custody records name them) but ends access:
    Django's ModelBackend refuses inactive users, so their open sessions stop at the next
    request. The caller's flow has taken away the member's grants in the same transaction
    (jiandu.newsroom.actions.do_set_active) and says how many it had to keep, for the audit.
    """
    if not active and _is_last_admin(user):
        raise AccountError(_("The newsroom needs at least one active admin."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    kind = AccountEvent.Kind.ACTIVATE if active else AccountEvent.Kind.DEACTIVATE
    kept = sole_grants_kept if not active else 0
    _record(actor, user, kind, f"sole grants kept: {kept}" if kept else "")


@transaction.atomic
def do_reset_credentials(user: User, *, actor: User | None = None) -> NewMember:
    """Give a member a new one-time password and a new TOTP enrolment (lost phone and codes)."""
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.totp_secret = totp.new_secret()
    user.totp_confirmed = False
    user.totp_last_step = 0
    user.failed_logins = 0
    user.last_failed_login = None
    user.save()
    user.recovery_codes.all().delete()
    user.passkeys.all().delete()
    _record(actor, user, AccountEvent.Kind.RESET)
    return NewMember(user=user, one_time_password=password)


@transaction.atomic
def do_change_password(user: User, new_password: str) -> None:
    """A member's own new password and its audit row. The caller has checked the old one, and
    its flow rewraps the vault key in the same transaction (jiandu.newsroom.actions)."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    _record(user, user, AccountEvent.Kind.PASSWORD)


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
    _record(user, user, AccountEvent.Kind.TWO_FACTOR)
    return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    codes = recovery.new_codes()
    user.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=recovery.digest(code)) for code in codes
    )
    return codes


def _confirmed(how: str) -> str:
    """The audit detail of a second factor made after re-authentication (jiandu.accounts.reauth):
    how the member confirmed it was them."""
    return f"confirmed with {how}" if how else ""


@transaction.atomic
def do_regenerate_recovery_codes(user: User, *, confirmed_with: str = "") -> list[str]:
    """New recovery codes (the old ones stop working); `confirmed_with` is how the member
    re-authenticated first, written to the account history."""
    codes = _new_recovery_codes(user)
    _record(user, user, AccountEvent.Kind.RECOVERY_CODES, _confirmed(confirmed_with))
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


def do_record_login_failure(user: User) -> int:
    """Count a wrong password or code on the account; the count now, this one included.

    One conditional UPDATE ... SET failed_logins = failed_logins + 1, so concurrent failures
    are all counted (a read-modify-write lost some: issue #8, item 10). Nothing is ever locked:
    past the limit the sign-in is guarded instead (jiandu.accounts.throttle)."""
    User.objects.filter(pk=user.pk).update(
        failed_logins=F("failed_logins") + 1, last_failed_login=timezone.now()
    )
    user.refresh_from_db(fields=["failed_logins", "last_failed_login"])
    return user.failed_logins


def do_record_login_success(user: User) -> None:
    User.objects.filter(pk=user.pk, failed_logins__gt=0).update(failed_logins=0)
    user.failed_logins = 0


@transaction.atomic
def do_clear_login_failures(user: User, *, actor: User | None = None) -> None:
    """An admin ends the guarded sign-in of a member (e.g. after the member changed a password
    someone was guessing)."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, last_failed_login=None)
    user.failed_logins = 0
    user.last_failed_login = None
    _record(actor, user, AccountEvent.Kind.CLEAR_FAILURES)


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


@transaction.atomic
def do_add_passkey(
    user: User,
    name: str,
    credential_id: str,
    public_key: bytes,
    sign_count: int,
    *,
    confirmed_with: str = "",
) -> Passkey:
    """A new passkey; `confirmed_with` is how the member re-authenticated first."""
    passkey = Passkey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
    )
    detail = f"{name}; {_confirmed(confirmed_with)}" if confirmed_with else name
    _record(user, user, AccountEvent.Kind.PASSKEY_ADDED, detail)
    return passkey


def do_use_passkey(passkey: Passkey, new_sign_count: int) -> None:
    passkey.sign_count = new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])


@transaction.atomic
def do_delete_passkey(user: User, passkey_id: int) -> bool:
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return False
    passkey.delete()
    _record(user, user, AccountEvent.Kind.PASSKEY_REMOVED, passkey.name)
    return True
