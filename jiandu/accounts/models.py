"""Newsroom members and their second factors."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A newsroom member. Sources never have one: they come back with a codename."""

    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    # The last TOTP time step accepted, so that a code seen over a shoulder cannot be replayed.
    totp_last_step = models.BigIntegerField(default=0)
    # Failed sign-ins since the last successful one (counted with an atomic F() update). Past
    # JIANDU_LOGIN_MAX_FAILURES the account is "guarded": its sign-in needs password and second
    # factor together before either is judged (jiandu.accounts.throttle). Never a lockout.
    failed_logins = models.PositiveIntegerField(default=0)
    last_failed_login = models.DateTimeField(null=True, blank=True)
    must_change_password = models.BooleanField(default=False)

    class Meta:
        permissions = [
            ("manage_newsroom", _("Can manage newsroom members and settings")),
            ("read_submissions", _("Can read what sources submit")),
            ("delete_sources", _("Can delete sources and what they sent, for good")),
            ("edit_cases", _("Can draft cases")),
            ("publish_cases", _("Can review and publish cases")),
            ("moderate_comments", _("Can moderate public comments")),
        ]

    @property
    def role(self) -> str:
        """The member's role: the name of their (single) group."""
        groups = list(self.groups.all())  # uses prefetch_related("groups") when present
        return groups[0].name if groups else ""


class RecoveryCode(models.Model):
    """A single-use code that replaces the TOTP code when the phone is lost.

    Only a SHA-256 of the code is kept: the codes carry 50 random bits, so a slow hash would
    add nothing but login latency.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id} ({'used' if self.used else 'unused'})"


class Passkey(models.Model):
    """A WebAuthn credential a member may use instead of a TOTP code at the second step."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=80)
    credential_id = models.CharField(max_length=512, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey {self.name!r} of {self.user_id}"


class AccountEvent(models.Model):
    """One change to a member's account, written in the transaction of the action that made
    it (jiandu.accounts.actions). Who did what to whom and when; never a password or code.

    The custody log (jiandu.ledger) records access to evidence and imports this room, so
    account changes are kept here, in the accounts room, instead of there.
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("created")
        ROLE = "role", _("role changed")
        RESET = "reset", _("password and two-factor reset")
        DEACTIVATE = "deactivate", _("deactivated")
        ACTIVATE = "activate", _("reactivated")
        CLEAR_FAILURES = "clear_failures", _("failed sign-ins cleared")
        PASSWORD = "password", _("password changed")
        TWO_FACTOR = "two_factor", _("two-factor set up")
        RECOVERY_CODES = "recovery_codes", _("new recovery codes")
        PASSKEY_ADDED = "passkey_added", _("passkey added")
        PASSKEY_REMOVED = "passkey_removed", _("passkey removed")
        # What a member did with the newsroom's powers that sources feel: drafting, approving
        # or discarding the tip line's questionnaire (jiandu.tipline.actions).
        QUESTIONNAIRE = "questionnaire", _("tip line questionnaire")
        # A leaving member's assignments and source access moved to another member by an admin
        # (jiandu.newsroom.actions.do_reassign_member).
        REASSIGN = "reassign", _("work moved to another member")
        # The newsroom's publishing policy changed, proposed or confirmed by an admin, on the
        # admin's own history (jiandu.cases.actions.do_propose_policy).
        POLICY = "policy", _("publishing policy")

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    member = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="account_events"
    )
    member_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return (
            f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.kind} {self.member_name}"
        )
