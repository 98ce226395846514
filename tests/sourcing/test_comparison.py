"""The side-by-side comparison of two to six candidates (sourcing/comparison.py and its page):
one column per site, rows grouped, differences marked, as the viewer may see team scores; bad
choices refused with a message; as many queries for six candidates as for two."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import JobStatus
from matching.engine.criteria import CRITERIA
from partners.models import Phase, Term
from sourcing import comparison, scoring
from sourcing.choices import ExitReason, Stage
from sourcing.models import Quote
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    CertificationFactory,
    InspectionFactory,
    MembershipFactory,
    RegulatoryActionFactory,
    RunFactory,
    ShortlistFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def _breakdown(sub_score: float) -> list[dict]:
    return [
        {
            "criterion": criterion,
            "sub_score": sub_score,
            "weight": 3 if criterion != "development" else 0,
            "must_have": criterion == "scale",
            "sentence": "",
        }
        for criterion in CRITERIA
    ]


@pytest.fixture
def brief(helen):
    """A phase 2 mAb in prefilled syringes, 2,000 L batches, EU GMP required, contained to
    1 µg/m³."""
    return BriefFactory(
        organisation=helen.membership.organisation,
        title="Phase 2 mAb",
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        required_certifications=["eu-gmp"],
        max_oel_ug_m3=1.0,
        dosage_forms=[Term.objects.get(slug="prefilled-syringe")],
    )


@pytest.fixture
def shortlist(brief):
    return ShortlistFactory(brief=brief, title="EU fill")


@pytest.fixture
def ghent(shortlist, helen):
    """Scored in a run, big enough, certified until well after today, a clean record."""
    site = SiteFactory(
        name="Ghent",
        provider__name="Flanders Bio",
        country="BE",
        oel_ug_m3=0.5,
        capacity_available_from=_days(-10),
        phases=[Phase.objects.get(slug="phase2"), Phase.objects.get(slug="phase3")],
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=5000)
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="prefilled-syringe"))
    CertificationFactory(site=site, kind="eu-gmp", valid_until=_days(800))
    InspectionFactory(site=site, end_date=_days(-200), classification="NAI")
    run = RunFactory(brief=shortlist.brief, status=JobStatus.DONE)
    return CandidateFactory(
        shortlist=shortlist,
        site=site,
        stage=Stage.PROPOSAL_RECEIVED,
        owner=helen,
        due_on=_days(5),
        run=run,
        score=84.5,
        rank=1,
        breakdown=_breakdown(0.9),
        scored_at=timezone.now(),
    )


@pytest.fixture
def milan(shortlist):
    """From the directory (not scored), too small, its certificate expiring, a warning letter
    two years ago."""
    site = SiteFactory(
        name="Milan",
        provider__name="Brianza Bioservices",
        country="IT",
        phases=[Phase.objects.get(slug="phase1")],
    )
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=1000)
    CertificationFactory(site=site, kind="eu-gmp", valid_until=_days(30))
    CertificationFactory(site=site, kind="iso-9001", valid_until=_days(-3))
    RegulatoryActionFactory(site=site, action_date=_days(-730))
    return CandidateFactory(shortlist=shortlist, site=site, stage=Stage.RFI_SENT)


def _row(built: dict, group: str, label: str) -> dict:
    for each in built["groups"]:
        if each["name"] == group:
            for row in each["rows"]:
                if row["label"].startswith(label):
                    return row
    raise AssertionError(f"No row {label!r} in {group!r}")


def _texts(row: dict) -> list[str]:
    return [cell["text"] for cell in row["cells"]]


def _flags(row: dict) -> list[str]:
    return [cell["flag"] for cell in row["cells"]]


# --- The data ---------------------------------------------------------------------------------


def test_the_comparison_is_json_ready_one_column_per_candidate_in_the_order_asked(
    shortlist, ghent, milan, helen
):
    built = comparison.build(shortlist, [milan.pk, ghent.pk], helen)

    assert json.loads(json.dumps(built)) == built
    assert built["brief"] == {"id": shortlist.brief.pk, "title": "Phase 2 mAb"}
    assert [c["site_name"] for c in built["candidates"]] == ["Milan", "Ghent"]
    assert built["candidates"][1] == {
        "id": ghent.pk,
        "site_id": ghent.site_id,
        "site_name": "Ghent",
        "provider_name": "Flanders Bio",
        "provider_kind": "CDMO",
        "country": "Belgium",
        "stage": "proposal-received",
        "stage_label": "Proposal received",
        "href": ghent.get_absolute_url(),
    }
    assert [group["name"] for group in built["groups"]] == [
        "Site",
        "Fit to the brief",
        "Quality",
        "Scores from the run",
        "Quote",
        "Team scores",
    ]
    for group in built["groups"]:
        for row in group["rows"]:
            assert len(row["cells"]) == 2
            assert all(set(cell) == {"text", "flag", "value"} for cell in row["cells"])
            assert all(cell["flag"] in ("", *comparison.FLAGS) for cell in row["cells"])


def test_rows_where_the_candidates_differ_are_marked(shortlist, ghent, milan, helen):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    assert _row(built, "Site", "Provider kind")["differs"] is False  # both CDMOs
    assert _row(built, "Site", "Stage")["differs"] is True
    only = comparison.only_differing(built)
    labels = [row["label"] for group in only["groups"] for row in group["rows"]]
    assert "Stage" in labels
    assert not any(label.startswith("Provider kind") for label in labels)


def test_the_fit_to_the_brief_weighs_scale_phase_and_forms_against_what_it_asks(
    shortlist, ghent, milan, helen
):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    modality = _row(built, "Fit to the brief", "Modality: Monoclonal antibody")
    assert _texts(modality) == ["offered", "offered"]
    volume = _row(built, "Fit to the brief", "Max volume for Monoclonal antibody (L)")
    assert volume["label"].endswith("the brief's batch 2,000 L")
    assert _texts(volume) == ["5,000 L", "1,000 L: below the batch"]
    assert _flags(volume) == ["good", "warning"]
    assert [cell["value"] for cell in volume["cells"]] == [5000.0, 1000.0]
    phases = _row(built, "Fit to the brief", "Phases served")
    assert _texts(phases) == ["Phase 2, Phase 3", "Phase 1 (an adjacent phase)"]
    assert _flags(phases) == ["good", "warning"]
    syringe = _row(built, "Fit to the brief", "Dosage form: Prefilled syringe")
    assert _texts(syringe) == ["offered", "not offered"]
    assert _flags(syringe) == ["good", "missing"]


def test_certificates_show_their_validity_expiring_and_expired_marked(
    shortlist, ghent, milan, helen
):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    gmp = _row(built, "Quality", "EU GMP certificate (the brief requires it)")
    assert _flags(gmp) == ["good", "expiring"]
    assert gmp["cells"][0]["text"] == f"valid until {_days(800).isoformat()}"
    assert gmp["cells"][1]["text"].startswith(f"expires {_days(30).isoformat()} (in 30 days")
    assert gmp["cells"][1]["value"] == _days(30).isoformat()
    iso = _row(built, "Quality", "ISO 9001")
    assert _texts(iso) == ["none", f"expired {_days(-3).isoformat()}"]
    assert _flags(iso) == ["", "expired"]


def test_the_quality_record_shows_inspections_warning_letters_containment(
    shortlist, ghent, milan, helen
):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    latest = _row(built, "Quality", "Latest inspection")
    assert _texts(latest)[0] == f"{_days(-200).isoformat()}, FDA: NAI"
    assert _flags(latest) == ["good", "missing"]
    adverse = _row(built, "Quality", "Warning letters and OAIs, last 5 years")
    assert _texts(adverse) == ["none", f"Warning letter {_days(-730).isoformat()}"]
    assert _flags(adverse) == ["good", "warning"]
    containment = _row(built, "Quality", "Containment: lowest OEL")
    assert _texts(containment) == ["0.5 µg/m³", "no data"]
    assert _flags(containment) == ["good", "missing"]
    capacity = _row(built, "Quality", "Capacity available from")
    assert capacity["cells"][0]["flag"] == "good"
    assert capacity["cells"][1]["text"] == "not given"


def test_run_scores_per_criterion_and_not_scored_from_the_directory(shortlist, ghent, milan, helen):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    score = _row(built, "Scores from the run", "Score")
    assert _texts(score) == ["84.5", "not scored"]
    assert [cell["value"] for cell in score["cells"]] == [84.5, None]
    assert _row(built, "Scores from the run", "Rank in the run")["cells"][0]["value"] == 1
    scale = _row(built, "Scores from the run", "Scale sub-score")
    assert _texts(scale) == ["0.90 (weight 3, must-have)", "not scored"]
    labels = [row["label"] for row in built["groups"][3]["rows"]]
    # Development weighs nothing and is no must-have: it did not bear on the score.
    assert "Development sub-score" not in labels


def test_quotes_line_up_expired_flagged_and_missing_said(shortlist, ghent, milan, helen):
    Quote.objects.create(
        candidate=ghent,
        price="125000.50",
        currency="EUR",
        batches=3,
        scale_l=2000,
        lead_time_weeks=16,
        minimum_order_batches=2,
        valid_until=_days(-1),
        assumptions="Media supplied by the sponsor",
    )

    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    price = _row(built, "Quote", "Price")
    assert _texts(price) == ["EUR 125,000.50", "no quote yet"]
    assert price["cells"][0]["value"] == 125000.5
    valid = _row(built, "Quote", "Valid until")
    assert valid["cells"][0]["flag"] == "expired"
    assert valid["cells"][0]["text"] == f"expired {_days(-1).isoformat()}"
    assert _row(built, "Quote", "Lead time")["cells"][0]["value"] == 16


@pytest.mark.parametrize(
    ("days", "flag", "text"),
    [
        (0, "expiring", "expires {date} (today, within 30)"),
        (1, "expiring", "expires {date} (in 1 day, within 30)"),
        (30, "expiring", "expires {date} (in 30 days, within 30)"),
        (31, "", "{date}"),
        (-1, "expired", "expired {date}"),
    ],
)
def test_a_quote_expiring_within_30_days_is_flagged_expiring(
    shortlist, ghent, milan, helen, days, flag, text
):
    until = _days(days)
    Quote.objects.create(candidate=ghent, price="1000", currency="EUR", valid_until=until)

    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    valid = _row(built, "Quote", "Valid until")
    assert valid["cells"][0] == {
        "text": text.format(date=until.isoformat()),
        "flag": flag,
        "value": until.isoformat(),
    }


def test_prices_in_different_currencies_are_said_not_to_compare(shortlist, ghent, milan, helen):
    Quote.objects.create(candidate=ghent, price="1000", currency="USD")
    Quote.objects.create(candidate=milan, price="900", currency="EUR")

    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    price = _row(built, "Quote", "Price")
    assert price["label"] == "Price: currencies differ (EUR, USD), not comparable as is"
    assert _texts(price) == ["USD 1,000.00", "EUR 900.00"]
    assert _flags(price) == ["warning", "warning"]


def test_prices_in_one_currency_are_a_plain_row(shortlist, ghent, milan, helen):
    Quote.objects.create(candidate=ghent, price="1000", currency="EUR")
    Quote.objects.create(candidate=milan, price="900", currency="EUR")

    price = _row(comparison.build(shortlist, [ghent.pk, milan.pk], helen), "Quote", "Price")

    assert price["label"] == "Price"
    assert _flags(price) == ["", ""]


def test_without_any_quote_one_row_says_so(shortlist, ghent, milan, helen):
    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)
    quote = next(group for group in built["groups"] if group["name"] == "Quote")
    assert [row["label"] for row in quote["rows"]] == ["Quote"]
    assert _texts(quote["rows"][0]) == ["no quote yet", "no quote yet"]


@pytest.fixture
def criteria(shortlist, helen):
    return scoring.set_criteria(shortlist, helen, [("Quote", 3), ("Responsiveness", 1)])


def test_team_scores_stay_hidden_until_the_viewer_has_scored(
    shortlist, ghent, milan, helen, criteria
):
    colleague = MembershipFactory(
        user__username="carl", organisation=helen.membership.organisation
    ).user
    scoring.score(ghent, colleague, {criteria[0].pk: 5, criteria[1].pk: 4})

    hidden = comparison.build(shortlist, [ghent.pk, milan.pk], helen)
    quote = _row(hidden, "Team scores", "Quote (weight 3)")
    assert _texts(quote) == ["hidden until you score", "hidden until you score"]
    assert quote["cells"][0]["value"] is None

    scoring.score(ghent, helen, {criteria[0].pk: 2, criteria[1].pk: 4})
    shown = comparison.build(shortlist, [ghent.pk, milan.pk], helen)
    quote = _row(shown, "Team scores", "Quote (weight 3)")
    assert quote["cells"][0]["text"] == "3.5 (carl 5 · helen 2): members disagree"
    assert quote["cells"][0]["flag"] == "warning"
    assert quote["cells"][0]["value"] == 3.5
    weighted = _row(shown, "Team scores", "Weighted mean")
    assert weighted["cells"][0]["value"] == round((3 * 3.5 + 1 * 4) / 4, 2)
    # Helen has not scored Milan: its scores stay hidden from her.
    assert quote["cells"][1]["text"] == "hidden until you score"


def test_a_missing_team_score_is_a_dash_never_zero(shortlist, ghent, milan, helen, criteria):
    colleague = MembershipFactory(organisation=helen.membership.organisation).user
    scoring.score(ghent, helen, {criteria[0].pk: 4, criteria[1].pk: 4})
    scoring.score(ghent, colleague, {criteria[0].pk: 4})

    built = comparison.build(shortlist, [ghent.pk, milan.pk], helen)

    responsiveness = _row(built, "Team scores", "Responsiveness")
    name = colleague.get_username()
    assert f"{name} —" in responsiveness["cells"][0]["text"]
    assert responsiveness["cells"][0]["value"] == 4.0  # the mean of those who scored


def test_revealed_all_shows_the_scores_a_decision_record_freezes(
    shortlist, ghent, milan, helen, vera, criteria
):
    scoring.score(ghent, helen, {criteria[0].pk: 4, criteria[1].pk: 2})

    for_vera = comparison.build(shortlist, [ghent.pk, milan.pk], vera)
    assert _row(for_vera, "Team scores", "Quote")["cells"][0]["text"] == "hidden until you score"
    everything = comparison.build(shortlist, [ghent.pk, milan.pk], vera, reveal_all=True)
    assert _row(everything, "Team scores", "Quote")["cells"][0]["value"] == 4.0


@pytest.mark.parametrize("count", [0, 1, 7])
def test_fewer_than_two_or_more_than_six_candidates_are_refused(shortlist, helen, count):
    candidates = [CandidateFactory(shortlist=shortlist) for _ in range(count)]
    with pytest.raises(ValidationError) as refused:
        comparison.build(shortlist, [c.pk for c in candidates], helen)
    assert "Choose from 2 to 6 candidates" in refused.value.message_dict["candidates"][0]


@pytest.mark.parametrize("huge", [2**63, 10**25, 0, -1])
def test_an_id_outside_the_range_of_ids_is_refused_naming_candidates(shortlist, ghent, helen, huge):
    with pytest.raises(ValidationError) as refused:
        comparison.build(shortlist, [huge, ghent.pk], helen)
    assert list(refused.value.message_dict) == ["candidates"]
    assert "There is no candidate number" in refused.value.message_dict["candidates"][0]


def test_a_candidate_of_another_shortlist_is_refused(shortlist, ghent, helen):
    elsewhere = CandidateFactory(shortlist=ShortlistFactory(brief=shortlist.brief))
    with pytest.raises(ValidationError) as refused:
        comparison.build(shortlist, [ghent.pk, elsewhere.pk], helen)
    assert refused.value.message_dict["candidates"] == [
        f"Candidate {elsewhere.pk} is not on the shortlist “EU fill”."
    ]


def test_a_standalone_shortlist_compares_what_each_site_offers(helen):
    shortlist = ShortlistFactory(
        brief=None, organisation=helen.membership.organisation, title="Standalone"
    )
    first, second = (CandidateFactory(shortlist=shortlist) for _ in range(2))
    SiteCapabilityFactory(site=first.site, term=Term.objects.get(slug="mab"))

    built = comparison.build(shortlist, [first.pk, second.pk], helen)

    assert built["brief"] is None
    assert _texts(_row(built, "Fit to the brief", "Modalities offered")) == [
        "Monoclonal antibody",
        "none given",
    ]


# --- The page -----------------------------------------------------------------------------------


def _compare_url(shortlist, *candidates, **extra) -> str:
    query = "&".join(f"c={candidate.pk}" for candidate in candidates)
    extras = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"{reverse('sourcing:compare', args=[shortlist.pk])}?{query}{extras}"


def test_the_page_shows_a_column_per_candidate_and_marks_differences(shortlist, ghent, milan, vera):
    response = client_of(vera).get(_compare_url(shortlist, ghent, milan))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('scope="col" class="comparison-head"') == 2
    assert '<th scope="colgroup" colspan="3">Quality</th>' in page
    assert '<span class="visually-hidden"> (differs)</span>' in page
    assert "flag flag-expiring" in page
    assert reverse("sourcing:compare-export", args=[shortlist.pk, "xlsx"]) in page


def test_only_rows_that_differ(shortlist, ghent, milan, helen):
    every = client_of(helen).get(_compare_url(shortlist, ghent, milan)).content.decode()
    differing = (
        client_of(helen).get(_compare_url(shortlist, ghent, milan, differ=1)).content.decode()
    )

    assert 'class="same"' in every
    assert 'class="same"' not in differing
    assert 'class="differs"' in differing
    assert "alike left out" in differing


@pytest.mark.parametrize("query", ["", "c={a}", "c={a}&c=x", "c={a}&c={other}"])
def test_a_bad_choice_is_a_400_with_the_picker_and_a_message(shortlist, ghent, milan, helen, query):
    other = CandidateFactory(shortlist=ShortlistFactory(brief=shortlist.brief))
    url = reverse("sourcing:compare", args=[shortlist.pk])
    response = client_of(helen).get(f"{url}?{query.format(a=ghent.pk, other=other.pk)}")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "Candidates: " in page
    assert f'name="c" value="{milan.pk}"' in page  # the picker offers the shortlist's candidates
    assert "comparison-table" not in page


@pytest.mark.parametrize("name", ["sourcing:compare", "sourcing:compare-export"])
@pytest.mark.parametrize("huge", ["9999999999999999999999999", str(2**63), "0"])
def test_a_huge_id_is_a_400_naming_candidates_never_a_500(
    shortlist, ghent, milan, helen, name, huge
):
    kwargs = {"pk": shortlist.pk} | ({"fmt": "csv"} if name.endswith("export") else {})
    response = client_of(helen).get(reverse(name, kwargs=kwargs), {"c": [huge, ghent.pk]})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "There is no candidate number" in page
    assert f'name="c" value="{milan.pk}"' in page


def test_seven_candidates_are_refused_on_the_page(shortlist, helen):
    candidates = [CandidateFactory(shortlist=shortlist) for _ in range(7)]
    response = client_of(helen).get(_compare_url(shortlist, *candidates))
    assert response.status_code == 400
    assert "7 are chosen" in response.content.decode()


def test_another_organisations_shortlist_is_not_found(shortlist, ghent, milan, otto):
    assert client_of(otto).get(_compare_url(shortlist, ghent, milan)).status_code == 404


def test_the_shortlist_page_offers_to_compare_on_the_board_and_the_table(
    shortlist, ghent, milan, vera
):
    for view in ("board", "table"):
        page = client_of(vera).get(f"{shortlist.get_absolute_url()}?view={view}").content.decode()
        assert re.search(r'<form id="compare-form"[^>]*method="get"', page)
        assert "Compare selected" in page
        for candidate in (ghent, milan):
            assert (
                f'<input type="checkbox" name="c" value="{candidate.pk}" form="compare-form">'
                in page
            )
        assert '<span class="visually-hidden"> Ghent</span>' in page


def test_the_comparison_makes_as_many_queries_for_six_candidates_as_for_two(
    shortlist, ghent, milan, helen, criteria, django_assert_max_num_queries
):
    client = client_of(helen)
    others = []
    for n in range(4):
        site = SiteFactory(phases=[Phase.objects.get(slug="phase1")])
        SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_volume_l=n + 1)
        CertificationFactory(site=site)
        InspectionFactory(site=site, classification="OAI", end_date=_days(-100))
        candidate = CandidateFactory(
            shortlist=shortlist, site=site, stage=Stage.DECLINED, exit_reason=ExitReason.TIMELINE
        )
        Quote.objects.create(candidate=candidate, price=n + 1, currency="USD")
        scoring.score(candidate, helen, {criteria[0].pk: 3})
        others.append(candidate)
    # The session, the user, the shortlist, the candidates with their sites, providers, owners,
    # runs and quotes; the sites' capabilities, certificates, inspections, actions, phases and
    # DEA schedules; the brief and its three term sets; the team's criteria, members and
    # scores; the shortlist's candidates for the picker; the bell's unread count.
    queries = 19

    counts = []
    for chosen in ([ghent, milan], [ghent, milan, *others]):
        with django_assert_max_num_queries(queries), CaptureQueriesContext(connection) as made:
            response = client.get(_compare_url(shortlist, *chosen))
        assert response.status_code == 200
        assert response.content.decode().count('class="comparison-head"') == len(chosen)
        counts.append(len(made))
    assert counts[0] == counts[1]


def test_the_table_partial_renders_a_comparison_read_back_from_json(shortlist, ghent, milan, helen):
    frozen = json.loads(json.dumps(comparison.build(shortlist, [ghent.pk, milan.pk], helen)))
    ghent.delete()  # a frozen record reads the same whatever happens to the candidates

    html = render_to_string("sourcing/_comparison_table.html", {"comparison": frozen})

    assert html.count('class="comparison-head"') == 2
    assert "Flanders Bio" in html
    assert '<th scope="colgroup" colspan="3">Fit to the brief</th>' in html
    rows = html.count('<tr class="differs">') + html.count('<tr class="same">')
    assert rows == sum(len(group["rows"]) for group in frozen["groups"])
