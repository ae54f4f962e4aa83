"""Newsroom sign-in in two steps (password, then TOTP or a recovery code), enrolment, members.

A member is logged in (`django.contrib.auth.login`) only once both factors have passed, so
`request.user.is_authenticated` always means "two factors": no view needs a second check.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiandu.accounts import actions, passkeys, recovery, signals, throttle, totp
from jiandu.accounts.access import access_member_by_id, get_pending_user
from jiandu.accounts.forms import (
    CodeStepForm,
    EnrolForm,
    MemberActionForm,
    NewMemberForm,
    PasswordStepForm,
)
from jiandu.accounts.models import User
from jiandu.accounts.roles import ROLE_LABELS

PENDING_USER = "accounts_pending_user"
PENDING_SINCE = "accounts_pending_since"
PENDING_MAX_SECONDS = 5 * 60


def _locked_message(user: User) -> str | None:
    if user.locked_until and user.locked_until > timezone.now():
        minutes = max(1, int((user.locked_until - timezone.now()).total_seconds() // 60) + 1)
        return _(
            "This account is locked after too many failed attempts. Try again in %(minutes)d "
            "minutes, or ask a newsroom admin to unlock it."
        ) % {"minutes": minutes}
    return None


def _pending_user(request: HttpRequest) -> User | None:
    since = request.session.get(PENDING_SINCE, 0)
    if time.time() - since > PENDING_MAX_SECONDS:
        return None
    return get_pending_user(request.session.get(PENDING_USER))


def login_password(request: HttpRequest) -> HttpResponse:
    """Step one: username and password. The newsroom's front door at /newsroom/."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = PasswordStepForm(request.POST or None)
    error = None
    if request.method == "POST":
        throttle.count_client_attempt(request)
        if throttle.client_is_throttled(request):
            error = _(
                "Too many sign-in attempts from this connection. Wait 15 minutes and try again."
            )
        elif form.is_valid():
            username = form.cleaned_data["username"]
            candidate = User.objects.filter(username__iexact=username).first()
            error = _locked_message(candidate) if candidate else None
            if error is None:
                user = authenticate(
                    request,
                    username=candidate.username if candidate else username,
                    password=form.cleaned_data["password"],
                )
                if user is None:
                    if candidate is not None:
                        actions.do_record_login_failure(candidate)
                        error = _locked_message(candidate)
                    error = error or _(
                        "The username or password is not right. Check them and try again."
                    )
                else:
                    request.session.cycle_key()
                    request.session[PENDING_USER] = user.pk
                    request.session[PENDING_SINCE] = time.time()
                    signals.password_verified.send(
                        sender=User,
                        request=request,
                        user=user,
                        password=form.cleaned_data["password"],
                    )
                    if not user.totp_confirmed:
                        return redirect("accounts:enrol")
                    return redirect("accounts:verify")
    return render(request, "accounts/login.html", {"form": form, "error": error})


def _finish_login(request: HttpRequest, user: User) -> HttpResponse:
    actions.do_record_login_success(user)
    request.session.pop(PENDING_USER, None)
    request.session.pop(PENDING_SINCE, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if user.must_change_password:
        messages.info(request, _("Choose your own password to finish signing in."))
        return redirect("accounts:password_change")
    return redirect(settings.LOGIN_REDIRECT_URL)


def login_code(request: HttpRequest) -> HttpResponse:
    """Step two: a TOTP code, or one of the recovery codes."""
    user = _pending_user(request)
    if user is None:
        messages.warning(request, _("Please sign in again; the last step took too long."))
        return redirect("accounts:login")
    if not user.totp_confirmed:
        return redirect("accounts:enrol")
    form = CodeStepForm(request.POST or None)
    error = _locked_message(user)
    if request.method == "POST" and error is None and form.is_valid():
        code = form.cleaned_data["code"]
        step = totp.matching_step(user.totp_secret, code, user.totp_last_step)
        if step is not None and actions.do_accept_totp_step(user, step):
            return _finish_login(request, user)
        is_recovery_code = step is None and len(recovery.normalize(code)) == recovery.CODE_LENGTH
        if is_recovery_code and actions.do_use_recovery_code(user, code):
            messages.warning(
                request, _("You used a recovery code. Generate new ones if few are left.")
            )
            return _finish_login(request, user)
        actions.do_record_login_failure(user)
        error = _locked_message(user) or _(
            "That code is not right. Enter the current six-digit code from your authenticator "
            "app; each code works only once."
        )
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "error": error, "has_passkeys": user.passkeys.exists()},
    )


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return _json_error(_("Please sign in again; the last step took too long."))
    if not user.passkeys.exists():
        return _json_error(_("This account has no passkey. Use your authenticator app."))
    options = passkeys.authentication_options(request, user)
    return HttpResponse(options, content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    """Second step with a passkey instead of a TOTP code (JavaScript posts the assertion)."""
    user = _pending_user(request)
    if user is None:
        return _json_error(_("Please sign in again; the last step took too long."))
    locked = _locked_message(user)
    if locked:
        return _json_error(locked, status=403)
    try:
        passkey, sign_count = passkeys.verify_authentication(request, user, request.body)
    except passkeys.PasskeyError as exc:
        actions.do_record_login_failure(user)
        return _json_error(str(exc))
    actions.do_use_passkey(passkey, sign_count)
    response = _finish_login(request, user)
    return JsonResponse({"redirect": response.url})


def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up the authenticator app, confirm with a code, get recovery codes."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if user.totp_confirmed:
        return redirect("accounts:verify")
    secret = actions.do_start_totp_enrolment(user)
    uri = totp.provisioning_uri(secret, user.username)
    form = EnrolForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        step = totp.matching_step(secret, form.cleaned_data["code"], user.totp_last_step)
        if step is None:
            actions.do_record_login_failure(user)
            error = _locked_message(user) or _(
                "That code does not match. Check that the app shows the Jiandu entry you just "
                "added, and type the code it shows now."
            )
        else:
            codes = actions.do_confirm_totp(user, step)
            request.session["accounts_new_codes"] = [recovery.display(c) for c in codes]
            return redirect("accounts:recovery_codes")
    secret_groups = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "error": error, "qr": totp.qr_svg(uri), "secret": secret_groups},
    )


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shown once, right after enrolment or regeneration."""
    codes = request.session.pop("accounts_new_codes", None)
    if not codes:
        return redirect("accounts:login")
    user = _pending_user(request)
    next_url = reverse("accounts:finish") if user else reverse(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})


@require_POST
def finish(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None or not user.totp_confirmed:
        return redirect("accounts:login")
    return _finish_login(request, user)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/home.html",
        {"role_label": ROLE_LABELS.get(request.user.role, request.user.role)},
    )


@login_required
@require_POST
def regenerate_codes(request: HttpRequest) -> HttpResponse:
    codes = actions.do_regenerate_recovery_codes(request.user)
    request.session["accounts_new_codes"] = [recovery.display(c) for c in codes]
    return redirect("accounts:recovery_codes")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        actions.do_password_changed(self.request.user)
        signals.password_changed.send(
            sender=User,
            request=self.request,
            user=self.request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password1"],
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


@permission_required("accounts.manage_newsroom", raise_exception=True)
def members(request: HttpRequest) -> HttpResponse:
    form = NewMemberForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.do_create_member(
                form.cleaned_data["username"],
                form.cleaned_data["role"],
                email=form.cleaned_data["email"],
            )
        except actions.AccountError as exc:
            form.add_error("username", str(exc))
        else:
            form = NewMemberForm()
    people = User.objects.order_by("username").prefetch_related("groups")
    rows = [
        {"user": person, "role": ROLE_LABELS.get(person.role, person.role)} for person in people
    ]
    return render(
        request, "accounts/members.html", {"form": form, "rows": rows, "created": created}
    )


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    """An admin's controls for one member: role, unlock, reset, deactivate."""
    member = access_member_by_id(request.user, member_id)
    form = MemberActionForm(request.POST or None, initial={"role": member.role})
    reset = None
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "role":
                actions.do_set_role(member, form.cleaned_data["role"])
                messages.success(request, _("The role has been changed."))
            elif action == "unlock":
                actions.do_unlock(member)
                messages.success(request, _("The account is unlocked."))
            elif action == "reset":
                reset = actions.do_reset_credentials(member)
            elif action in ("deactivate", "activate"):
                actions.do_set_active(member, action == "activate")
                messages.success(request, _("Saved."))
        except actions.AccountError as exc:
            messages.error(request, str(exc))
        if reset is None:
            return redirect("accounts:member", member_id=member.pk)
    member = access_member_by_id(request.user, member_id)
    return render(
        request,
        "accounts/member_detail.html",
        {
            "member": member,
            "role_label": ROLE_LABELS.get(member.role, member.role),
            "role_choices": ROLE_LABELS.items(),
            "locked": bool(member.locked_until and member.locked_until > timezone.now()),
            "reset": reset,
            "is_self": member.pk == request.user.pk,
        },
    )


@login_required
def passkey_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/passkeys.html",
        {"passkeys": request.user.passkeys.order_by("created_at")},
    )


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    options = passkeys.registration_options(request, request.user)
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    try:
        new = passkeys.verify_registration(request, request.user, request.body)
    except passkeys.PasskeyError as exc:
        return _json_error(str(exc))
    actions.do_add_passkey(
        request.user, new.name, new.credential_id, new.public_key, new.sign_count
    )
    messages.success(request, _("Passkey added. You can use it at the second sign-in step."))
    return JsonResponse({"redirect": reverse("accounts:passkeys")})


@login_required
@require_POST
def passkey_delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    if actions.do_delete_passkey(request.user, passkey_id):
        messages.success(request, _("Passkey removed."))
    return redirect("accounts:passkeys")
