"""URLs of the catalogue API, included at `api/`; `api/docs/` documents them all."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from partners.api import views

app_name = "api"

urlpatterns = [
    path("providers/", views.ProviderList.as_view(), name="provider-list"),
    # Any string, not only a slug: whatever the client sends is answered in JSON (404 if unknown).
    path("providers/<str:slug>/", views.ProviderDetail.as_view(), name="provider-detail"),
    path("sites/<str:pk>/", views.SiteDetail.as_view(), name="site-detail"),
    path("taxonomy/", views.Taxonomy.as_view(), name="taxonomy"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its set-up script as a file, which the Content-Security-Policy allows.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
