"""Saved directory searches: saving one from the directory (named by its filters unless named,
the name checked, the query normalised, a second save of the same search told it is saved), the
list of them with watching on or off and deleting, and the check that tells a search's owner, in
one notice, of the sites that newly match it: once, however often or by however many workers it
runs, and not at all when the catalogue did not change."""

import datetime

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.catalogue_version import bump_catalogue_version, current_catalogue_version
from partners.models import Site, Term
from sourcing import saved_searches
from sourcing import tasks as sourcing_tasks
from sourcing.choices import AlertKind
from sourcing.models import Alert, Notification, NotificationSettings, SavedSearch
from tests.factories import (
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
    UserFactory,
)
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SAVE = reverse("sourcing:save-search")
LIST = reverse("sourcing:saved-searches")


def _mab_site(country: str = "FR", **fields) -> Site:
    """A site of a CDMO making monoclonal antibodies, in `country`."""
    site = SiteFactory(country=country, **fields)
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"))
    return site


def _sterile_mab_site(country: str = "FR", **fields) -> Site:
    site = _mab_site(country, **fields)
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="sterile-injectable"))
    return site


@pytest.fixture
def sam(db):
    """sam, a signed-in buyer with no organisation: saved searches are a user's own."""
    return UserFactory(username="sam")


@pytest.fixture
def french_mab(sam) -> SavedSearch:
    """sam's watched search for mAb sites in France, saved while Lyon was the only one."""
    _mab_site(name="Lyon")
    return saved_searches.save_search(sam, "modality=mab&country=FR", "French mAb")


def _later(minutes: int = 5) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


# --- Saving ---------------------------------------------------------------------------------------


def test_saving_a_search_knows_the_sites_matching_now(sam):
    lyon, _german = _mab_site(name="Lyon"), _mab_site("DE", name="Basel")

    response = client_of(sam).post(SAVE, {"query": "country=FR&modality=mab", "name": "Lyon mAb"})

    assert response.status_code == 302
    assert response["Location"] == LIST
    search = SavedSearch.objects.get(user=sam)
    assert search.name == "Lyon mAb"
    assert search.watched is False  # an unticked box: saved, not watched
    assert search.known_site_ids == [lyon.pk]
    assert search.checked_at is not None
    assert search.catalogue_version


def test_a_search_is_named_by_its_filters_unless_named(sam):
    query = "modality=mab&dosage_form=sterile-injectable&region=europe"

    client_of(sam).post(SAVE, {"query": query, "name": "  ", "watched": "on"})

    search = SavedSearch.objects.get(user=sam)
    assert search.name == "Monoclonal antibody · Sterile injectable · Europe"
    assert search.watched is True


def test_the_summary_names_every_kind_of_filter():
    assert saved_searches.describe_query(
        "q=fill+finish&scope=registered&include_ancillary=true&verified=false"
        "&clean_since=2024-01-05&min_volume_l=2000&max_oel=0.50"
    ) == (
        "“fill finish” · All FDA-registered establishments · ancillary sites included · "
        "clean since 5 Jan 2024 · volume ≥ 2,000 L and 2 more"
    )
    assert saved_searches.describe_query("max_oel=0.50&min_batch_kg=500") == (
        "batch ≥ 500 kg · OEL ≤ 0.5 µg/m³"
    )
    assert saved_searches.describe_query("") == "All contract manufacturers"


def test_the_control_offers_the_filters_summary_as_the_name(sam):
    response = client_of(sam).get(
        SAVE,
        HTTP_HX_CURRENT_URL="http://testserver/providers/?modality=mab&country=DE&page=2",
        **HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="query" value="country=DE&amp;modality=mab"' in page
    assert 'value="Monoclonal antibody · Germany"' in page
    assert "Save this search" in page


def test_a_name_too_long_is_refused_naming_the_field(sam):
    response = client_of(sam).post(SAVE, {"query": "modality=mab", "name": "x" * 201}, **HTMX)

    assert response.status_code == 400
    assert "Name: Keep it to 200 characters (this one has 201)." in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_a_name_another_saved_search_has_is_refused(sam, french_mab):
    response = client_of(sam).post(SAVE, {"query": "modality=mab", "name": "french MAB"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Name: You have a saved search named “french MAB” already" in page
    assert SavedSearch.objects.count() == 1


def test_filters_the_directory_refuses_are_refused_naming_them(sam):
    response = client_of(sam).post(SAVE, {"query": "modality=unobtainium", "name": ""}, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Filters: These filters cannot be saved as they stand (Modality:" in page
    assert not SavedSearch.objects.exists()


def test_the_query_is_saved_normalised():
    assert (
        saved_searches.normalise_query(
            "?page=3&view=sites&ordering=-name&q=+mab+&country=FR&modality=mab&country=DE"
            "&scope=&_=1712&hx-request=true&utm_source=mail"
        )
        == "country=DE&country=FR&modality=mab&q=mab"
    )


def test_saving_the_same_search_twice_says_it_is_saved_already(sam, french_mab):
    # The same filters, in another order, on another page, sorted another way
    again = "country=FR&page=2&ordering=-name&modality=mab"

    response = client_of(sam).post(SAVE, {"query": again, "name": "Again"}, **HTMX)

    assert response.status_code == 200
    assert "This search is saved as “French mAb”" in response.content.decode()
    assert SavedSearch.objects.count() == 1
    response = client_of(sam).post(SAVE, {"query": again, "name": "Again"}, follow=True)
    assert "This search is saved already, as “French mAb”." in response.content.decode()


def test_the_control_says_where_a_saved_search_is(sam, french_mab):
    response = client_of(sam).get(
        SAVE, HTTP_HX_CURRENT_URL="http://testserver/providers/?modality=mab&country=FR", **HTMX
    )

    page = response.content.decode()
    assert "This search is saved as “French mAb”, watched for new sites." in page
    assert LIST in page


def test_without_javascript_the_control_is_a_page_of_its_own(sam):
    response = client_of(sam).get(SAVE, {"modality": "mab", "page": "2"})

    page = response.content.decode()
    assert "<h1>Save this search</h1>" in page
    assert 'name="query" value="modality=mab"' in page
    assert "<details open>" in page


def test_filters_the_directory_refuses_are_not_offered_for_saving(sam):
    response = client_of(sam).get(SAVE, HTTP_HX_CURRENT_URL="http://testserver/?max_oel=-1", **HTMX)

    page = response.content.decode()
    assert "correct them to save this search" in page
    assert "<form" not in page


def test_the_directory_offers_saving_to_a_signed_in_user_only(sam):
    signed_in = client_of(sam).get(reverse("partners:directory"), {"modality": "mab"})
    anonymous = Client().get(reverse("partners:directory"), {"modality": "mab"})

    assert 'id="save-search"' in signed_in.content.decode()
    assert f"{SAVE}?modality=mab" in signed_in.content.decode()  # without JavaScript
    assert 'id="save-search"' not in anonymous.content.decode()


# --- What matches ---------------------------------------------------------------------------------


def test_the_sites_matching_are_those_the_directory_site_view_lists(sam):
    # A provider with a French mAb site and a German one; a CMO's French mAb site; a French site
    # making something else
    provider = ProviderFactory(name="Rhône Bio")
    lyon = _mab_site(provider=provider, name="Lyon")
    _mab_site("DE", provider=provider, name="Mainz")
    nantes = _mab_site(provider=ProviderFactory(kind="cmo"), name="Nantes")
    SiteFactory(country="FR", name="Paris")
    query = "modality=mab&country=FR"

    matching = saved_searches.matching_site_ids(query)

    assert matching == {lyon.pk, nantes.pk}
    site_view = Client().get(
        reverse("partners:directory"), {"modality": "mab", "country": "FR", "view": "sites"}
    )
    listed = {
        name
        for name in ("Lyon", "Mainz", "Nantes", "Paris")
        if name in str(site_view.content.decode())
    }
    assert listed == {"Lyon", "Nantes"}
    # The site filters hold for one site together; the provider filters for its provider
    assert saved_searches.matching_site_ids(f"{query}&kind=cmo") == {nantes.pk}
    assert saved_searches.matching_site_ids("q=Rhône&country=DE") == {
        Site.objects.get(name="Mainz").pk
    }


# --- The check ------------------------------------------------------------------------------------


def test_sites_added_later_raise_one_alert_listing_them_all(sam, french_mab):
    new = [_mab_site(name=f"Site {n:02d}") for n in range(30)]

    found = saved_searches.check_saved_searches(now=_later())

    assert found == 1
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SAVED_SEARCH
    assert alert.title == "30 new sites match “French mAb”"
    assert alert.saved_search == french_mab
    assert alert.url == "/providers/?country=FR&modality=mab"
    assert len(alert.items) == 20
    first = min(new, key=lambda site: (site.provider.name, site.name))
    assert alert.items[0] == {
        "text": f"{first.provider.name} — {first.name}, France",
        "url": f"/providers/{first.provider.slug}/#site-{first.pk}",
    }
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["sam"]
    lyon = Site.objects.get(name="Lyon")
    assert SavedSearch.objects.get().known_site_ids == sorted([lyon.pk, *(s.pk for s in new)])


def test_one_new_site_is_told_in_the_singular(sam, french_mab):
    _mab_site(name="Marseille")

    saved_searches.check_saved_searches(now=_later())

    assert Alert.objects.get().title == "1 new site matches “French mAb”"


def test_a_site_that_newly_matches_by_an_edit_is_new(sam, french_mab):
    paris = SiteFactory(country="FR", name="Paris")
    saved_searches.check_saved_searches(now=_later(5))
    assert not Alert.objects.exists()

    SiteCapabilityFactory(site=paris, term=Term.objects.get(slug="mab"))
    saved_searches.check_saved_searches(now=_later(10))

    assert Alert.objects.get().items[0]["text"].endswith("Paris, France")


def test_an_unchanged_catalogue_checks_nothing(sam, french_mab, django_assert_num_queries):
    _mab_site(name="Marseille")
    saved_searches.check_saved_searches(now=_later(5))
    checked = SavedSearch.objects.get().checked_at

    # Only the catalogue version and the list of searches due are read
    with django_assert_num_queries(2):
        found = saved_searches.check_saved_searches(now=_later(10))

    assert found == 0
    assert SavedSearch.objects.get().checked_at == checked
    assert Alert.objects.count() == 1


def test_a_new_day_checks_again_without_a_catalogue_change(sam, french_mab):
    # Certificates come into force and run out with the days, not with a catalogue change
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    saved_searches.check_saved_searches(now=tomorrow)

    assert SavedSearch.objects.get().checked_at == tomorrow
    assert not Alert.objects.exists()


def test_running_the_check_twice_raises_one_alert(sam, french_mab):
    _mab_site(name="Marseille")

    sourcing_tasks.check_saved_searches.apply()
    sourcing_tasks.check_saved_searches.apply()
    bump_catalogue_version()  # a change that adds nothing to the search
    sourcing_tasks.check_saved_searches.apply()

    assert Alert.objects.count() == 1
    assert Notification.objects.count() == 1


def test_a_search_claimed_by_another_check_is_not_checked_twice(sam, french_mab):
    _mab_site(name="Marseille")
    stale = SavedSearch.objects.get()  # as a second worker read it
    version = current_catalogue_version()
    first = saved_searches.check_search(SavedSearch.objects.get(), version, _later(5))

    second = saved_searches.check_search(stale, version, _later(6))

    assert len(first.new_site_ids) == 1
    assert second.checked is False
    assert Alert.objects.count() == 1


def test_a_check_overtaken_by_a_later_one_tells_nothing(sam, french_mab, monkeypatch):
    # Given a check under way when a second worker, which read the search after the first
    # claimed it, checks it to the end
    _mab_site(name="Marseille")
    version = current_catalogue_version()
    matching_site_ids = saved_searches.matching_site_ids

    def overtaken(query: str) -> set[int]:
        monkeypatch.setattr(saved_searches, "matching_site_ids", matching_site_ids)
        saved_searches.check_search(SavedSearch.objects.get(), version, _later(6))
        return matching_site_ids(query)

    monkeypatch.setattr(saved_searches, "matching_site_ids", overtaken)

    # When the first check ends
    first = saved_searches.check_search(SavedSearch.objects.get(), version, _later(5))

    # Then it stored and told nothing: the second told, once
    assert first.checked is False
    assert Alert.objects.count() == 1
    assert Notification.objects.count() == 1


def test_a_site_that_stops_matching_and_comes_back_is_new_again(sam, french_mab):
    marseille = _mab_site(name="Marseille")
    saved_searches.check_saved_searches(now=_later(5))
    capability = marseille.capabilities.get()
    capability.delete()
    saved_searches.check_saved_searches(now=_later(10))
    assert marseille.pk not in SavedSearch.objects.get().known_site_ids

    SiteCapabilityFactory(site=marseille, term=Term.objects.get(slug="mab"))
    saved_searches.check_saved_searches(now=_later(15))

    assert Alert.objects.count() == 2


def test_an_unwatched_or_deleted_search_raises_nothing(sam, french_mab):
    other = saved_searches.save_search(sam, "country=FR", "France")
    SavedSearch.objects.filter(pk=other.pk).update(watched=False)
    french_mab.delete()
    _mab_site(name="Marseille")

    found = saved_searches.check_saved_searches(now=_later())

    assert found == 0
    assert not Alert.objects.exists()


def test_a_user_who_declined_saved_search_notices_is_not_notified(sam, french_mab):
    NotificationSettings.objects.create(user=sam, kinds=[AlertKind.WARNING_LETTER])
    _mab_site(name="Marseille")

    saved_searches.check_saved_searches(now=_later())

    assert not Notification.objects.exists()


def test_the_check_reads_as_much_for_thirty_new_sites_as_for_three(sam, french_mab):
    def queries_for(new_sites: int, minutes: int) -> int:
        for _ in range(new_sites):
            _mab_site()
        saved_searches.matching_site_ids("")  # the directory's index, built for the version
        with CaptureQueriesContext(connection) as captured:
            saved_searches.check_saved_searches(now=_later(minutes))
        return len(captured)

    assert queries_for(30, 10) == queries_for(3, 5)


# --- The list and its actions ---------------------------------------------------------------------


def test_the_list_shows_each_search_with_its_link_watch_and_last_check(sam, french_mab):
    saved_searches.save_search(sam, "q=insulin", "")
    SavedSearch.objects.filter(name="“insulin”").update(watched=False)

    page = client_of(sam).get(LIST).content.decode()

    assert '<a href="/providers/?country=FR&amp;modality=mab">French mAb</a>' in page
    assert "Monoclonal antibody · France" in page  # its filters, beside a name of its own
    assert 'Stop watching<span class="visually-hidden"> French mAb</span>' in page
    assert 'Watch<span class="visually-hidden"> “insulin”</span>' in page
    assert french_mab.checked_at.strftime("%Y-%m-%dT%H:%M") in page


def test_the_list_shows_no_one_elses_searches(sam, french_mab):
    page = client_of(UserFactory()).get(LIST).content.decode()

    assert "French mAb" not in page
    assert "No saved searches yet." in page


def test_the_list_reads_as_much_for_twenty_searches_as_for_two(sam):
    client = client_of(sam)

    def queries_for(searches: int) -> int:
        for n in range(SavedSearch.objects.count(), searches):
            saved_searches.save_search(sam, f"q=search{n}", "")
        client.get(LIST)  # the vocabulary, read once per catalogue version
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    two = queries_for(2)
    twenty = queries_for(20)

    # The session, its user, the catalogue version, the searches, and the bell's unread count.
    assert twenty == two <= 5


def test_stopping_and_starting_to_watch(sam, french_mab):
    client = client_of(sam)
    url = reverse("sourcing:saved-search-watch", args=[french_mab.pk])

    response = client.post(url, {"watched": "false"}, follow=True)
    assert "Stopped watching “French mAb”." in response.content.decode()
    assert SavedSearch.objects.get().watched is False

    # Sites added while it was not watched are known when it is watched again
    marseille = _mab_site(name="Marseille")
    client.post(url, {"watched": "true"})
    search = SavedSearch.objects.get()
    assert search.watched is True
    assert marseille.pk in search.known_site_ids
    saved_searches.check_saved_searches(now=_later())
    assert not Alert.objects.exists()


def test_watching_neither_on_nor_off_is_refused(sam, french_mab):
    url = reverse("sourcing:saved-search-watch", args=[french_mab.pk])

    response = client_of(sam).post(url, {"watched": "maybe"})

    assert response.status_code == 400
    assert "Watching: choose to watch the search (true) or to stop (false)." in (
        response.content.decode()
    )


def test_deleting_a_search(sam, french_mab):
    url = reverse("sourcing:saved-search-delete", args=[french_mab.pk])

    response = client_of(sam).post(url, follow=True)

    assert "Deleted the saved search “French mAb”." in response.content.decode()
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize("name", ["saved-search-watch", "saved-search-delete"])
def test_another_users_search_is_not_found(name, sam, french_mab):
    url = reverse(f"sourcing:{name}", args=[french_mab.pk])

    response = client_of(UserFactory()).post(url, {"watched": "false"})

    assert response.status_code == 404
    assert SavedSearch.objects.get() == french_mab
    assert SavedSearch.objects.get().watched is True


@pytest.mark.parametrize(
    "name", ["saved-searches", "save-search", "saved-search-watch", "saved-search-delete"]
)
def test_the_anonymous_are_sent_to_sign_in_and_changes_need_the_csrf_token(name, sam, french_mab):
    args = [french_mab.pk] if name.startswith("saved-search-") else []
    url = reverse(f"sourcing:{name}", args=args)

    if name in {"saved-searches", "save-search"}:
        assert Client().get(url).status_code == 302
    assert Client().post(url, {"watched": "false", "query": "q=x"}).status_code == 302
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(sam)
    assert guarded.post(url, {"watched": "false", "query": "q=x"}).status_code == 403
    assert SavedSearch.objects.get() == french_mab
    assert SavedSearch.objects.get().watched is True


def test_a_sweep_out_of_time_keeps_what_it_did_and_says_so(monkeypatch):
    def out_of_time(now=None):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(saved_searches, "check_saved_searches", out_of_time)

    assert sourcing_tasks.check_saved_searches.apply().get() == -1
