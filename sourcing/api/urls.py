"""URLs of the sourcing API, included at `api/` beside the catalogue's and the briefs'."""

from rest_framework.routers import SimpleRouter

from sourcing.api import views

app_name = "sourcing-api"

router = SimpleRouter()
router.register("shortlists", views.ShortlistViewSet, basename="shortlist")
router.register("candidates", views.CandidateViewSet, basename="candidate")

urlpatterns = router.urls
