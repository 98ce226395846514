"""The provider profile: per site, what it makes, its certificates and its regulatory record."""

import datetime
import html as html_lib
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.choices import Authority, CertificationStatus
from partners.directory.timeline import (
    MARKER_STYLES,
    MIN_YEARS,
    TimelineEvent,
    build_timeline,
    label_width,
)
from partners.models import Certification, DeaSchedule, Phase, Published483, Site, Term
from partners.regulatory.compliance import BASE, MINUS, InspectionEvent, compute_compliance
from partners.regulatory.stored_scores import recompute_compliance_scores
from partners.validity import CertificationState, certification_state
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    RegulatoryActionFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

TODAY = datetime.date(2026, 6, 15)


def _profile_url(provider) -> str:
    return reverse("partners:provider", args=[provider.slug])


def _site_with_history(provider, name: str, fei: str):
    """A site with a capability, a certificate, three inspections and one action."""
    site = SiteFactory(provider=provider, name=name, fei_number=fei)
    site.phases.set(Phase.objects.filter(slug__in=["phase3", "commercial"]))
    SiteCapabilityFactory(site=site, max_batch_kg=1300, provenance="curator-verified")
    CertificationFactory(site=site)
    for classification in ("NAI", "VAI", "OAI"):
        InspectionFactory(fei_number=fei, classification=classification)
    RegulatoryActionFactory(fei_number=fei)
    return site


# --- The page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_profile_shows_each_sites_capabilities_with_scale_and_provenance(client):
    provider = ProviderFactory(name="Rhine Valley Pharma")
    site = SiteFactory(provider=provider, name="Leverkusen")
    SiteCapabilityFactory(site=site, max_batch_kg=1300, provenance="curator-verified")
    SiteCapabilityFactory(
        site=site,
        term=Term.objects.get(slug="mab"),
        max_volume_l=12000,
        provenance="regulator-record",
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="oral-solid"))

    response = client.get(_profile_url(provider))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Leverkusen" in html
    assert "1,300 kg batch" in html
    assert "12,000 L volume" in html
    assert "Curator-verified" in html
    assert "Regulator record" in html
    assert "Self-reported" in html
    # Grouped by kind in the vocabulary's order: modalities before dosage forms.
    assert html.index("Monoclonal antibody") < html.index("Oral solid dose")
    assert html.index(">Modality<") < html.index(">Dosage form<")


@pytest.mark.django_db
def test_profile_shows_phases_in_order_and_which_are_served(client):
    site = SiteFactory(oel_ug_m3=0.5, fei_number="3001234567")
    site.phases.set(Phase.objects.filter(slug__in=["commercial", "phase1"]))
    site.dea_schedules.set(DeaSchedule.objects.filter(code="II"))

    html = client.get(_profile_url(site.provider)).content.decode()

    served = re.findall(r'<li class="served">.*?([\w ]+)</li>', html)
    assert served == ["Phase 1", "Commercial"]
    assert 'Preclinical<span class="visually-hidden"> (not served)' in html
    assert "0.5 µg/m³" in html
    assert "3001234567" in html
    assert "<dd>II</dd>" in html


@pytest.mark.django_db
def test_site_without_containment_data_says_so(client):
    site = SiteFactory(oel_ug_m3=None)

    html = client.get(_profile_url(site.provider)).content.decode()

    assert "no containment data" in html


@pytest.mark.django_db
def test_certificates_are_shown_valid_expiring_or_expired_as_of_today(client):
    today = timezone.localdate()
    site = SiteFactory()
    CertificationFactory(
        site=site,
        reference="STILL-GOOD",
        issued_on=today - datetime.timedelta(days=400),
        valid_until=today + datetime.timedelta(days=400),
    )
    CertificationFactory(
        site=site,
        reference="ENDS-SOON",
        issued_on=today - datetime.timedelta(days=1000),
        valid_until=today + datetime.timedelta(days=30),
    )
    CertificationFactory(
        site=site,
        reference="LAPSED",
        issued_on=today - datetime.timedelta(days=1000),
        valid_until=today - datetime.timedelta(days=1),
    )

    html = client.get(_profile_url(site.provider)).content.decode()

    def state_of(reference: str) -> str:
        row = re.search(rf"{reference}.*?</tr>", html, re.S).group(0)
        return re.search(r'class="badge state-([\w-]+)"', row).group(1)

    assert state_of("STILL-GOOD") == "valid"
    assert state_of("ENDS-SOON") == "expiring"
    assert state_of("LAPSED") == "expired"
    assert "Expires within 90 days" in html


@pytest.mark.django_db
def test_history_lists_inspections_and_actions_with_source_and_retrieval_date(client):
    site = SiteFactory(fei_number="3001234567")
    retrieved = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)
    InspectionFactory(
        fei_number="3001234567",
        inspection_id="1234567",
        end_date=datetime.date(2023, 3, 2),
        classification="VAI",
        project_area="Drug Quality Assurance",
        product_type="Drugs",
        source="FDA Data Dashboard",
        retrieved_at=retrieved,
    )
    RegulatoryActionFactory(
        fei_number="3001234567",
        case_id="580123",
        action_date=datetime.date(2019, 7, 1),
        source="FDA compliance actions",
        retrieved_at=retrieved,
    )

    html = client.get(_profile_url(site.provider)).content.decode()

    table = html[html.index('<th scope="col">Date</th>') :]
    assert "1234567" in table
    assert "Drug Quality Assurance · Drugs" in table
    assert "FDA Data Dashboard" in table
    assert "580123" in table
    assert "Warning letter" in table
    assert "FDA compliance actions" in table
    assert table.count("as of <time") == 2
    assert "4 Mar 2026" in table
    # Newest first.
    assert table.index("2 Mar 2023") < table.index("1 Jul 2019")


@pytest.mark.django_db
def test_timeline_draws_one_titled_marker_per_record(client):
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(
        fei_number="3001234567",
        inspection_id="1234567",
        end_date=datetime.date(2023, 3, 2),
        classification="VAI",
    )
    InspectionFactory(fei_number="3001234567", classification="NAI")
    InspectionFactory(fei_number="3001234567", classification="OAI")
    RegulatoryActionFactory(fei_number="3001234567", action_type="import-alert")

    html = client.get(_profile_url(site.provider)).content.decode()

    svg = re.search(r'<svg viewBox="[^"]+"[^>]*role="img".*?</svg>', html, re.S).group(0)
    assert 'aria-label="Regulatory timeline for' in svg
    assert svg.count('<g class="marker') == 4
    assert svg.count("<title>") == 4
    assert "<title>FDA inspection 1234567, 2023-03-02: VAI (Drug Quality Assurance)</title>" in svg
    assert "import alert" in svg
    assert 'fill="#b42318"' in svg  # the OAI


@pytest.mark.django_db
def test_timeline_titles_escape_regulator_text(client):
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(fei_number="3001234567", project_area="<script>alert(1)</script>")

    html = client.get(_profile_url(site.provider)).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


@pytest.mark.django_db
def test_site_without_records_gets_a_note_instead_of_a_chart(client):
    site = SiteFactory(fei_number="")

    html = client.get(_profile_url(site.provider)).content.decode()

    assert 'role="img"' not in html
    assert "No inspections or regulatory actions on record" in html


@pytest.mark.django_db
def test_summary_table_links_the_sites_of_a_multi_site_provider(client):
    provider = ProviderFactory(
        kind="cmo",
        website="https://example.com",
        verification_status="verified",
        verified_on=datetime.date(2025, 1, 15),
    )
    first = SiteFactory(provider=provider, name="Alpha")
    second = SiteFactory(provider=provider, name="Beta")

    html = client.get(_profile_url(provider)).content.decode()

    assert "Sites at a glance" in html
    assert f'href="#site-{first.pk}"' in html
    assert f'href="#site-{second.pk}"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "runs established processes" in html


@pytest.mark.django_db
def test_a_site_named_after_its_city_names_the_city_once(client):
    provider = ProviderFactory()
    SiteFactory(provider=provider, name="Durham", city="Durham", country="US")
    SiteFactory(provider=provider, name="Research Triangle", city="Durham", country="US")

    html = client.get(_profile_url(provider)).content.decode()

    places = [
        " ".join(html_lib.unescape(place).split())
        for place in re.findall(r'<span class="muted site-place">(.*?)</span>', html)
    ]
    assert sorted(places) == ["Durham, United States of America", "United States of America"]


@pytest.mark.django_db
def test_unknown_provider_is_a_404_page(client):
    response = client.get("/providers/no-such-provider/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.get("/providers/not%20a%20slug/").status_code == 404


# Provider, sites, capabilities with terms, certificates, inspections, actions, published 483s,
# phases, DEA schedules, the sites' risk flags and the catalogue version.
PROFILE_QUERIES = 11


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_sites(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    small = ProviderFactory()
    for n in range(2):
        _site_with_history(small, f"Small {n}", f"300000000{n}")
    large = ProviderFactory()
    for n in range(10):
        _site_with_history(large, f"Site {n}", f"30000001{n:02d}")

    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get(_profile_url(small))
    assert response.status_code == 200
    with django_assert_max_num_queries(PROFILE_QUERIES):
        response = client.get(_profile_url(large))
    assert response.content.decode().count('<g class="marker') == 10 * 4


# --- The compliance score and the records that explain it ---------------------------------------


def _why(html: str, site) -> str:
    """The site's "Why N?" disclosure."""
    start = html.index(f'id="site-{site.pk}-why"')
    return html[start : html.index("</details>", start)]


def _cells(fragment: str) -> list[list[str]]:
    """The cells of each body and footer row of the tables in `fragment`, as text."""
    body = re.sub(r"<thead>.*?</thead>", "", fragment, flags=re.S)
    return [
        [
            html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S)
    ]


def _shown_score(html: str, site) -> str:
    start = html.index(f'id="site-{site.pk}"')
    return re.search(r'<span class="compliance-value[^"]*">([^<]+)<', html[start:]).group(1)


def _points(shown: str) -> float:
    return float(shown.replace(MINUS, "-"))


def _half_up(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


@pytest.mark.django_db
def test_compliance_score_is_explained_line_by_line_by_the_sites_records(client):
    # Given a site with an OAI 1.7 years ago, two clean inspections and a warning letter
    today = timezone.localdate()
    site = SiteFactory(fei_number="3001234567")
    for inspection_id, classification, days in [
        ("7001001", "OAI", 621),
        ("7001002", "NAI", 200),
        ("7001003", "NAI", 900),
    ]:
        InspectionFactory(
            fei_number="3001234567",
            inspection_id=inspection_id,
            classification=classification,
            end_date=today - datetime.timedelta(days=days),
        )
    RegulatoryActionFactory(
        fei_number="3001234567", case_id="580777", action_date=today - datetime.timedelta(days=1461)
    )
    recompute_compliance_scores([site.pk])
    site.refresh_from_db()

    # When a sponsor opens the profile
    html = client.get(_profile_url(site.provider)).content.decode()

    # Then the score is the base plus the points of lines that cite each record
    why = _why(html, site)
    (base, base_label), *lines, (total, total_label) = _cells(why)
    assert (base, base_label) == (f"{BASE:.1f}", "Base score")
    assert len(lines) == 3  # the OAI, the warning letter, the two NAIs in one line
    for record_id in ("7001001", "7001002", "7001003", "580777"):
        assert record_id in why
    assert "1.7 years ago" in why
    assert round(BASE + sum(_points(points) for points, _ in lines), 1) == float(total)
    assert float(total) == site.compliance_score
    shown = _shown_score(html, site)
    assert shown == _half_up(float(total))
    assert f"Why {shown}?" in why
    assert f"shown rounded as {shown}" in total_label or float(total) == int(shown)
    # The stored score is today's: nothing to reconcile.
    assert "stored score" not in why


@pytest.mark.django_db
def test_compliance_score_links_to_the_methodology(client):
    site = SiteFactory()

    html = client.get(_profile_url(site.provider)).content.decode()

    compliance = re.search(r'<div class="compliance .*?</div>', html, re.S).group(0)
    assert f'href="{reverse("partners:methodology")}"' in compliance
    assert f'href="{reverse("partners:methodology")}"' in _why(html, site)


@pytest.mark.django_db
def test_profile_shows_todays_score_and_says_when_the_stored_one_is_older(client):
    # Given a site whose stored score was computed long ago, before its last inspection
    today = timezone.localdate()
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(
        fei_number="3001234567", classification="NAI", end_date=today - datetime.timedelta(days=30)
    )
    Site.objects.filter(pk=site.pk).update(
        compliance_score=50.0,
        compliance_state="scored",
        compliance_as_of=datetime.date(2025, 1, 2),
    )

    html = client.get(_profile_url(site.provider)).content.decode()

    # Then the header and the lines are today's, and the stored value is named with its date
    why = _why(html, site)
    *_, (total, _) = _cells(why)
    expected = compute_compliance(
        [InspectionEvent("FDA", "NAI", today - datetime.timedelta(days=30))], [], today
    )
    assert float(total) == expected.score
    assert _shown_score(html, site) == _half_up(expected.score)
    assert "the stored score, 50.0 as of" in why
    assert "2 Jan 2025" in why


@pytest.mark.django_db
def test_profile_says_when_no_score_is_stored_yet(client):
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(fei_number="3001234567", end_date=timezone.localdate())

    why = _why(client.get(_profile_url(site.provider)).content.decode(), site)

    assert "No score is stored for this site yet" in why


@pytest.mark.django_db
def test_site_without_a_recent_inspection_is_unknown_and_says_why(client):
    # Given a site whose only inspection ended seven years ago
    today = timezone.localdate()
    site = SiteFactory(fei_number="3001234567")
    InspectionFactory(
        fei_number="3001234567",
        inspection_id="7009001",
        classification="VAI",
        end_date=today - datetime.timedelta(days=7 * 365),
    )
    recompute_compliance_scores([site.pk])

    html = client.get(_profile_url(site.provider)).content.decode()

    assert _shown_score(html, site) == "Unknown"
    why = _why(html, site)
    assert "Why unknown?" in why
    assert "not as good" in why
    assert "No inspection since" in why
    assert "Base score" not in why
    # The record is still shown, with what it weighs, for reference.
    ((points, line),) = _cells(why)
    assert "7009001" in line
    assert _points(points) < 0


@pytest.mark.django_db
def test_clamped_score_says_what_the_record_sums_to(client):
    today = timezone.localdate()
    site = SiteFactory(fei_number="3001234567")
    for days in (10, 100, 200):
        InspectionFactory(
            fei_number="3001234567",
            classification="OAI",
            end_date=today - datetime.timedelta(days=days),
        )

    why = _why(client.get(_profile_url(site.provider)).content.decode(), site)

    *_, (total, _) = _cells(why)
    assert total == "0.0"
    assert "Clamped to 0.0: the record sums to" in why


@pytest.mark.django_db
def test_explanations_add_no_query_per_site(client, django_assert_num_queries):
    provider = ProviderFactory()
    for n in range(5):
        _site_with_history(provider, f"Site {n}", f"300000002{n}")

    # The same queries as without explanations: they read the prefetched records.
    with django_assert_num_queries(PROFILE_QUERIES):
        html = client.get(_profile_url(provider)).content.decode()

    assert html.count('<details class="why"') == 5
    assert html.count(">Base score<") == 5


@pytest.mark.django_db
def test_a_cached_profile_follows_a_change_to_its_record(client):
    site = _site_with_history(ProviderFactory(), "Plant", "3000000360")
    first = client.get(_profile_url(site.provider)).content.decode()

    InspectionFactory(fei_number="3000000360", inspection_id="7700001")
    second = client.get(_profile_url(site.provider)).content.decode()

    assert "7700001" not in first
    assert "7700001" in second


@pytest.mark.django_db
def test_a_cached_profile_follows_a_curators_edit_of_the_provider_and_its_sites(client):
    site = _site_with_history(ProviderFactory(description="Sterile fill."), "Plant", "3000000361")
    client.get(_profile_url(site.provider))

    site.provider.description = "Sterile fill and lyophilisation."
    site.provider.save()
    site.city = "Ghent"
    site.save()
    html = client.get(_profile_url(site.provider)).content.decode()

    assert "Sterile fill and lyophilisation." in html
    assert "Ghent" in html


# The catalogue version, then the provider: the rest of the page comes from the cache.
CACHED_PROFILE_QUERIES = 2


@pytest.mark.django_db
def test_a_profile_seen_before_reads_only_the_catalogue_version_and_the_provider(
    client, django_assert_num_queries
):
    provider = ProviderFactory()
    for n in range(4):
        _site_with_history(provider, f"Site {n}", f"300000003{n}")
    first = client.get(_profile_url(provider)).content.decode()

    with django_assert_num_queries(CACHED_PROFILE_QUERIES):
        again = client.get(_profile_url(provider)).content.decode()

    def main(html: str) -> str:  # the page but its CSRF token, masked anew for each request
        return html[html.index('<main id="main">') : html.index("</main>")]

    assert main(again) == main(first)
    assert 'id="site-summary-title"' in main(again)


@pytest.mark.django_db
def test_a_cached_profile_is_built_again_the_next_day(client, monkeypatch):
    today = timezone.localdate()
    site = SiteFactory()
    CertificationFactory(
        site=site,
        reference="LAST-DAY",
        issued_on=today - datetime.timedelta(days=400),
        valid_until=today,
    )
    first = client.get(_profile_url(site.provider)).content.decode()

    monkeypatch.setattr(timezone, "localdate", lambda *args: today + datetime.timedelta(days=1))
    next_day = client.get(_profile_url(site.provider)).content.decode()

    def state_of(html: str) -> str:
        row = re.search(r"LAST-DAY.*?</tr>", html, re.S).group(0)
        return re.search(r'class="badge state-([\w-]+)"', row).group(1)

    assert state_of(first) == "expiring"
    assert state_of(next_day) == "expired"


# --- Certification states, as plain functions ---------------------------------------------------


def _certificate(**fields) -> Certification:
    defaults = {
        "kind": "eu-gmp",
        "issued_on": TODAY - datetime.timedelta(days=365),
        "valid_until": TODAY + datetime.timedelta(days=365),
        "status": CertificationStatus.ACTIVE,
    }
    return Certification(**(defaults | fields))


def test_certificate_within_its_dates_is_valid():
    assert certification_state(_certificate(), TODAY) == CertificationState.VALID


def test_certificate_ending_within_90_days_is_expiring():
    ninety = _certificate(valid_until=TODAY + datetime.timedelta(days=90))
    ninety_one = _certificate(valid_until=TODAY + datetime.timedelta(days=91))
    last_day = _certificate(valid_until=TODAY)

    assert certification_state(ninety, TODAY) == CertificationState.EXPIRING
    assert certification_state(last_day, TODAY) == CertificationState.EXPIRING
    assert certification_state(ninety_one, TODAY) == CertificationState.VALID


def test_certificate_past_its_end_date_is_expired():
    lapsed = _certificate(valid_until=TODAY - datetime.timedelta(days=1))
    assert certification_state(lapsed, TODAY) == CertificationState.EXPIRED


def test_certificate_issued_in_the_future_is_not_yet_valid():
    future = _certificate(
        issued_on=TODAY + datetime.timedelta(days=10),
        valid_until=TODAY + datetime.timedelta(days=1000),
    )
    assert certification_state(future, TODAY) == CertificationState.NOT_YET_VALID


def test_suspension_and_withdrawal_override_the_dates():
    suspended = _certificate(status=CertificationStatus.SUSPENDED)
    withdrawn = _certificate(status=CertificationStatus.WITHDRAWN)

    assert certification_state(suspended, TODAY) == CertificationState.SUSPENDED
    assert certification_state(withdrawn, TODAY) == CertificationState.WITHDRAWN


def test_certificate_without_end_date_stays_valid():
    assert certification_state(_certificate(valid_until=None), TODAY) == CertificationState.VALID


# --- Timeline geometry, as plain functions ------------------------------------------------------


def _event(date: datetime.date, symbol: str = "NAI", lane: str = "FDA inspections"):
    return TimelineEvent(date=date, lane=lane, symbol=symbol, title=f"{symbol} on {date}")


def test_timeline_markers_lie_within_the_view_box_and_their_lane():
    events = [
        _event(datetime.date(2012, 1, 1)),
        _event(datetime.date(2026, 6, 14), "OAI"),
        _event(datetime.date(2020, 5, 5), "warning-letter", lane="Actions"),
    ] + [_event(datetime.date(2022, 3, 1), "VAI") for _ in range(5)]  # one crowded day

    timeline = build_timeline(events, today=TODAY)

    assert timeline is not None
    for marker in timeline.markers:
        assert timeline.plot_left <= marker.cx <= timeline.plot_right
        lane = next(lane for lane in timeline.lanes if abs(lane.centre - marker.cy) <= 13)
        assert lane.y <= marker.cy - marker.r
        assert marker.cy + marker.r <= lane.y + lane.height
        assert 0 <= marker.cy <= timeline.height
    assert timeline.today_x <= timeline.plot_right


def test_timeline_markers_are_ordered_by_date_left_to_right():
    dates = [datetime.date(2024, 1, 1), datetime.date(2018, 7, 1), datetime.date(2021, 2, 3)]

    timeline = build_timeline([_event(date) for date in dates], today=TODAY)

    assert [marker.date for marker in timeline.markers] == sorted(dates)
    xs = [marker.cx for marker in timeline.markers]
    assert xs == sorted(xs)


def test_inspection_markers_are_coloured_by_classification():
    events = [_event(datetime.date(2020, 1, 1), symbol) for symbol in ("NAI", "VAI", "OAI")]

    timeline = build_timeline(events, today=TODAY)

    fills = {marker.symbol: marker.fill for marker in timeline.markers}
    assert fills == {"NAI": "#1f7a45", "VAI": "#c27803", "OAI": "#b42318"}
    assert {marker.shape for marker in timeline.markers} == {"circle"}


def test_each_action_type_has_its_own_shape():
    action_types = ["warning-letter", "import-alert", "injunction", "seizure", "eu-non-compliance"]
    events = [
        _event(datetime.date(2015 + n, 1, 1), action, lane="Actions")
        for n, action in enumerate(action_types)
    ]

    timeline = build_timeline(events, today=TODAY)

    shapes = [marker.shape for marker in timeline.markers]
    assert len(set(shapes)) == len(action_types)
    assert "circle" not in shapes
    assert all(marker.points for marker in timeline.markers)
    assert [entry.label for entry in timeline.legend] == [
        MARKER_STYLES[action].label for action in action_types
    ]


def test_axis_covers_at_least_the_last_ten_years_up_to_today():
    timeline = build_timeline([_event(datetime.date(2025, 1, 1))], today=TODAY)

    assert timeline.start <= datetime.date(TODAY.year - MIN_YEARS, TODAY.month, TODAY.day)
    assert timeline.end > TODAY
    assert timeline.ticks[0].label == str(TODAY.year - MIN_YEARS)
    assert timeline.ticks[-1].label == str(TODAY.year)


def test_axis_stretches_back_to_the_oldest_record_and_thins_its_labels():
    timeline = build_timeline([_event(datetime.date(1990, 1, 1))], today=TODAY)

    assert timeline.start == datetime.date(1990, 1, 1)
    labels = [tick.label for tick in timeline.ticks if tick.label]
    assert len(labels) < len(timeline.ticks)


def test_lanes_follow_the_given_order_and_skip_empty_ones():
    events = [
        _event(datetime.date(2020, 1, 1), "warning-letter", lane="Actions"),
        _event(datetime.date(2021, 1, 1), lane="EMA inspections"),
        _event(datetime.date(2022, 1, 1), lane="FDA inspections"),
    ]

    timeline = build_timeline(
        events, today=TODAY, lanes=["FDA inspections", "MHRA inspections", "EMA inspections"]
    )

    assert [lane.label for lane in timeline.lanes] == [
        "FDA inspections",
        "EMA inspections",
        "Actions",
    ]


def test_summary_counts_records_by_classification_and_action_type():
    events = [
        _event(datetime.date(2020, 1, 1), "NAI"),
        _event(datetime.date(2021, 1, 1), "NAI"),
        _event(datetime.date(2022, 1, 1), "OAI"),
        _event(datetime.date(2023, 1, 1), "warning-letter", lane="Actions"),
    ]

    timeline = build_timeline(events, today=TODAY, subject="Leverkusen")

    assert timeline.summary == (
        "Regulatory timeline for Leverkusen, 2016 to 2026: 3 inspection records (2 NAI, 1 OAI) "
        "and 1 regulatory action (1 warning letter)."
    )


def test_no_records_means_no_timeline():
    assert build_timeline([], today=TODAY) is None


# --- A buyer's reading: summary, closable sites, risk, 483s, one row per inspection -------------


def _from(html: str, start: str, end: str) -> str:
    """`html` from the first `start` to the first `end` after it."""
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


@pytest.mark.django_db
def test_many_sites_get_a_summary_table_and_start_closed(client):
    provider = ProviderFactory()
    sites = [_site_with_history(provider, f"Plant {n}", f"300000030{n}") for n in range(5)]
    SiteCapabilityFactory(site=sites[0], term=Term.objects.get(slug="mab"), max_volume_l=12000)

    html = client.get(_profile_url(provider)).content.decode()

    summary = _from(html, 'site-summary-table"', "</table>")
    for site in sites:
        assert f'<a href="#site-{site.pk}">{site.name}</a>' in summary
    assert "Monoclonal antibody" in summary
    assert "12,000 L" in summary
    assert "EU GMP certificate" in summary
    # Five sites: each closed, the table above being the way in.
    assert html.count('<details class="site-card card"') == 5
    assert f'id="site-{sites[0].pk}" open>' not in html


@pytest.mark.django_db
def test_up_to_three_sites_start_open_and_one_site_needs_no_summary(client):
    three = ProviderFactory()
    sites = [_site_with_history(three, f"Plant {n}", f"300000031{n}") for n in range(3)]
    single = ProviderFactory()
    only = _site_with_history(single, "Only", "3000000320")

    html = client.get(_profile_url(three)).content.decode()
    single_html = client.get(_profile_url(single)).content.decode()

    for site in sites:
        assert f'id="site-{site.pk}" open>' in html
    assert "Sites at a glance" in html
    assert f'id="site-{only.pk}" open>' in single_html
    assert "Sites at a glance" not in single_html


@pytest.mark.django_db
def test_rows_of_one_fda_inspection_are_one_row_listing_their_project_areas(client):
    site = SiteFactory(fei_number="3000000330")
    for area in ("Drug Quality Assurance", "Pre-License/Pre-Approval Inspection"):
        InspectionFactory(
            fei_number="3000000330",
            inspection_id="4400001",
            classification="VAI",
            end_date=datetime.date(2025, 3, 4),
            project_area=area,
        )
    InspectionFactory(fei_number="3000000330", inspection_id="4400002", project_area="")

    html = client.get(_profile_url(site.provider)).content.decode()

    history = html[html.index(f'id="site-{site.pk}-history"') :]
    history = history[: history.index("</table>")]
    rows = [row for row in _cells(history) if row[3] == "4400001"]
    assert len(rows) == 1
    assert rows[0][4] == "Drug Quality Assurance; Pre-License/Pre-Approval Inspection"
    # One marker on the timeline too, titled with both areas.
    assert html.count("inspection 4400001, 2025-03-04") == 1
    assert html.count('<g class="marker') == 2


@pytest.mark.django_db
def test_published_483s_show_their_date_record_type_fdas_link_and_source(client):
    site = SiteFactory(fei_number="3000000340")
    document = Published483.objects.create(
        fei_number="3000000340",
        record_type="Form 483",
        record_date=datetime.date(2025, 11, 20),
        publish_date=datetime.date(2026, 1, 10),
        download_url="https://www.fda.gov/media/483-9/download",
        source="FDA 483 database",
        retrieved_at=timezone.now(),
    )
    document.record_ids.create(record_id="483-9")

    html = client.get(_profile_url(site.provider)).content.decode()

    section = html[html.index(f'id="site-{site.pk}-483s"') :]
    section = section[: section.index("</table>")]
    (row,) = _cells(section)
    assert row[0] == "20 Nov 2025published 10 Jan 2026"
    assert row[1:3] == ["Form 483", "483-9"]
    assert 'href="https://www.fda.gov/media/483-9/download"' in section
    assert row[4].startswith("FDA 483 database")


@pytest.mark.django_db
def test_a_site_without_483s_says_so(client):
    site = SiteFactory()

    html = client.get(_profile_url(site.provider)).content.decode()

    assert "No published 483 on record for this site." in html


@pytest.mark.django_db
def test_profile_flags_a_recent_warning_letter_in_its_header_summary_and_site(client):
    provider = ProviderFactory()
    flagged = _site_with_history(provider, "Dublin", "3000000350")
    _site_with_history(provider, "Cork", "3000000351")
    letter = RegulatoryActionFactory(
        fei_number="3000000350", action_date=timezone.localdate() - datetime.timedelta(days=40)
    )

    html = client.get(_profile_url(provider)).content.decode()

    label = f"Warning letter {letter.action_date.year}"
    header = _from(html, 'class="profile-head', "</header>")
    assert label in header
    assert "(Dublin)" in header
    summary = _from(html, 'site-summary-table"', "</table>")
    assert summary.count(label) == 1
    assert label in _from(html, f'id="site-{flagged.pk}"', "</summary>")


def test_timeline_lane_labels_fit_whole_left_of_the_plot():
    lanes = [f"{authority} inspections" for authority in Authority.values] + ["Actions"]
    events = [TimelineEvent(datetime.date(2024, 1, 1), lane, "NAI", "") for lane in lanes]

    chart = build_timeline(events, TODAY, lanes=lanes)

    for lane in chart.lanes:
        lines = [line.text for line in lane.label_lines]
        assert " ".join(lines) == lane.label  # whole: nothing dropped or shortened
        for line in lines:
            assert label_width(line) <= chart.lane_label_x - 8
    mhra = next(lane for lane in chart.lanes if lane.label == "MHRA inspections")
    assert [line.text for line in mhra.label_lines] == ["MHRA", "inspections"]
