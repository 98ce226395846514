"""Curators' tools in the admin: a verified provider always has its verification date, a bulk
action verifies providers today, and provider and site pages link to the public profile."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from partners.catalogue_version import current_catalogue_version
from partners.models import Provider
from tests.factories import ProviderFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def _provider_form(provider: Provider, **changes) -> dict:
    return {
        "name": provider.name,
        "slug": provider.slug,
        "kind": provider.kind,
        "country": provider.country.code,
        "website": provider.website,
        "description": provider.description,
        "verification_status": provider.verification_status,
        "verified_on": provider.verified_on.isoformat() if provider.verified_on else "",
        "sites-TOTAL_FORMS": "0",
        "sites-INITIAL_FORMS": "0",
        "sites-MIN_NUM_FORMS": "0",
        "sites-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    } | changes


# -- "Verified" requires a date ---------------------------------------------------------------


def test_database_refuses_a_verified_provider_without_a_date():
    with pytest.raises(IntegrityError, match="partners_provider_verified_has_date"):
        ProviderFactory(verification_status="verified", verified_on=None)


def test_verified_provider_without_a_date_fails_validation():
    provider = ProviderFactory.build(verification_status="verified", verified_on=None)

    with pytest.raises(ValidationError) as error:
        provider.full_clean()

    assert error.value.message_dict["verified_on"] == [
        "A verified provider needs the date it was verified."
    ]


def test_verification_date_cannot_be_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    provider = ProviderFactory.build(verification_status="verified", verified_on=tomorrow)

    with pytest.raises(ValidationError) as error:
        provider.full_clean()

    assert "verified_on" in error.value.message_dict


def test_unverified_provider_keeps_the_date_of_an_earlier_verification():
    provider = ProviderFactory.build(
        verification_status="unverified", verified_on=datetime.date(2024, 5, 1)
    )

    provider.full_clean()  # no error


def test_curator_choosing_verified_without_a_date_verifies_the_provider_today(client, curator):
    provider = ProviderFactory()
    client.force_login(curator)

    response = client.post(
        reverse("admin:partners_provider_change", args=[provider.pk]),
        _provider_form(provider, verification_status="verified", verified_on=""),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    provider.refresh_from_db()
    assert provider.verification_status == "verified"
    assert provider.verified_on == timezone.localdate()
    assert provider.history.latest().history_user == curator


def test_curator_keeps_a_verification_date_given(client, curator):
    provider = ProviderFactory()
    client.force_login(curator)

    client.post(
        reverse("admin:partners_provider_change", args=[provider.pk]),
        _provider_form(provider, verification_status="verified", verified_on="2026-03-04"),
    )

    provider.refresh_from_db()
    assert provider.verified_on == datetime.date(2026, 3, 4)


def test_mistyped_verification_date_is_an_error_not_today(client, curator):
    provider = ProviderFactory()
    client.force_login(curator)

    response = client.post(
        reverse("admin:partners_provider_change", args=[provider.pk]),
        _provider_form(provider, verification_status="verified", verified_on="2026-02-30"),
    )

    assert response.status_code == 200
    assert "verified_on" in response.context["adminform"].form.errors
    provider.refresh_from_db()
    assert provider.verification_status == "unverified"


def test_provider_list_shows_each_verification_with_its_date(client, curator):
    ProviderFactory(verification_status="verified", verified_on=datetime.date(2026, 3, 4))
    ProviderFactory()
    client.force_login(curator)

    html = client.get(reverse("admin:partners_provider_changelist")).content.decode()

    assert "Verified on 4 Mar 2026" in html
    assert '<td class="field-verification">Unverified</td>' in html


def test_provider_form_offers_todays_date_to_its_script(client, curator):
    provider = ProviderFactory()
    client.force_login(curator)

    html = client.get(reverse("admin:partners_provider_change", args=[provider.pk])).content

    assert f'data-today="{timezone.localdate().isoformat()}"'.encode() in html
    assert b"js/admin-verification.js" in html


# -- Bulk action "Mark verified today" --------------------------------------------------------


def _run_action(client, action: str, providers: list[Provider]):
    return client.post(
        reverse("admin:partners_provider_changelist"),
        {"action": action, "_selected_action": [str(p.pk) for p in providers]},
        follow=True,
    )


def test_mark_verified_today_verifies_the_selected_providers_with_history(client, curator):
    today = timezone.localdate()
    unverified = ProviderFactory(name="Alpha")
    verified_long_ago = ProviderFactory(
        name="Beta", verification_status="verified", verified_on=datetime.date(2023, 1, 9)
    )
    verified_today = ProviderFactory(
        name="Gamma", verification_status="verified", verified_on=today
    )
    untouched = ProviderFactory(name="Delta")
    version_before = current_catalogue_version()
    history_before = verified_today.history.count()
    client.force_login(curator)

    response = _run_action(
        client, "mark_verified_today", [unverified, verified_long_ago, verified_today]
    )

    for provider in (unverified, verified_long_ago, verified_today, untouched):
        provider.refresh_from_db()
    assert (unverified.verification_status, unverified.verified_on) == ("verified", today)
    assert verified_long_ago.verified_on == today
    assert untouched.verification_status == "unverified"
    change = unverified.history.latest()
    assert change.history_user == curator
    assert change.history_change_reason == "Marked verified today"
    assert [c.field for c in change.diff_against(change.prev_record).changes] == [
        "verification_status",
        "verified_on",
    ]
    assert verified_today.history.count() == history_before  # nothing to change
    assert current_catalogue_version() != version_before
    assert "2 providers marked verified on" in response.content.decode()
    assert "1 already were." in response.content.decode()


def test_mark_verified_today_from_the_unverified_queue_counts_the_selection(client, curator):
    providers = ProviderFactory.create_batch(2)
    verified = ProviderFactory(verification_status="verified", verified_on=timezone.localdate())
    client.force_login(curator)

    # The queue's filter stays on the list the action is run from, and the action empties it.
    response = client.post(
        f"{reverse('admin:partners_provider_changelist')}?review=unverified",
        {"action": "mark_verified_today", "_selected_action": [str(p.pk) for p in providers]},
        follow=True,
    )

    assert "2 providers marked verified on" in response.content.decode()
    assert "already were" not in response.content.decode()
    assert Provider.objects.filter(verification_status="verified").count() == 3
    assert verified.history.count() == 1


def test_mark_verified_today_needs_the_change_permission(client, django_user_model):
    reader = django_user_model.objects.create_user("rita", password="pw", is_staff=True)
    reader.user_permissions.add(
        *Group.objects.get(name="Curators").permissions.filter(codename="view_provider")
    )
    provider = ProviderFactory()
    client.force_login(reader)

    page = client.get(reverse("admin:partners_provider_changelist")).content.decode()
    _run_action(client, "mark_verified_today", [provider])

    assert "mark_verified_today" not in page
    provider.refresh_from_db()
    assert provider.verification_status == "unverified"


# -- "View on site" ---------------------------------------------------------------------------


def _view_on_site(client, change_url: str) -> str:
    """Where the change page's "View on site" button leads, after the admin's redirect."""
    html = client.get(change_url).content.decode()
    marker = 'class="viewsitelink"'
    assert marker in html, "no View on site button"
    tag = html[: html.index(marker)]
    href = tag[tag.rindex('href="') + len('href="') :].split('"', 1)[0]
    response = client.get(href)
    assert response.status_code == 302
    return response["Location"]


def test_provider_page_views_the_public_profile(client, curator):
    provider = ProviderFactory(slug="rhine-valley-pharma")
    client.force_login(curator)

    target = _view_on_site(client, reverse("admin:partners_provider_change", args=[provider.pk]))

    assert target.endswith("/providers/rhine-valley-pharma/")
    assert client.get(target).status_code == 200


def test_site_page_views_its_section_of_the_provider_profile(client, curator):
    site = SiteFactory(provider__slug="rhine-valley-pharma")
    client.force_login(curator)

    target = _view_on_site(client, reverse("admin:partners_site_change", args=[site.pk]))

    assert target.endswith(f"/providers/rhine-valley-pharma/#site-{site.pk}")
    assert f'id="site-{site.pk}"' in client.get(target).content.decode()


def test_provider_page_links_each_inline_site_to_the_profile(client, curator):
    site = SiteFactory()
    client.force_login(curator)

    html = client.get(reverse("admin:partners_provider_change", args=[site.provider.pk]))

    assert html.content.decode().count("View on site") == 2  # the provider's and the site's
