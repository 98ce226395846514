"""Risk on the surface: warning letters, OAI inspections and import alerts of the last five
years flag a site on the directory's cards, on its provider's profile and on a run's results;
a card shows the range of its sites' compliance scores, worst first."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from matching.index import clear_catalogue_index
from matching.runs import execute_run
from partners.directory.entries import directory_entries
from partners.directory.risk import (
    IMPORT_ALERT,
    OAI,
    WARNING_LETTER,
    provider_risk_flags,
    risk_flags,
    window_start,
)
from partners.models import Provider, Term
from tests.factories import (
    BriefFactory,
    InspectionFactory,
    MembershipFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    RunFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

TODAY = datetime.date(2026, 6, 15)


def _years_ago(years: float, today: datetime.date = TODAY) -> datetime.date:
    return today - datetime.timedelta(days=round(years * 365.25))


def _site(provider=None, name: str = "", fei: str = "", score: float | None = None, **kwargs):
    return SiteFactory(
        provider=provider or ProviderFactory(),
        name=name or "Site",
        fei_number=fei,
        compliance_score=score,
        compliance_state="scored" if score is not None else "unknown",
        **kwargs,
    )


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


# --- Which records flag a site ------------------------------------------------------------------


@pytest.mark.django_db
def test_warning_letter_oai_and_import_alert_of_the_last_five_years_flag_a_site():
    site = _site(fei="3000000001")
    RegulatoryActionFactory(
        fei_number="3000000001", action_type="warning-letter", action_date=_years_ago(1)
    )
    RegulatoryActionFactory(
        fei_number="3000000001", action_type="import-alert", action_date=_years_ago(4.9)
    )
    InspectionFactory(fei_number="3000000001", classification="OAI", end_date=_years_ago(2))

    flags = risk_flags([site.pk], TODAY)[site.pk]

    # Most serious kind first: warning letter, OAI, import alert.
    assert [flag.kind for flag in flags] == [WARNING_LETTER, OAI, IMPORT_ALERT]
    assert flags[0].short == f"Warning letter {_years_ago(1).year}"
    assert flags[0].describe == f"Warning letter: FDA, {_years_ago(1):%-d %b %Y}"


@pytest.mark.django_db
def test_older_records_clean_inspections_and_other_actions_do_not_flag_a_site():
    site = _site(fei="3000000002")
    RegulatoryActionFactory(fei_number="3000000002", action_date=_years_ago(5.1))
    InspectionFactory(fei_number="3000000002", classification="OAI", end_date=_years_ago(6))
    InspectionFactory(fei_number="3000000002", classification="VAI", end_date=_years_ago(1))
    RegulatoryActionFactory(
        fei_number="3000000002", action_type="injunction", action_date=_years_ago(1)
    )
    # A record dated after `today` is not yet on record as of today.
    RegulatoryActionFactory(fei_number="3000000002", action_date=TODAY + datetime.timedelta(1))

    assert risk_flags([site.pk], TODAY) == {}


@pytest.mark.django_db
def test_a_record_on_the_first_day_of_the_window_still_flags():
    site = _site(fei="3000000003")
    RegulatoryActionFactory(fei_number="3000000003", action_date=window_start(TODAY))

    assert [flag.kind for flag in risk_flags([site.pk], TODAY)[site.pk]] == [WARNING_LETTER]


def test_the_window_of_a_leap_day_starts_on_the_28th_of_february():
    assert window_start(datetime.date(2028, 2, 29)) == datetime.date(2023, 2, 28)


@pytest.mark.django_db
def test_a_providers_flags_gather_every_site_newest_first_and_name_the_site():
    provider = ProviderFactory()
    _site(provider, "Dublin", "3000000011")
    _site(provider, "Cork", "3000000012")
    _site(provider, "Clean", "3000000013")
    RegulatoryActionFactory(fei_number="3000000011", action_date=_years_ago(0.5))
    RegulatoryActionFactory(fei_number="3000000012", action_date=_years_ago(3))

    (flag,) = provider_risk_flags([provider.pk], TODAY)[provider.pk]

    assert [event.site_name for event in flag.events] == ["Dublin", "Cork"]
    assert "(Dublin)" in flag.describe_with_sites
    assert "(Cork)" in flag.describe_with_sites
    assert flag.year == _years_ago(0.5).year


@pytest.mark.django_db
def test_an_inspection_listed_once_per_project_area_flags_once(client):
    """FDA lists an inspection once per project area; the rows share the site, authority,
    inspection ID and end date, and are one inspection, as the profile's history shows them."""
    provider = ProviderFactory(name="Hudson Biologics")
    _site(provider, "Rensselaer", "3000000021")
    _site(provider, "Albany", "3000000022")
    for area in ["Drug Quality Assurance", "Pre-License/Pre-Approval Inspection"]:
        InspectionFactory(
            fei_number="3000000021",
            inspection_id="6496834",
            classification="OAI",
            end_date=_years_ago(1),
            project_area=area,
        )
    # Another inspection of the same site, and one of another site the same day: each counts.
    InspectionFactory(
        fei_number="3000000021",
        inspection_id="2004644",
        classification="OAI",
        end_date=_years_ago(2),
    )
    InspectionFactory(
        fei_number="3000000022",
        inspection_id="6496835",
        classification="OAI",
        end_date=_years_ago(1),
    )
    # Two warning letters of one day stay two.
    for case in ["580001", "580002"]:
        RegulatoryActionFactory(fei_number="3000000022", case_id=case, action_date=_years_ago(1))
    day, earlier = f"{_years_ago(1):%-d %b %Y}", f"{_years_ago(2):%-d %b %Y}"

    sites = risk_flags([site.pk for site in provider.sites.all()], TODAY)
    (rensselaer,) = sites[provider.sites.get(name="Rensselaer").pk]
    (letters, albany) = sites[provider.sites.get(name="Albany").pk]
    letter, oai = provider_risk_flags([provider.pk], TODAY)[provider.pk]

    assert rensselaer.describe == f"OAI inspection: FDA, {day}; FDA, {earlier}"
    assert albany.describe == f"OAI inspection: FDA, {day}"
    assert len(letters.events) == 2
    assert oai.describe_with_sites == (
        f"OAI inspection: FDA, {day} (Albany); FDA, {day} (Rensselaer); FDA, {earlier} (Rensselaer)"
    )
    assert len(letter.events) == 2
    # The directory's card and the profile say the same.
    card = _soup(client.get(reverse("partners:directory")))
    assert card.get_text().count(f"FDA, {day} (Rensselaer)") >= 1
    assert f"FDA, {day} (Rensselaer); FDA, {day} (Rensselaer)" not in str(card)
    profile = client.get(reverse("partners:provider", args=[provider.slug]))
    assert f"FDA, {day} (Rensselaer); FDA, {day} (Rensselaer)" not in profile.content.decode()


@pytest.mark.django_db
def test_flags_are_read_in_one_query_whatever_the_number_of_sites(django_assert_num_queries):
    sites = [_site(fei=f"30000001{n:02d}") for n in range(12)]
    for n in range(12):
        RegulatoryActionFactory(fei_number=f"30000001{n:02d}", action_date=_years_ago(1))

    with django_assert_num_queries(1):
        flags = risk_flags([site.pk for site in sites], TODAY)

    assert len(flags) == 12


# --- The directory's cards ----------------------------------------------------------------------


def _card(soup: BeautifulSoup, provider_name: str):
    link = soup.find("a", string=provider_name)
    assert link is not None, f"no card for {provider_name}"
    return link.find_parent("article")


@pytest.mark.django_db
def test_card_shows_the_range_of_its_sites_compliance_worst_first(client):
    # Given a provider with a good site and a site with a warning letter and an OAI this year
    provider = ProviderFactory(name="Two Faces Pharma")
    _site(provider, "Good", "3000000021", score=88)
    _site(provider, "Bad", "3000000022", score=0)

    card = _card(_soup(client.get(reverse("partners:directory"))), "Two Faces Pharma")

    score = card.find(class_="score")
    assert score.find(string=True, recursive=False).strip() == "Compliance 0\u201388"
    explanation = score.find(class_="visually-hidden").get_text()
    assert "range from 0, the worst, to 88" in explanation
    assert "Compliance 88" not in card.get_text()


@pytest.mark.django_db
def test_card_of_a_provider_whose_sites_score_alike_shows_one_number(client):
    provider = ProviderFactory(name="Even Pharma")
    _site(provider, "One", score=80.2)
    _site(provider, "Two", score=79.8)
    _site(provider, "Unscored")

    card = _card(_soup(client.get(reverse("partners:directory"))), "Even Pharma")

    score = card.find(class_="score")
    assert score.find(string=True, recursive=False).strip() == "Compliance 80"
    assert "1 site is unscored" in score.get_text()


@pytest.mark.django_db
def test_card_flags_a_recent_warning_letter_on_any_site_saying_where_and_when(client):
    provider = ProviderFactory(name="Flagged Pharma")
    _site(provider, "Clean site", "3000000031", score=88)
    _site(provider, "Dublin", "3000000032", score=0)
    letter_date = timezone.localdate() - datetime.timedelta(days=30)
    RegulatoryActionFactory(fei_number="3000000032", action_date=letter_date)
    InspectionFactory(fei_number="3000000032", classification="OAI", end_date=letter_date)
    clean = ProviderFactory(name="Clean Pharma")
    _site(clean, "Spotless", "3000000033", score=95)

    soup = _soup(client.get(reverse("partners:directory")))

    flags = _card(soup, "Flagged Pharma").select(".risk-flag")
    assert [flag.find(string=True, recursive=False) for flag in flags] == [
        f"Warning letter {letter_date.year}",
        f"OAI inspection {letter_date.year}",
    ]
    day = f"{letter_date.day} {letter_date:%b %Y}"
    assert flags[0]["title"] == f"Warning letter: FDA, {day} (Dublin)"
    assert flags[0].find(class_="visually-hidden").get_text() == f": FDA, {day} (Dublin)"
    assert not _card(soup, "Clean Pharma").select(".risk-flag")


@pytest.mark.django_db
def test_card_data_is_read_in_five_queries_then_none_whatever_the_page_size(
    django_assert_num_queries,
):
    for n in range(10):
        provider = ProviderFactory()
        site = _site(provider, fei=f"30000002{n:02d}", score=50)
        SiteCapabilityFactory(site=site)
        RegulatoryActionFactory(fei_number=f"30000002{n:02d}", action_date=_years_ago(1))
    providers = list(Provider.objects.order_by("pk"))

    # The catalogue version, then every provider's summary in four queries.
    with django_assert_num_queries(5):
        few = directory_entries(providers[:2])
    # Only the version, while the catalogue is unchanged.
    with django_assert_num_queries(1):
        many = directory_entries(providers)

    assert [len(entry["flags"]) for entry in few] == [1, 1]
    assert all(entry["flags"] for entry in many)


# --- A run's ranked sites -----------------------------------------------------------------------


@pytest.fixture
def flagged_run(db):
    """A done run of a mAb brief over two sites, one of them with a warning letter last month."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    flagged = _site(name="Letter plant", fei="3000000041", score=70)
    clean = _site(name="Clean plant", fei="3000000042", score=90)
    for site in (flagged, clean):
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
    RegulatoryActionFactory(
        fei_number="3000000041", action_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    membership = MembershipFactory()
    brief = BriefFactory(organisation=membership.organisation, modality=mab)
    run = RunFactory(brief=brief)
    assert execute_run(run.pk)
    yield run, membership.user
    clear_catalogue_index()


def test_run_results_flag_a_site_with_a_recent_warning_letter(flagged_run):
    run, user = flagged_run
    client = Client()
    client.force_login(user)

    soup = _soup(client.get(run.get_absolute_url()))

    rows = {
        row.select_one(".result-name strong").get_text(): row for row in soup.select("li.result")
    }
    assert set(rows) == {"Letter plant", "Clean plant"}
    (flag,) = rows["Letter plant"].select(".risk-flag")
    assert flag.find(string=True, recursive=False).startswith("Warning letter ")
    assert re.match(r"Warning letter: FDA, \d+ \w+ \d{4}$", flag["title"])
    assert not rows["Clean plant"].select(".risk-flag")
