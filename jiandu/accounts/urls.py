"""The sign-in, enrolment and member pages under /newsroom/.

Five views change things beyond this room (the vault's key, a member's grants): they take the
flows that do so (jiandu.accounts.flows) as a view argument, given by whoever mounts these
patterns (jiandu.urls mounts them with jiandu.newsroom.actions).
"""

from django.urls import URLPattern, path

from jiandu.accounts import views
from jiandu.accounts.flows import MemberFlows

app_name = "accounts"


def urlpatterns_for(flows: MemberFlows) -> list[URLPattern]:
    given = {"flows": flows}
    return [
        path("", views.login_password, name="login"),
        path("verify/", views.login_code, given, name="verify"),
        path("verify/passkey/options/", views.passkey_login_options, name="passkey_login_options"),
        path("verify/passkey/", views.passkey_login, given, name="passkey_login"),
        path("passkeys/", views.passkey_list, name="passkeys"),
        path("passkeys/options/", views.passkey_register_options, name="passkey_register_options"),
        path("passkeys/add/", views.passkey_register, name="passkey_register"),
        path("passkeys/<int:passkey_id>/delete/", views.passkey_delete, name="passkey_delete"),
        path("enrol/", views.enrol, name="enrol"),
        path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
        path("recovery-codes/new/", views.regenerate_codes, name="regenerate_codes"),
        path("finish/", views.finish, given, name="finish"),
        path("confirm/", views.confirm_identity, name="confirm"),
        path("sign-out/", views.logout_view, name="logout"),
        path("home/", views.home, name="home"),
        path("password/", views.PasswordChangeView.as_view(flows=flows), name="password_change"),
        path("members/<int:member_id>/", views.member_detail, given, name="member"),
    ]
