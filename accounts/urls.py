"""Account pages: API tokens, two-factor sign-in, password reset."""

from django.urls import path

from accounts import token_views

app_name = "accounts"

urlpatterns: list = [
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<str:token_key>/revoke/", token_views.token_revoke, name="token-revoke"),
]
