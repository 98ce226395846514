"""Notifications as a user meets them: the bell's unread count in the header (one query, none
for the anonymous), the list (newest first, unread marked, filtered, paged), marking one or all
read with or without htmx, following a notification (marked read, only ever to a path of this
site), another user's notification a 404, the settings form naming the field in error, the
unsubscribe link working without signing in (and RFC 8058's one-click POST), and the Watch /
Unwatch control of the profiles."""

from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from sourcing import urls as sourcing_urls
from sourcing.choices import AlertKind, EmailChoice
from sourcing.models import Notification, NotificationSettings, SavedSearch, Watch
from sourcing.views.notifications import PER_PAGE
from sourcing.watching.alerts import AlertSpec, raise_alert
from tests.factories import ProviderFactory, SiteFactory, UserFactory
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def notify(user, number: int = 1, **spec) -> Notification:
    """A warning letter at Acme's Leverkusen site, notified to the user."""
    fields = {
        "key": f"test:{number}",
        "kind": AlertKind.WARNING_LETTER,
        "title": f"Warning letter {number} to Acme",
        "items": [
            {
                "text": f"Warning letter 320-26-{number:02d}",
                "date": "2026-11-20",
                "source": "FDA compliance actions",
                "url": "https://www.fda.gov/inspections-compliance-enforcement-and-criminal-investigations/warning-letters",
            }
        ],
        "url": "/providers/acme/#site-1",
        "provider_name": "Acme",
        "site_name": "Leverkusen",
        **spec,
    }
    alert, _ = raise_alert(AlertSpec(**fields), [user.pk])
    return Notification.objects.get(alert=alert, recipient=user)


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _buttons(element) -> list[str]:
    return [
        button.get("aria-label") or " ".join(button.get_text().split())
        for button in element.find_all("button")
    ]


def _bell(response) -> str:
    """The bell's accessible name."""
    bell = _page(response).find(id="notification-bell")
    if bell is None:
        return ""
    return bell.get("aria-label") or " ".join(bell.get_text().split())


@pytest.fixture
def user(db):
    return UserFactory(username="nora", email="nora@example.com")


# The bell


def test_the_bell_counts_the_unread_notifications(user):
    for number in range(3):
        notify(user, number)
    Notification.objects.filter(alert__key="test:0").update(read_at="2026-12-01T10:00Z")

    response = client_of(user).get(reverse("sourcing:shortlist-list"))

    assert _bell(response) == "Notifications, 2 unread"
    assert _page(response).find(id="notification-bell")["href"] == reverse("sourcing:notifications")


def test_the_bell_says_no_count_when_everything_is_read(user):
    response = client_of(user).get(reverse("sourcing:shortlist-list"))
    assert _bell(response) == "Notifications"


def test_the_bell_costs_one_query_and_the_anonymous_none(user, client):
    notify(user)
    with CaptureQueriesContext(connection) as signed_in:
        client_of(user).get(reverse("partners:methodology"))
    with CaptureQueriesContext(connection) as anonymous:
        response = client.get(reverse("partners:methodology"))

    def counts(queries):
        return [q["sql"] for q in queries if "sourcing_notification" in q["sql"]]

    assert len(counts(signed_in.captured_queries)) == 1
    assert counts(anonymous.captured_queries) == []
    assert _bell(response) == ""


def test_someone_elses_notifications_are_not_counted(user):
    notify(UserFactory())
    response = client_of(user).get(reverse("sourcing:shortlist-list"))
    assert _bell(response) == "Notifications"


# The list


def test_the_list_shows_what_happened_where_newest_first_unread_marked(user):
    older = notify(user, 1, title="Warning letter to Acme")
    notify(
        user,
        2,
        title="Import alert on Beta",
        kind=AlertKind.IMPORT_ALERT,
        provider_name="Beta",
        site_name="Basel",
    )
    Notification.objects.filter(pk=older.pk).update(read_at="2026-12-01T10:00Z")

    response = client_of(user).get(reverse("sourcing:notifications"))

    items = _page(response).select("li.notification")
    assert [item.h3.get_text(strip=True) for item in items] == [
        "Import alert on Beta",
        "Warning letter to Acme",
    ]
    assert "Unread" in items[0].get_text()
    assert "Unread" not in items[1].get_text()
    assert "Beta — Basel" in items[0].get_text()
    assert "Warning letter 320-26-01" in items[1].get_text()
    assert "20 Nov 2026" in items[1].get_text()
    assert "FDA compliance actions" in items[1].get_text()
    assert items[1].h3.a["href"] == older.get_absolute_url()
    # Only the unread one can be marked read.
    assert _buttons(items[0]) == ["Mark as read: Import alert on Beta"]
    assert _buttons(items[1]) == []


def test_the_list_filters_the_unread(user):
    read = notify(user, 1, title="Read one")
    notify(user, 2, title="Unread one")
    Notification.objects.filter(pk=read.pk).update(read_at="2026-12-01T10:00Z")

    response = client_of(user).get(reverse("sourcing:notifications"), {"show": "unread"})

    titles = [item.h3.get_text(strip=True) for item in _page(response).select("li.notification")]
    assert titles == ["Unread one"]
    current = _page(response).select_one(".segmented a[aria-current=page]")
    assert current.get_text() == "Unread"


def test_the_list_is_paged_and_its_queries_do_not_grow(user, django_assert_max_num_queries):
    for number in range(PER_PAGE + 3):
        notify(user, number)
    client = client_of(user)
    client.get(reverse("sourcing:notifications"))  # the session is read once

    with django_assert_max_num_queries(6):
        first = client.get(reverse("sourcing:notifications"))
    second = client.get(reverse("sourcing:notifications"), {"page": 2})

    assert len(_page(first).select("li.notification")) == PER_PAGE
    assert len(_page(second).select("li.notification")) == 3
    assert _page(first).select_one("nav.pagination a[rel=next]")


def test_an_empty_list_says_how_to_get_notifications(user):
    response = client_of(user).get(reverse("sourcing:notifications"))
    assert "watch a site or a provider from its profile" in response.content.decode()


# Marking read


def test_mark_as_read_without_javascript_returns_to_the_list(user):
    notification = notify(user)

    response = client_of(user).post(
        reverse("sourcing:notification-read", args=[notification.pk]), {"show": "unread"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('sourcing:notifications')}?show=unread"
    notification.refresh_from_db()
    assert notification.is_read


def test_mark_as_read_with_htmx_swaps_the_list_and_the_bell(user):
    first = notify(user, 1)
    notify(user, 2)

    response = client_of(user).post(
        reverse("sourcing:notification-read", args=[first.pk]), {"show": "all"}, **HTMX
    )

    assert response.status_code == 200
    page = _page(response)
    assert page.select_one("#notification-list")
    bell = page.find(id="notification-bell")
    assert bell["hx-swap-oob"] == "true"
    assert bell["aria-label"] == "Notifications, 1 unread"
    assert "Marked" in page.select_one("[role=status]").get_text()


def test_mark_all_as_read(user):
    for number in range(3):
        notify(user, number)
    other = notify(UserFactory(), 9)

    client = client_of(user)
    response = client.post(reverse("sourcing:notifications-read-all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert not other.is_read
    follow = client.get(response["Location"])
    assert "Marked 3 notifications as read." in follow.content.decode()
    assert "Mark all as read" not in follow.content.decode()


def test_another_users_notification_is_a_404(user):
    theirs = notify(UserFactory())
    client = client_of(user)

    assert client.get(reverse("sourcing:notification", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("sourcing:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


# Following a notification


def test_following_a_notification_marks_it_read_and_goes_to_its_page(user):
    notification = notify(user, url="/providers/acme/#site-1")

    response = client_of(user).get(notification.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == "/providers/acme/#site-1"
    notification.refresh_from_db()
    assert notification.is_read


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)", ""]
)
def test_a_link_off_the_site_is_never_followed_the_notification_is_shown(user, url):
    notification = notify(user, url=url)

    response = client_of(user).get(notification.get_absolute_url())

    assert response.status_code == 200
    assert _page(response).h1.get_text() == notification.alert.title
    notification.refresh_from_db()
    assert notification.is_read


# Settings


def test_the_settings_show_the_defaults_until_saved(user):
    response = client_of(user).get(reverse("sourcing:notification-settings"))

    page = _page(response)
    assert len(page.select("input[name=kinds][checked]")) == len(AlertKind.values)
    assert page.select_one("input[name=email][checked]")["value"] == EmailChoice.DIGEST
    assert page.select_one("input[name=digest_time]")["value"] == "08:00"
    assert page.select_one("select[name=time_zone] option[selected]")["value"] == "UTC"
    assert not NotificationSettings.objects.filter(user=user).exists()


def test_saving_the_settings_creates_them(user):
    client = client_of(user)
    response = client.post(
        reverse("sourcing:notification-settings"),
        {
            "kinds": [AlertKind.WARNING_LETTER, AlertKind.IMPORT_ALERT],
            "email": EmailChoice.AT_ONCE,
            "digest_time": "07:15",
            "time_zone": "Europe/Berlin",
        },
    )

    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=user)
    assert saved.kinds == [AlertKind.WARNING_LETTER, AlertKind.IMPORT_ALERT]
    assert saved.email == EmailChoice.AT_ONCE
    assert saved.digest_time.strftime("%H:%M") == "07:15"
    assert saved.time_zone == "Europe/Berlin"
    assert "Notification settings saved." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"time_zone": "Mars/Olympus"}, "Time zone: Select a valid choice."),
        ({"digest_time": ""}, "Digest time: Give the time the daily digest should go."),
        ({"digest_time": "25:99"}, "Digest time: Enter a valid time."),
        ({"email": "sometimes"}, "E-mail: Select a valid choice."),
    ],
)
def test_a_settings_error_names_the_field(user, data, error):
    valid = {
        "kinds": [AlertKind.WARNING_LETTER],
        "email": EmailChoice.DIGEST,
        "digest_time": "08:00",
        "time_zone": "UTC",
    }

    response = client_of(user).post(reverse("sourcing:notification-settings"), {**valid, **data})

    assert response.status_code == 400
    assert error in _page(response).select_one(".form-errors").get_text()
    assert not NotificationSettings.objects.filter(user=user).exists()


def test_a_new_email_choice_applies_from_now_on(user):
    NotificationSettings.objects.create(user=user, email=EmailChoice.NEVER)
    waiting = notify(user)

    client_of(user).post(
        reverse("sourcing:notification-settings"),
        {
            "kinds": AlertKind.values,
            "email": EmailChoice.AT_ONCE,
            "digest_time": "08:00",
            "time_zone": "UTC",
        },
    )

    waiting.refresh_from_db()
    assert waiting.emailed_at is not None  # not sent now, months late


# Unsubscribing


@pytest.fixture
def subscribed(user):
    return NotificationSettings.objects.create(user=user, email=EmailChoice.AT_ONCE)


def test_unsubscribing_needs_no_sign_in_and_asks_first(client, subscribed):
    url = reverse("sourcing:unsubscribe", args=[subscribed.unsubscribe_token])

    page = client.get(url)
    assert page.status_code == 200
    assert _page(page).find("button", string="Stop the e-mails")
    subscribed.refresh_from_db()
    assert subscribed.email == EmailChoice.AT_ONCE

    done = client.post(url)
    assert done.status_code == 200
    assert "Notification e-mails stopped" in done.content.decode()
    subscribed.refresh_from_db()
    assert subscribed.email == EmailChoice.NEVER


def test_a_mail_clients_one_click_unsubscribe_needs_no_csrf_token(subscribed):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("sourcing:unsubscribe", args=[subscribed.unsubscribe_token]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.email == EmailChoice.NEVER


def test_an_unknown_unsubscribe_token_is_a_404(client, subscribed):
    url = reverse("sourcing:unsubscribe", args=["not-a-token"])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 404
    )
    subscribed.refresh_from_db()
    assert subscribed.email == EmailChoice.AT_ONCE


# Watching from a profile


@pytest.fixture
def started(monkeypatch):
    """The site ids each new watch asked sourcing/watching/watchers.py to start watching."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "sourcing.signals.start_watching",
        lambda site_ids: calls.append(sorted(site_ids)),
    )
    return calls


def test_watching_a_site_starts_watching_it_and_again_stops(user, started):
    site = SiteFactory(name="Leverkusen")
    client = client_of(user)
    url = reverse("sourcing:watch-site", args=[site.pk])

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == site.get_absolute_url()
    assert Watch.objects.filter(user=user, site=site).exists()
    assert started == [[site.pk]]

    client.post(url)
    assert not Watch.objects.filter(user=user, site=site).exists()
    assert started == [[site.pk]]


def test_watching_twice_with_the_wanted_state_watches_once(user, started):
    site = SiteFactory()
    client = client_of(user)
    url = reverse("sourcing:watch-site", args=[site.pk])

    client.post(url, {"watch": "1"})
    client.post(url, {"watch": "1"})

    assert Watch.objects.filter(user=user, site=site).count() == 1
    assert started == [[site.pk]]


def test_watching_a_provider_starts_watching_every_site_of_it(user, started):
    provider = ProviderFactory(name="Acme")
    sites = [SiteFactory(provider=provider) for _ in range(2)]

    response = client_of(user).post(reverse("sourcing:watch-provider", args=[provider.pk]), **HTMX)

    assert response.status_code == 200
    assert _page(response).find("button").get_text(" ", strip=True) == "Unwatch Acme"
    assert Watch.objects.filter(user=user, provider=provider).exists()
    assert started == [sorted(site.pk for site in sites)]


def test_the_watch_control_says_watch_or_unwatch(user, started):
    site = SiteFactory(name="Leverkusen")
    client = client_of(user)
    control = reverse("sourcing:watch-control")

    assert (
        _page(client.get(control, {"site": site.pk})).button.get_text(" ", strip=True)
        == "Watch Leverkusen"
    )
    client.post(reverse("sourcing:watch-site", args=[site.pk]))
    assert (
        _page(client.get(control, {"site": site.pk})).button.get_text(" ", strip=True)
        == "Unwatch Leverkusen"
    )
    # A site of a watched provider is watched with it.
    Watch.objects.filter(user=user).delete()
    Watch.objects.create(user=user, provider=site.provider)
    assert "Watched with every site of" in client.get(control, {"site": site.pk}).content.decode()


def test_the_watch_control_offers_nothing_to_the_anonymous(client):
    site = SiteFactory()
    assert client.get(reverse("sourcing:watch-control"), {"site": site.pk}).status_code == 204


@pytest.mark.parametrize("query", [{}, {"site": "x"}, {"site": 999999}, {"provider": 999999}])
def test_a_watch_control_for_nothing_is_a_404(user, query):
    assert client_of(user).get(reverse("sourcing:watch-control"), query).status_code == 404


def test_the_profile_loads_the_watch_controls_for_the_signed_in_only(user, client):
    site = SiteFactory(name="Leverkusen")
    url = site.provider.get_absolute_url()

    anonymous = _page(client.get(url))
    signed_in = _page(client_of(user).get(url))

    assert anonymous.select(".watch-slot") == []
    slots = [slot["hx-get"] for slot in signed_in.select(".watch-slot")]
    control = reverse("sourcing:watch-control")
    assert slots == [f"{control}?provider={site.provider.pk}", f"{control}?site={site.pk}"]


# Who may reach what


PERSONAL = {
    pattern.name: pattern
    for pattern in sourcing_urls.personal_urlpatterns
    if isinstance(pattern, URLPattern)
}
# Reached without signing in: the unsubscribe link (its token is the key) and the watch control
# (empty for the anonymous, whom the profile never asks).
OPEN_TO_ALL = {"unsubscribe", "watch-control"}


def _url(name: str, user) -> str:
    pattern = PERSONAL[name]
    kwargs = {}
    if "pk" in pattern.pattern.converters:
        if name == "watch-site":
            kwargs["pk"] = SiteFactory().pk
        elif name == "watch-provider":
            kwargs["pk"] = ProviderFactory().pk
        else:
            kwargs["pk"] = notify(user).pk
    if "token" in pattern.pattern.converters:
        kwargs["token"] = NotificationSettings.objects.get_or_create(user=user)[0].unsubscribe_token
    return reverse(f"sourcing:{name}", kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(set(PERSONAL) - OPEN_TO_ALL))
def test_the_anonymous_are_sent_to_sign_in(name, user, client):
    url = _url(name, user)
    for response in (client.get(url), client.post(url)):
        assert response.status_code in (302, 405)
        if response.status_code == 302:
            assert response["Location"].startswith(f"/accounts/login/?next={quote(url)}")
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert not Watch.objects.exists()


@pytest.mark.parametrize("name", sorted(set(PERSONAL) - {"unsubscribe"}))
def test_a_change_needs_the_csrf_token(name, user, started):
    url = _url(name, user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(url, {"show": "all"})

    assert response.status_code in (403, 405)
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert not Watch.objects.exists()
    assert not NotificationSettings.objects.exclude(email=EmailChoice.DIGEST).exists()


def test_curators_read_alerts_and_notifications_in_the_admin(user):
    notification = notify(user)
    curator = UserFactory(is_staff=True, is_superuser=True)
    client = client_of(curator)

    alerts = client.get(reverse("admin:sourcing_alert_changelist"))
    notifications = client.get(reverse("admin:sourcing_notification_changelist"))
    one = client.get(reverse("admin:sourcing_notification_change", args=[notification.pk]))

    assert alerts.status_code == notifications.status_code == one.status_code == 200
    assert "Warning letter 1 to Acme" in alerts.content.decode()
    assert "nora" in notifications.content.decode()
    assert client.get(reverse("admin:sourcing_alert_add")).status_code == 403


def test_curators_read_watches_saved_searches_and_kept_briefs_in_the_admin(user):
    site = SiteFactory(name="Leverkusen")
    Watch.objects.create(user=user, site=site)
    SavedSearch.objects.create(user=user, name="EU mAb", query="modality=mab")
    curator = UserFactory(is_staff=True, is_superuser=True)
    client = client_of(curator)

    watches = client.get(reverse("admin:sourcing_watch_changelist"))
    searches = client.get(reverse("admin:sourcing_savedsearch_changelist"))
    kept = client.get(reverse("admin:sourcing_keptbrief_changelist"))

    assert watches.status_code == searches.status_code == kept.status_code == 200
    assert "Leverkusen" in watches.content.decode()
    assert "EU mAb" in searches.content.decode()
    assert client.get(reverse("admin:sourcing_watch_add")).status_code == 403
