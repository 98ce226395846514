"""Watches and notifications in the JSON API: a user's own, nobody else's."""

import datetime

from django.utils import timezone
from rest_framework.test import APIClient

from sourcing.api import watching
from sourcing.models import Notification, Watch
from sourcing.watching import detection
from sourcing.watching.alerts import AlertSpec, raise_alert
from tests.factories import ProviderFactory, RegulatoryActionFactory, SiteFactory

TODAY = timezone.localdate()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _notify(user, n: int = 1) -> list[Notification]:
    for number in range(n):
        raise_alert(
            AlertSpec(key=f"test:{number}", kind="warning-letter", title=f"Letter {number}"),
            [user.pk],
        )
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def test_notifications_list_newest_first_and_unread_only_on_request(helen, otto):
    first, second = _notify(helen, 2)
    _notify(otto)
    api(helen).post(f"/api/notifications/{first.pk}/read/")

    every = api(helen).get("/api/notifications/").json()
    unread = api(helen).get("/api/notifications/?unread=true").json()

    assert [row["alert"]["title"] for row in every["results"]] == ["Letter 1", "Letter 0"]
    assert [row["id"] for row in unread["results"]] == [second.pk]
    assert every["results"][1]["read"] is True


def test_marking_all_read_says_how_many(helen):
    _notify(helen, 3)

    answer = api(helen).post("/api/notifications/read-all/")

    assert answer.json() == {"marked": 3}
    assert not Notification.objects.filter(recipient=helen, read_at__isnull=True).exists()


def test_another_users_notification_is_not_found(helen, otto):
    (notification,) = _notify(otto)

    assert api(helen).get(f"/api/notifications/{notification.pk}/").status_code == 404
    assert api(helen).post(f"/api/notifications/{notification.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_anonymous_calls_are_refused(db):
    assert api().get("/api/notifications/").status_code == 401
    assert api().post("/api/watches/", {"site": 1}, format="json").status_code == 401


def test_watching_a_site_tells_only_what_comes_later(otto):
    site = SiteFactory(fei_number="3001112223")
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, case_id="1")

    answer = api(otto).post("/api/watches/", {"site": site.pk}, format="json")
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, case_id="2", action_date=TODAY)
    detection.sweep()

    assert answer.status_code == 201
    assert answer.json()["name"] == f"{site.provider.name} — {site.name}"
    (notification,) = Notification.objects.filter(recipient=otto)
    assert "warning letter 2 dated" in notification.alert.items[0]["text"]


def test_a_watch_needs_one_site_or_one_provider_and_not_twice(otto):
    site = SiteFactory()
    provider = ProviderFactory()
    client = api(otto)

    neither = client.post("/api/watches/", {}, format="json")
    both = client.post("/api/watches/", {"site": site.pk, "provider": provider.pk}, format="json")
    unknown = client.post("/api/watches/", {"site": 999999}, format="json")
    client.post("/api/watches/", {"provider": provider.pk}, format="json")
    again = client.post("/api/watches/", {"provider": provider.pk}, format="json")

    assert neither.status_code == both.status_code == unknown.status_code == 400
    assert neither.json() == {"site": ["Give a site or a provider to watch, not both."]}
    assert "site" in unknown.json()
    assert again.json() == {"provider": ["You already watch this provider."]}


def test_stopping_a_watch_and_anothers_watch_is_not_found(helen, otto):
    site = SiteFactory()
    mine = Watch.objects.create(user=otto, site=site)
    theirs = Watch.objects.create(user=helen, site=site)

    assert api(otto).delete(f"/api/watches/{theirs.pk}/").status_code == 404
    assert api(otto).delete(f"/api/watches/{mine.pk}/").status_code == 204
    assert list(Watch.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_notifications_carry_the_alerts_items_and_link(helen):
    raise_alert(
        AlertSpec(
            key="test:items",
            kind="warning-letter",
            title="Warning letter: Acme — Leverkusen",
            items=[
                {
                    "kind": "warning-letter",
                    "text": "FDA warning letter 1 dated 2025-06-06",
                    "date": "2025-06-06",
                    "source": "FDA Data Dashboard",
                    "url": "/providers/acme/#action-1",
                }
            ],
            url="/providers/acme/#action-1",
            occurred_on=TODAY - datetime.timedelta(days=3),
        ),
        [helen.pk],
    )

    (row,) = api(helen).get("/api/notifications/").json()["results"]

    assert row["alert"]["url"] == "/providers/acme/#action-1"
    assert row["alert"]["items"][0]["text"] == "FDA warning letter 1 dated 2025-06-06"
    assert row["read"] is False


def test_notifications_of_saved_searches_and_kept_briefs_read_as_well(helen):
    raise_alert(
        AlertSpec(
            key="test:search",
            kind="saved-search",
            title="2 new sites match “EU mAb”",
            items=[{"text": "Rhine Biologics — Leverkusen, Germany", "url": "/providers/rhine/"}],
        ),
        [helen.pk],
    )

    answer = api(helen).get("/api/notifications/")

    assert answer.status_code == 200
    (item,) = answer.json()["results"][0]["alert"]["items"]
    assert item == {
        "kind": "",
        "text": "Rhine Biologics — Leverkusen, Germany",
        "date": "",
        "source": "",
        "url": "/providers/rhine/",
    }


def test_watching_twice_at_once_is_refused_not_failed(otto, monkeypatch):
    site = SiteFactory()
    Watch.objects.create(user=otto, site=site)
    # The second request's check ran before the first one's row was written.
    monkeypatch.setattr(watching.WatchSerializer, "validate", lambda self, attrs: attrs)

    answer = api(otto).post("/api/watches/", {"site": site.pk}, format="json")

    assert answer.status_code == 400
    assert answer.json() == {"site": ["You already watch this site."]}
