"""URLs of the briefs API, included at `api/` beside the catalogue's."""

from rest_framework.routers import SimpleRouter

from matching.api import views

app_name = "matching-api"

router = SimpleRouter()
router.register("briefs", views.BriefViewSet, basename="brief")
router.register("runs", views.RunViewSet, basename="run")

urlpatterns = router.urls
