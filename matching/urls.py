"""Pages of a sponsor's briefs, included at the site's root."""

from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("briefs/", views.brief_list, name="brief-list"),
    path("briefs/new/", views.brief_create, name="brief-create"),
    path("briefs/preview/", views.brief_preview, name="brief-preview"),
    path("briefs/<int:pk>/", views.brief_detail, name="brief"),
    path("briefs/<int:pk>/edit/", views.brief_edit, name="brief-edit"),
    path("briefs/<int:pk>/delete/", views.brief_delete, name="brief-delete"),
]
