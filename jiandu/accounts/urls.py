from django.urls import path

from jiandu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.login_password, name="login"),
    path("verify/", views.login_code, name="verify"),
    path("verify/passkey/options/", views.passkey_login_options, name="passkey_login_options"),
    path("verify/passkey/", views.passkey_login, name="passkey_login"),
    path("passkeys/", views.passkey_list, name="passkeys"),
    path("passkeys/options/", views.passkey_register_options, name="passkey_register_options"),
    path("passkeys/add/", views.passkey_register, name="passkey_register"),
    path("passkeys/<int:passkey_id>/delete/", views.passkey_delete, name="passkey_delete"),
    path("enrol/", views.enrol, name="enrol"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("recovery-codes/new/", views.regenerate_codes, name="regenerate_codes"),
    path("finish/", views.finish, name="finish"),
    path("confirm/", views.confirm_identity, name="confirm"),
    path("sign-out/", views.logout_view, name="logout"),
    path("home/", views.home, name="home"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("members/<int:member_id>/", views.member_detail, name="member"),
]
