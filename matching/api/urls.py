"""URLs of the briefs API and of the organisation's members and invitations, included at `api/`
beside the catalogue's."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from matching.api import acceptability, organisation, run_comparison, views

app_name = "matching-api"

router = SimpleRouter()
router.register("briefs", views.BriefViewSet, basename="brief")
router.register("runs", views.RunViewSet, basename="run")
router.register("organisation/members", organisation.MemberViewSet, basename="member")
router.register("organisation/invitations", organisation.InvitationViewSet, basename="invitation")

urlpatterns = [
    *router.urls,
    path(
        "runs/<int:pk>/acceptability/",
        acceptability.RunAcceptabilityView.as_view(),
        name="run-acceptability",
    ),
    path(
        "runs/<int:pk>/compare/<int:other>/",
        run_comparison.RunComparisonView.as_view(),
        name="run-compare",
    ),
]
