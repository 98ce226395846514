"""Account pages: API tokens, two-factor sign-in, password reset."""

from django.urls import path

from accounts import password_reset_views, token_views, two_factor_views

app_name = "accounts"

urlpatterns: list = [
    path("security/", two_factor_views.security, name="security"),
    path("two-factor/set-up/", two_factor_views.enrol, name="two-factor-enrol"),
    path("two-factor/verify/", two_factor_views.verify, name="two-factor-verify"),
    path(
        "two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("two-factor/turn-off/", two_factor_views.disable, name="two-factor-disable"),
    # Django's own reset view, throttled, with the mail also sent as HTML; the rest of the reset
    # pages come from django.contrib.auth.urls, drawn with templates/registration/password_reset_*.
    path(
        "password_reset/",
        password_reset_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<str:token_key>/revoke/", token_views.token_revoke, name="token-revoke"),
]
