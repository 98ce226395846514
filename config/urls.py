"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("", include("partners.urls")),
    path("", include("matching.urls")),
    path("", include("sourcing.urls")),
    path("api/", include("partners.api.urls")),
    path("api/", include("matching.api.urls")),
    path("api/", include("sourcing.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (JSON answers, for one).
    path("favicon.ico", views.favicon),
    path("healthz/ready", views.healthz_ready, name="healthz-ready"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
