"""URLs of the sourcing API, included at `api/` beside the catalogue's and the briefs'."""

from rest_framework.routers import SimpleRouter

from sourcing.api import comparison, decisions, documents, exports, scoring, views, watching

app_name = "sourcing-api"

router = SimpleRouter()
router.register("shortlists", views.ShortlistViewSet, basename="shortlist")
router.register("candidates", views.CandidateViewSet, basename="candidate")
# Quotes and attachments (sourcing/api/documents.py)
router.register("candidates", documents.CandidateDocumentsViewSet, basename="candidate-documents")
router.register("attachments", documents.AttachmentViewSet, basename="attachment")
# Team scoring (sourcing/api/scoring.py)
router.register("shortlists", scoring.ShortlistScoringViewSet, basename="shortlist-scoring")
router.register("candidates", scoring.CandidateScoringViewSet, basename="candidate-scoring")
# Comparison (sourcing/api/comparison.py)
router.register("shortlists", comparison.ComparisonViewSet, basename="shortlist-comparison")
# Exports of runs and shortlists (sourcing/api/exports.py)
router.register("runs", exports.RunExportViewSet, basename="run-export")
router.register("shortlists", exports.ShortlistExportViewSet, basename="shortlist-export")
# Decisions (sourcing/api/decisions.py)
router.register(
    r"shortlists/(?P<shortlist_pk>\d+)/decisions", decisions.DecisionViewSet, basename="decision"
)
# Watches and notifications (sourcing/api/watching.py)
router.register("notifications", watching.NotificationViewSet, basename="notification")
router.register("watches", watching.WatchViewSet, basename="watch")

urlpatterns = router.urls
