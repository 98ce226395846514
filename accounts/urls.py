"""Account pages: API tokens, two-factor sign-in, password reset."""

from django.urls import path  # noqa: F401  (each feature adds its routes below)

app_name = "accounts"

urlpatterns: list = []
