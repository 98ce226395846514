"""Pages of a sponsor's briefs and match runs, and of its organisation's members, included at the
site's root."""

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
    path("briefs/<int:pk>/duplicate/", views.brief_duplicate, name="brief-duplicate"),
    path("briefs/<int:pk>/runs/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/compare/<int:other>/", views.run_compare, name="run-compare"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run-retry"),
    path("runs/<int:pk>/acceptability/", views.acceptability_start, name="acceptability-start"),
    path(
        "runs/<int:pk>/acceptability/progress/",
        views.acceptability_progress,
        name="acceptability-progress",
    ),
    path("methodology/ranking/", views.ranking_methodology, name="ranking-methodology"),
    path("organisation/", views.member_list, name="members"),
    path("organisation/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("organisation/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("organisation/invitations/", views.invitation_create, name="member-invite"),
    path(
        "organisation/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="member-invitation-revoke",
    ),
    # Named "member-…" so that the main navigation marks the Organisation page.
    path("invitations/<str:token>/", views.invitation_accept, name="member-invitation"),
]
