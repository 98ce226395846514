"""Pages of the procurement workspace: shortlists, their candidates and the "add to shortlist"
control other pages load; a brief's "keep matching"; and a user's own saved searches,
notifications and watches. Included at the site's root."""

from django.urls import URLPattern, URLResolver, include, path

from sourcing.views import comparison as compare_views
from sourcing.views import decisions, documents
from sourcing.views import kept_briefs as kept_brief_views
from sourcing.views import notifications as notification_views
from sourcing.views import saved_searches as saved_search_views
from sourcing.views import scoring as scoring_views
from sourcing.views import shortlists as views

app_name = "sourcing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("shortlists/", views.shortlist_list, name="shortlist-list"),
    path("shortlists/add/", views.add, name="add"),
    path("shortlists/add/control/", views.add_control, name="add-control"),
    path("shortlists/<int:pk>/", views.shortlist_detail, name="shortlist"),
    path("shortlists/<int:pk>/activity/", views.activity, name="activity"),
    path("shortlists/<int:pk>/candidates/<int:cid>/", views.candidate_detail, name="candidate"),
    path("shortlists/<int:pk>/candidates/<int:cid>/move/", views.move, name="move"),
    path("shortlists/<int:pk>/candidates/<int:cid>/assign/", views.assign, name="assign"),
    path("shortlists/<int:pk>/candidates/<int:cid>/notes/", views.note, name="note"),
    path("shortlists/<int:pk>/candidates/<int:cid>/remove/", views.remove, name="remove"),
    path("shortlists/<int:pk>/export.<str:fmt>", views.shortlist_export, name="shortlist-export"),
    path("runs/<int:pk>/export.<str:fmt>", views.run_export, name="run-export"),
    # Quotes and attachments (sourcing/views/documents.py)
    path("shortlists/<int:pk>/candidates/<int:cid>/quote/", documents.quote, name="quote"),
    path("shortlists/<int:pk>/candidates/<int:cid>/attachments/", documents.attach, name="attach"),
    path(
        "shortlists/<int:pk>/candidates/<int:cid>/attachments/<int:aid>/",
        documents.download,
        name="attachment",
    ),
    path(
        "shortlists/<int:pk>/candidates/<int:cid>/attachments/<int:aid>/delete/",
        documents.detach,
        name="detach",
    ),
    # Team scoring (sourcing/views/scoring.py)
    path("shortlists/<int:pk>/criteria/", scoring_views.criteria, name="criteria"),
    path("shortlists/<int:pk>/scores/", scoring_views.scores, name="scores"),
    path("shortlists/<int:pk>/scores/reveal/", scoring_views.reveal, name="scores-reveal"),
    # Comparison (sourcing/views/comparison.py)
    path("shortlists/<int:pk>/compare/", compare_views.compare, name="compare"),
    path(
        "shortlists/<int:pk>/compare/export.<str:fmt>",
        compare_views.compare_export,
        name="compare-export",
    ),
    # Decisions (sourcing/views/decisions.py)
    path("shortlists/<int:pk>/decide/", decisions.decide, name="decide"),
    path("shortlists/<int:pk>/decisions/", decisions.decision_list, name="decisions"),
    path(
        "shortlists/<int:pk>/decisions/<int:number>/",
        decisions.decision_detail,
        name="decision",
    ),
    path(
        "shortlists/<int:pk>/decisions/<int:number>/reopen/",
        decisions.reopen,
        name="decision-reopen",
    ),
]

# Keep matching, on a brief's page (sourcing/views/kept_briefs.py)
urlpatterns += [
    path("briefs/<int:pk>/keep-matching/", kept_brief_views.keep_matching, name="keep-matching"),
]

# Saved directory searches (sourcing/views/saved_searches.py). A user's own, not an
# organisation's, so included as a group of their own: the walk of tests/sourcing/test_access.py
# is of an organisation's pages (its viewers read them, its outsiders find nothing), and
# tests/sourcing/test_saved_searches.py walks these as their owner, another user and the
# anonymous instead.
saved_search_patterns = [
    path("", saved_search_views.saved_search_list, name="saved-searches"),
    path("save/", saved_search_views.save_search, name="save-search"),
    path("<int:pk>/watch/", saved_search_views.watch, name="saved-search-watch"),
    path("<int:pk>/delete/", saved_search_views.delete, name="saved-search-delete"),
]
urlpatterns += [path("saved-searches/", include(saved_search_patterns))]

# Notifications and watches (sourcing/views/notifications.py): a user's own, not an
# organisation's, so walked by tests/sourcing/test_notification_pages.py rather than the
# organisation walk of tests/sourcing/test_access.py.
personal_urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read/", notification_views.mark_all_read, name="notifications-read-all"),
    path(
        "notifications/settings/",
        notification_views.notification_settings,
        name="notification-settings",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        notification_views.unsubscribe,
        name="unsubscribe",
    ),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification"),
    path("notifications/<int:pk>/read/", notification_views.mark_read, name="notification-read"),
    path("watch/control/", notification_views.watch_control, name="watch-control"),
    path("watch/site/<int:pk>/", notification_views.watch_site, name="watch-site"),
    path("watch/provider/<int:pk>/", notification_views.watch_provider, name="watch-provider"),
]
urlpatterns += personal_urlpatterns
