"""Newsroom sign-in in two steps (password, then TOTP, a recovery code or a passkey),
enrolment, members.

A member is logged in (`django.contrib.auth.login`) only once both factors have passed in this
session (jiandu.accounts.pending), so `request.user.is_authenticated` always means "two
factors": no view needs a second check. The vault unwraps the member key only then: the views
that finish a sign-in, change a password or change a member get the flows that do so from the
URL map (`flows`, jiandu.accounts.flows), written by the room above accounts and the vault.

Guarded sign-in (jiandu.accounts.throttle): when an account has failed too often, or its
address has, the password step goes on to the second step whatever the password was, and the
second step judges password and code together, with one message for every wrong combination
(_guarded_failure). Nothing ever locks the member out: the right password with the right code
always signs in.

No request thread waits (issue 17, item 6): a pause after failures is kept in the session and
answered at once, "wait N s" (429 with Retry-After, the sign-in page with the name still
typed); password hashing goes through core's bounded pool, and past it the answer is "busy,
try again in a few seconds" (503 with Retry-After), so a flood of guesses cannot hold the
threads that also serve the tip line.

Making a new second factor (recovery codes, a passkey) first asks for the password or a fresh
code again (jiandu.accounts.reauth, issue 17, item 10).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jiandu.accounts import actions, passkeys, pending, reauth, recovery, throttle, totp
from jiandu.accounts.access import access_member_by_id
from jiandu.accounts.flows import MemberFlows
from jiandu.accounts.forms import (
    CodeStepForm,
    EnrolForm,
    MemberActionForm,
    PasswordStepForm,
    ReauthForm,
)
from jiandu.accounts.http import MemberRequest
from jiandu.accounts.models import AccountEvent, User
from jiandu.accounts.passwords import check_member_password
from jiandu.accounts.roles import ROLE_LABELS
from jiandu.core.hashing import RETRY_AFTER_SECONDS, HashBusy, password_slots

NEW_CODES = "accounts_new_codes"


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many failed attempts in this browser. Wait %(seconds)d second and try again.",
        "Too many failed attempts in this browser. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def _wrong_password() -> str:
    return _("The username or password is not right. Check them and try again.")


def _guarded_failure() -> str:
    return _(
        "The username, password or code is not right. Start again with your password; "
        "each code works only once."
    )


def _expired() -> str:
    return _("Please sign in again; the last step took too long.")


def _busy() -> str:
    return _(
        "The server is busy checking other sign-ins. Nothing was checked; "
        "try again in a few seconds."
    )


def _with_retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    response["Retry-After"] = str(max(1, seconds))
    return response


def _sign_in_page(
    request: HttpRequest,
    form: PasswordStepForm,
    error: str | None = None,
    *,
    wait: int = 0,
    busy: bool = False,
) -> HttpResponse:
    """The sign-in page; with `wait`, the 429 "wait N s" answer, with `busy` the 503 one. The
    typed name stays in the form either way."""
    status = 503 if busy else 429 if wait else 200
    response = render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "error": _busy() if busy else error,
            "wait_message": _wait_message(wait) if wait else None,
        },
        status=status,
    )
    if busy:
        return _with_retry_after(response, RETRY_AFTER_SECONDS)
    if wait:
        return _with_retry_after(response, wait)
    return response


def _count_failure(request: HttpRequest, user: User | None) -> int:
    """Count one failed attempt for the session, the address and the account; the account's
    failures now (0 for a name that does not exist)."""
    throttle.count_session_failure(request)
    throttle.count_address_failure(request)
    return actions.do_record_login_failure(user) if user is not None else 0


def _guarded_refusal(request: HttpRequest, user: User | None) -> int:
    """A guarded attempt failed: count it, end the pending sign-in (the next try must give
    the password again) and make this session wait; the seconds to tell."""
    failures = _count_failure(request, user)
    pending.clear(request.session)
    return throttle.hold_after_guarded_failure(request, failures)


def _guarded_refusal_page(request: HttpRequest, user: User | None, username: str) -> HttpResponse:
    """The one answer to every wrong guarded combination: the sign-in page, the name still
    typed, "wait N s" (429). Given at once: nothing sleeps."""
    wait = _guarded_refusal(request, user)
    form = PasswordStepForm(initial={"username": username})
    return _sign_in_page(request, form, _guarded_failure(), wait=wait)


def login_password(request: HttpRequest) -> HttpResponse:
    """Step one: username and password. The newsroom's front door at /newsroom/."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = PasswordStepForm(request.POST or None)
    if request.method != "POST":
        return _sign_in_page(request, form)
    wait = throttle.session_wait(request)
    if wait:  # refused unheard: nothing hashed, nothing counted
        return _sign_in_page(request, form, wait=wait)
    if not form.is_valid():
        return _sign_in_page(request, form)
    try:
        response, error = _password_step(request, form)
    except HashBusy:
        return _sign_in_page(request, form, busy=True)
    if response is not None:
        return response
    return _sign_in_page(request, form, error, wait=throttle.session_wait(request))


def _password_step(
    request: HttpRequest, form: PasswordStepForm
) -> tuple[HttpResponse | None, str | None]:
    """Judge the password, or (guarded) only note the verdict for the second step; a redirect
    to the next step, or an error to show. The password is always hashed, known name or not,
    so timing tells nothing either. The hash runs in a slot of the bounded pool (HashBusy
    when none is free: nothing judged, nothing counted; jiandu.accounts.passwords)."""
    username = form.cleaned_data["username"]
    password = form.cleaned_data["password"]
    candidate = User.objects.filter(username__iexact=username, is_active=True).first()
    guarded = throttle.is_guarded(candidate, request)
    user = candidate if check_member_password(candidate, password) else None
    request.session.cycle_key()
    pending.clear(request.session)
    if user is not None and not user.totp_confirmed:
        # No second factor yet (first sign-in, or after a reset): the password alone decides,
        # and enrolment follows.
        pending.start(
            request.session,
            user,
            password_ok=True,
            guarded=False,
            password=password,
            username=username,
        )
        return redirect("accounts:enrol"), None
    if guarded and (candidate is None or candidate.totp_confirmed):
        # Judge nothing yet: the second step judges password and code together.
        pending.start(
            request.session,
            candidate,
            password_ok=user is not None,
            guarded=True,
            password=password,
            username=username,
        )
        return redirect("accounts:verify"), None
    if user is None:
        failures = _count_failure(request, candidate)
        throttle.hold_after_failure(request, failures)
        return None, _wrong_password()
    pending.start(
        request.session, user, password_ok=True, guarded=False, password=password, username=username
    )
    return redirect("accounts:verify"), None


def _finish_login(
    request: HttpRequest, user: User, state: pending.Pending, flows: MemberFlows
) -> HttpResponseRedirect:
    """Both factors passed in this session: log in, then open the session (the vault unlocks
    the key: flows.do_open_session). The member is told of second factors made or removed
    since the previous sign-in."""
    actions.do_record_login_success(user)
    throttle.clear_session(request)
    password = state.password
    pending.clear(request.session)
    previous_sign_in = user.last_login
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    flows.do_open_session(request, user, password)
    changes = reauth.changes_since(user, previous_sign_in)
    if changes:
        messages.warning(request, _changes_notice(changes))
    if user.must_change_password:
        messages.info(request, _("Choose your own password to finish signing in."))
        return redirect("accounts:password_change")
    return redirect(settings.LOGIN_REDIRECT_URL)


def _spend_second_factor(user: User, code: str) -> str | None:
    """Spend `code` if it is a fresh TOTP code ("totp") or an unused recovery code
    ("recovery"); None if it is neither."""
    step = totp.matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None and actions.do_accept_totp_step(user, step):
        return "totp"
    is_recovery_code = step is None and len(recovery.normalize(code)) == recovery.CODE_LENGTH
    if is_recovery_code and actions.do_use_recovery_code(user, code):
        return "recovery"
    return None


def _changes_notice(changes: list[AccountEvent]) -> str:
    """What the member reads at sign-in about second factors made or removed since the last."""
    listed = _("; ").join(
        f"{event.get_kind_display()} "
        f"({formats.date_format(timezone.localtime(event.at), 'SHORT_DATETIME_FORMAT')})"
        for event in changes
    )
    return _(
        "Since your last sign-in, your account's second factors changed: %(changes)s. If this "
        "was not you, someone may hold your session or your codes: tell an admin now, so they "
        "can reset your account."
    ) % {"changes": listed}


def login_code(request: HttpRequest, flows: MemberFlows) -> HttpResponse:
    """Step two: a TOTP code, or one of the recovery codes."""
    loaded = pending.load(request.session)
    if loaded is None:
        messages.warning(request, _expired())
        return redirect("accounts:login")
    state, user = loaded
    if user is not None and state.password_ok and not user.totp_confirmed:
        return redirect("accounts:enrol")
    form = CodeStepForm(request.POST or None)
    error = None
    wait = 0
    if request.method == "POST":
        wait = throttle.session_wait(request)
        if wait:
            error = _wait_message(wait)
        elif form.is_valid():
            code = form.cleaned_data["code"]
            # The code is judged (and spent) only after a right password.
            used = _spend_second_factor(user, code) if user and state.password_ok else None
            if used is not None and user is not None:  # a used factor implies a user
                if used == "recovery":
                    messages.warning(
                        request, _("You used a recovery code. Generate new ones if few are left.")
                    )
                return _finish_login(request, user, state, flows)
            if state.guarded or throttle.account_is_guarded(user):
                return _guarded_refusal_page(request, user, state.username)
            failures = _count_failure(request, user)
            if throttle.account_is_guarded(user):
                # This failure made the account guarded: from now on both factors together.
                pending.clear(request.session)
                wait = throttle.hold_after_guarded_failure(request, failures)
                again = PasswordStepForm(initial={"username": state.username})
                return _sign_in_page(request, again, _guarded_failure(), wait=wait)
            error = _(
                "That code is not right. Enter the current six-digit code from your "
                "authenticator app; each code works only once."
            )
            wait = throttle.session_wait(request)
            if wait:
                error = f"{error} {_wait_message(wait)}"
    has_passkeys = user is not None and user.passkeys.exists()
    response = render(
        request,
        "accounts/verify.html",
        {"form": form, "error": error, "has_passkeys": has_passkeys},
        status=429 if wait else 200,
    )
    return _with_retry_after(response, wait) if wait else response


def _json_error(message: str, status: int = 400, *, wait: int = 0) -> JsonResponse:
    """An error for the passkey script; with `wait`, a 429 with Retry-After."""
    if wait:
        response = JsonResponse({"error": f"{message} {_wait_message(wait)}"}, status=429)
        response["Retry-After"] = str(wait)
        return response
    return JsonResponse({"error": message}, status=status)


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    loaded = pending.load(request.session)
    if loaded is None:
        return _json_error(_expired())
    _state, user = loaded
    if user is None or not user.passkeys.exists():
        return _json_error(_("This account has no passkey. Use your authenticator app."))
    options = passkeys.authentication_options(request, user)
    return HttpResponse(options, content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest, flows: MemberFlows) -> HttpResponse:
    """Second step with a passkey instead of a TOTP code (JavaScript posts the assertion)."""
    loaded = pending.load(request.session)
    if loaded is None:
        return _json_error(_expired())
    state, user = loaded
    wait = throttle.session_wait(request)
    if wait:
        return _with_retry_after(_json_error(_wait_message(wait), status=429), wait)
    if user is None:
        request.session.pop(passkeys.AUTHENTICATION_CHALLENGE, None)
        return _json_error(_guarded_failure(), wait=_guarded_refusal(request, None))
    try:
        passkey, sign_count = passkeys.verify_authentication(request, user, request.body)
    except passkeys.PasskeyError as exc:
        message = str(exc)
    else:
        if state.password_ok:
            actions.do_use_passkey(passkey, sign_count)
            response = _finish_login(request, user, state, flows)
            return JsonResponse({"redirect": response.url})
        message = _guarded_failure()
    if state.guarded or throttle.account_is_guarded(user):
        return _json_error(_guarded_failure(), wait=_guarded_refusal(request, user))
    failures = _count_failure(request, user)
    if throttle.account_is_guarded(user):
        pending.clear(request.session)
        wait = throttle.hold_after_guarded_failure(request, failures)
        return _json_error(_guarded_failure(), wait=wait)
    return _json_error(message, wait=throttle.session_wait(request))


def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up the authenticator app, confirm with a code, get recovery codes."""
    loaded = pending.load(request.session)
    if loaded is None:
        return redirect("accounts:login")
    state, user = loaded
    if user is None or not state.password_ok:
        return redirect("accounts:verify")
    if user.totp_confirmed:
        return redirect("accounts:verify")
    secret = actions.do_start_totp_enrolment(user)
    uri = totp.provisioning_uri(secret, user.username)
    form = EnrolForm(request.POST or None)
    error = None
    if request.method == "POST":
        wait = throttle.session_wait(request)
        if wait:
            error = _wait_message(wait)
        elif form.is_valid():
            step = totp.matching_step(secret, form.cleaned_data["code"], user.totp_last_step)
            if step is None:
                _count_failure(request, user)
                error = _(
                    "That code does not match. Check that the app shows the Jiandu entry you "
                    "just added, and type the code it shows now."
                )
            else:
                codes = actions.do_confirm_totp(user, step)
                pending.mark_second_factor(request.session)
                request.session[NEW_CODES] = [recovery.display(c) for c in codes]
                return redirect("accounts:recovery_codes")
    secret_groups = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "error": error, "qr": totp.qr_svg(uri), "secret": secret_groups},
    )


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shown once, right after enrolment (to the pending member who has just confirmed it) or
    after a signed-in member made new ones. The codes leave the session as they are shown; a
    reload (issue 18, item 12) says so and what to do instead of dropping the member at the
    sign-in page: a first sign-in can still be finished, and new codes are made from the
    account page after confirming it is you."""
    codes = request.session.pop(NEW_CODES, None)
    if request.user.is_authenticated:
        next_url = reverse(settings.LOGIN_REDIRECT_URL)
    else:
        loaded = pending.load(request.session)
        if loaded is None or not loaded[0].second_factor:
            return redirect("accounts:login")
        next_url = reverse("accounts:finish")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next_url": next_url, "signed_in": request.user.is_authenticated},
    )


@require_POST
def finish(request: HttpRequest, flows: MemberFlows) -> HttpResponse:
    """The end of a first sign-in, after the recovery codes: only for a session whose
    password step and enrolment both passed."""
    loaded = pending.load(request.session)
    if loaded is None:
        return redirect("accounts:login")
    state, user = loaded
    if user is None or not (state.password_ok and state.second_factor and user.totp_confirmed):
        return redirect("accounts:login")
    return _finish_login(request, user, state, flows)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
def home(request: MemberRequest) -> HttpResponse:
    return render(
        request,
        "accounts/home.html",
        {"role_label": ROLE_LABELS.get(request.user.role, request.user.role)},
    )


def _confirm_url(next_url: str) -> str:
    return f"{reverse('accounts:confirm')}?{urlencode({'next': next_url})}"


def _safe_next(request: HttpRequest) -> str:
    """Where to go after confirming: a path on this site, else the account page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and candidate.startswith("/"):
        return candidate
    return reverse("accounts:home")


def _judge_identity(user: User, password: str, code: str) -> str | None:
    """How `user` proved it is them (reauth.CODE or reauth.PASSWORD), or None. A code is
    spent like one at sign-in; a password is hashed in a slot of the bounded pool (HashBusy
    when none is free)."""
    if code:
        return reauth.CODE if _spend_second_factor(user, code) else None
    return reauth.PASSWORD if check_member_password(user, password) else None


@login_required
@never_cache
def confirm_identity(request: MemberRequest) -> HttpResponse:
    """Ask a signed-in member for the password or a fresh code before a new second factor is
    made (jiandu.accounts.reauth); a failure counts like a failed sign-in."""
    next_url = _safe_next(request)
    form = ReauthForm(request.POST or None)
    error = None
    wait = 0
    busy = False
    if request.method == "POST":
        wait = throttle.session_wait(request)
        if wait:
            error = _wait_message(wait)
        elif form.is_valid():
            try:
                how = _judge_identity(
                    request.user, form.cleaned_data["password"], form.cleaned_data["code"]
                )
            except HashBusy:
                busy = True
                error = _busy()
            else:
                if how is not None:
                    reauth.mark(request, request.user, how)
                    return redirect(next_url)
                _count_failure(request, request.user)
                error = _("That is not right. Enter your password, or a fresh code.")
                wait = throttle.session_wait(request)
                if wait:
                    error = f"{error} {_wait_message(wait)}"
    response = render(
        request,
        "accounts/confirm.html",
        {"form": form, "error": error, "next_url": next_url},
        status=503 if busy else 429 if wait else 200,
    )
    if busy:
        return _with_retry_after(response, RETRY_AFTER_SECONDS)
    return _with_retry_after(response, wait) if wait else response


@login_required
@never_cache
def regenerate_codes(request: MemberRequest) -> HttpResponse:
    """New recovery codes, only within a few minutes of confirming it is you: a stolen session
    alone cannot make codes that outlive it (issue 17, item 10)."""
    how = reauth.confirmed_with(request, request.user)
    if how is None:
        return redirect(_confirm_url(reverse("accounts:regenerate_codes")))
    if request.method != "POST":
        return render(request, "accounts/regenerate.html")
    codes = actions.do_regenerate_recovery_codes(request.user, confirmed_with=how)
    request.session[NEW_CODES] = [recovery.display(c) for c in codes]
    return redirect("accounts:recovery_codes")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's form checks the old password and the rules for the new one; the change itself
    is one flow that rewraps the member key and saves the password in one transaction."""

    flows: MemberFlows | None = None  # given by the URL map (as_view(flows=...))
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")
    request: MemberRequest  # Django's PasswordChangeView is behind login_required

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        """Django's form checks the old password with a hash: in a slot of the bounded pool,
        like every password hash that a request can cause."""
        try:
            with password_slots().slot():
                return super().post(request, *args, **kwargs)
        except HashBusy:
            messages.error(request, _busy())
            response = redirect("accounts:password_change")
            return _with_retry_after(response, RETRY_AFTER_SECONDS)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = self.request.user
        if self.flows is None:
            raise ImproperlyConfigured("PasswordChangeView needs as_view(flows=...).")
        try:
            self.flows.do_change_password(
                self.request,
                user,
                form.cleaned_data["old_password"],
                form.cleaned_data["new_password1"],
            )
        except actions.AccountError as exc:
            user.refresh_from_db()
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.get_success_url())


@login_required
def member_detail(request: MemberRequest, member_id: int, flows: MemberFlows) -> HttpResponse:
    """An admin's controls for one member: role, failed sign-ins, reset, deactivate; and the
    member's account history."""
    member = access_member_by_id(request.user, member_id)
    form = MemberActionForm(request.POST or None, initial={"role": member.role})
    reset = None
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "role":
                flows.do_set_role(member, form.cleaned_data["role"], actor=request.user)
                messages.success(request, _("The role has been changed."))
            elif action == "clear_failures":
                actions.do_clear_login_failures(member, actor=request.user)
                messages.success(request, _("The failed sign-ins are cleared."))
            elif action == "reset":
                reset = flows.do_reset_credentials(member, actor=request.user)
            elif action in ("deactivate", "activate"):
                kept = flows.do_set_active(member, action == "activate", actor=request.user)
                messages.success(request, _("Saved."))
                if kept:
                    messages.warning(request, _sole_grants_kept(kept))
        except actions.AccountError as exc:
            messages.error(request, str(exc))
        if reset is None:
            return redirect("accounts:member", member_id=member.pk)
    member = access_member_by_id(request.user, member_id)
    history = AccountEvent.objects.filter(member=member).order_by("-id")[:50]
    return render(
        request,
        "accounts/member_detail.html",
        {
            "member": member,
            "role_label": ROLE_LABELS.get(member.role, member.role),
            "role_choices": ROLE_LABELS.items(),
            "guarded": throttle.account_is_guarded(member),
            "reset": reset,
            "is_self": member.pk == request.user.pk,
            "history": history,
        },
    )


def _sole_grants_kept(count: int) -> str:
    return ngettext(
        "%(count)d source could be opened only with this member's key, so its access was "
        "kept. Reactivate the member to grant it to another reader, or delete the source.",
        "%(count)d sources could be opened only with this member's key, so their access was "
        "kept. Reactivate the member to grant them to another reader, or delete the sources.",
        count,
    ) % {"count": count}


@login_required
def passkey_list(request: MemberRequest) -> HttpResponse:
    """The member's passkeys; adding one is offered only after confirming it is you."""
    confirmed = reauth.confirmed_with(request, request.user) is not None
    return render(
        request,
        "accounts/passkeys.html",
        {
            "passkeys": request.user.passkeys.order_by("created_at"),
            "confirmed": confirmed,
            "confirm_url": _confirm_url(reverse("accounts:passkeys")),
        },
    )


def _unconfirmed() -> JsonResponse:
    return _json_error(
        _("Confirm it is you first: reload this page and enter your password or a code."),
        status=403,
    )


@login_required
@require_POST
def passkey_register_options(request: MemberRequest) -> HttpResponse:
    if reauth.confirmed_with(request, request.user) is None:
        return _unconfirmed()
    options = passkeys.registration_options(request, request.user)
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_register(request: MemberRequest) -> HttpResponse:
    """Add the passkey the browser made; refused unless this session confirmed it is the
    member within the last few minutes (a stolen session alone mints no second factor)."""
    how = reauth.confirmed_with(request, request.user)
    if how is None:
        return _unconfirmed()
    try:
        new = passkeys.verify_registration(request, request.user, request.body)
    except passkeys.PasskeyError as exc:
        return _json_error(str(exc))
    actions.do_add_passkey(
        request.user,
        new.name,
        new.credential_id,
        new.public_key,
        new.sign_count,
        confirmed_with=how,
    )
    messages.success(request, _("Passkey added. You can use it at the second sign-in step."))
    return JsonResponse({"redirect": reverse("accounts:passkeys")})


@login_required
@require_POST
def passkey_delete(request: MemberRequest, passkey_id: int) -> HttpResponse:
    if actions.do_delete_passkey(request.user, passkey_id):
        messages.success(request, _("Passkey removed."))
    return redirect("accounts:passkeys")
