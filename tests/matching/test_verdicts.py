"""Verdicts per requirement, the run's summary (how many sites meet everything, what separates
them, the score histogram, the must-haves that would narrow the field) and how the run page and
the API show them."""

from types import SimpleNamespace

import numpy as np
import pytest
from bs4 import BeautifulSoup
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import runs
from matching.engine.criteria import CRITERIA, BriefCriteria
from matching.engine.scoring import score_catalogue
from matching.engine.verdicts import DOES_NOT, MEETS, PARTLY, UNKNOWN, verdict_rows
from matching.models import Brief, Result, Run
from matching.results import stored_verdict
from matching.summary import SEPARATED_SHOWN, run_summary
from partners.models import Term
from tests.factories import BriefFactory, RunFactory
from tests.matching.conftest import mab_site
from tests.matching.test_engine import make_index, site

MAB = "mab"


def _verdicts(criteria: BriefCriteria, *sites) -> list[dict[str, str]]:
    """Each site's verdict per criterion."""
    outcome = score_catalogue(criteria, make_index(*sites))
    return [
        dict(zip(CRITERIA, verdicts, strict=True))
        for verdicts in verdict_rows(outcome, list(range(len(sites))))
    ]


def _phase2_2000_l(**fields) -> BriefCriteria:
    return BriefCriteria(
        modality=MAB,
        phase="phase2",
        batch_size=2000,
        batch_unit="L",
        **fields,
    )


# --- Verdicts, from the engine's data (no database) ---------------------------------------------


def test_a_commercial_only_200_l_site_does_not_meet_phase_or_scale_where_a_full_fit_meets_both():
    full = site(1, terms={MAB}, phases={"phase2"}, max_volume_l={MAB: 2000})
    commercial = site(2, terms={MAB}, phases={"commercial"}, max_volume_l={MAB: 200})

    fit, small = _verdicts(_phase2_2000_l(), full, commercial)

    assert (fit["phase"], fit["scale"]) == (MEETS, MEETS)
    assert (small["phase"], small["scale"]) == (DOES_NOT, DOES_NOT)


def test_a_neighbouring_phase_and_half_the_batch_fit_partly():
    near = site(1, terms={MAB}, phases={"phase3"}, max_volume_l={MAB: 1000})
    short = site(2, terms={MAB}, phases={"phase3"}, max_volume_l={MAB: 999})

    near_verdicts, short_verdicts = _verdicts(_phase2_2000_l(), near, short)

    assert (near_verdicts["phase"], near_verdicts["scale"]) == (PARTLY, PARTLY)
    assert short_verdicts["scale"] == DOES_NOT


def test_a_site_giving_no_data_is_unknown_not_failing():
    silent = site(1, terms={MAB}, compliance=None)

    (verdicts,) = _verdicts(_phase2_2000_l(target_markets=("US",)), silent)

    assert verdicts["phase"] == UNKNOWN
    assert verdicts["scale"] == UNKNOWN
    assert verdicts["markets"] == UNKNOWN
    assert verdicts["compliance"] == UNKNOWN


def test_criteria_the_brief_does_not_ask_have_no_verdict():
    (verdicts,) = _verdicts(BriefCriteria(modality=MAB), site(1, terms={MAB}))

    assert verdicts["capability"] == MEETS
    assert verdicts["phase"] == verdicts["scale"] == verdicts["geography"] == ""


def test_geography_outside_the_preferred_countries_does_not_meet():
    criteria = BriefCriteria(modality=MAB, preferred_countries=("DE",))
    home, away = site(1, terms={MAB}, country="DE"), site(2, terms={MAB}, country="FR")

    assert [v["geography"] for v in _verdicts(criteria, home, away)] == [MEETS, DOES_NOT]


def test_some_of_the_requested_certifications_meet_partly():
    criteria = BriefCriteria(modality=MAB, required_certifications=("eu-gmp", "iso-9001"))
    both = site(1, terms={MAB}, certifications={"eu-gmp", "iso-9001"})
    one = site(2, terms={MAB}, certifications={"eu-gmp"})
    none = site(3, terms={MAB})

    verdicts = [v["certifications"] for v in _verdicts(criteria, both, one, none)]

    assert verdicts == [MEETS, PARTLY, DOES_NOT]


def test_a_run_stored_before_verdicts_reads_them_from_sub_scores_and_sentences():
    assert stored_verdict({"sub_score": 1.0, "sentence": "serves Phase 2."}) == MEETS
    assert stored_verdict({"sub_score": 0.4, "sentence": "serves Phase 3."}) == PARTLY
    assert stored_verdict({"sub_score": 0.0, "sentence": "holds no valid EU GMP."}) == DOES_NOT
    assert stored_verdict({"sub_score": 0.5, "sentence": "… scale unknown."}) == UNKNOWN
    assert stored_verdict({"sub_score": 1.0, "sentence": "Not asked."}) == ""
    assert stored_verdict({"sub_score": 0.2, "verdict": DOES_NOT}) == DOES_NOT


# --- The histogram's buckets ---------------------------------------------------------------------


def test_scores_fall_in_buckets_of_five_points_the_last_closed():
    scores = np.array([0.0, 4.99, 5.0, 52.5, 95.0, 99.9, 100.0, np.nan])
    outcome = SimpleNamespace(scores=scores, eligible=~np.isnan(scores))

    distribution = runs.distribution_as_data(outcome)  # type: ignore[arg-type]

    counts = distribution["counts"]
    assert distribution["bucket_width"] == 5
    assert len(counts) == 20
    assert (counts[0], counts[1], counts[10], counts[19]) == (2, 1, 1, 3)
    assert sum(counts) == 7


# --- The summary, on a small fixed catalogue -----------------------------------------------------


@pytest.fixture
def fit_catalogue(db):
    """Four full fits (phase 2, 2,000 L or more, in Germany), two neighbouring-phase sites
    short of the batch, and a commercial-only 200 L site."""
    return {
        "berlin": mab_site("Berlin", "DE", "phase2", compliance=90, max_volume_l=4000),
        "bonn": mab_site("Bonn", "DE", "phase2", compliance=90, max_volume_l=2000),
        "bremen": mab_site("Bremen", "DE", "phase2", compliance=70, max_volume_l=10000),
        "hamburg": mab_site("Hamburg", "DE", "phase2", compliance=80, max_volume_l=2000),
        "munich": mab_site("Munich", "DE", "phase3", compliance=85, max_volume_l=1500),
        "ulm": mab_site("Ulm", "DE", "phase3", compliance=85, max_volume_l=800),
        "pune": mab_site("Pune", "DE", "commercial", compliance=66, max_volume_l=200),
    }


def _soft_brief(organisation, **fields) -> Brief:
    """Phase 2, 2,000 L, Germany preferred: every requirement stated softly."""
    fields = {
        "organisation": organisation,
        "title": "Phase 2 mAb, 2,000 L",
        "modality": Term.objects.get(slug=MAB),
        "phase": "phase2",
        "batch_size": 2000,
        "batch_unit": "L",
        "preferred_countries": ["DE"],
        "must_haves": [],
    } | fields
    return BriefFactory(**fields)


def _done_run(brief: Brief) -> Run:
    run = RunFactory(brief=brief)
    assert runs.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    return run


def test_the_summary_counts_the_sites_meeting_every_stated_requirement(helix, fit_catalogue):
    run = _done_run(_soft_brief(helix.membership.organisation))

    summary = run_summary(run)

    assert summary is not None
    assert summary.eligible == 7
    assert summary.meeting_all == 4
    assert summary.requirements == ("Capability", "Phase", "Scale", "Geography")
    assert not summary.many_meet


def test_many_sites_meeting_everything_are_ordered_by_compliance_then_headroom(
    helix, fit_catalogue
):
    extra = mab_site("Essen", "DE", "phase2", compliance=90, max_volume_l=3000)
    run = _done_run(_soft_brief(helix.membership.organisation))

    summary = run_summary(run)

    assert summary is not None
    assert summary.meeting_all == 5
    assert summary.many_meet
    assert [s.site_name for s in summary.separated] == [
        "Berlin",  # 90, 4,000 L
        extra.name,  # 90, 3,000 L
        "Bonn",  # 90, 2,000 L
        "Hamburg",  # 80
        "Bremen",  # 70, however large
    ]
    assert summary.separated[0].headroom == 2.0


def test_the_run_page_says_how_many_of_the_sites_meeting_everything_it_lists(helix, fit_catalogue):
    meeting = SEPARATED_SHOWN + 5
    # Four of the catalogue's sites meet everything already.
    for number in range(meeting - 4):
        mab_site(f"Essen {number}", "DE", "phase2", compliance=60, max_volume_l=3000)
    run = _done_run(_soft_brief(helix.membership.organisation))
    client = Client()
    client.force_login(helix)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    summary = _text(page.select_one(".run-summary"))
    assert f"{meeting} of {meeting + 3} eligible sites meet every requirement" in summary
    assert f"The first {SEPARATED_SHOWN} of {meeting}, ordered by compliance" in summary
    assert len(page.select(".separated-table tbody tr")) == SEPARATED_SHOWN


def test_the_run_page_lists_every_site_meeting_everything_when_they_are_few(helix, fit_catalogue):
    mab_site("Essen", "DE", "phase2", compliance=90, max_volume_l=3000)
    run = _done_run(_soft_brief(helix.membership.organisation))
    client = Client()
    client.force_login(helix)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    summary = _text(page.select_one(".run-summary"))
    assert "Ordered by compliance" in summary
    assert "The first" not in summary
    assert len(page.select(".separated-table tbody tr")) == 5


def test_making_soft_phase_and_scale_must_haves_says_how_many_sites_each_would_exclude(
    helix, fit_catalogue
):
    run = _done_run(_soft_brief(helix.membership.organisation))

    summary = run_summary(run)

    assert summary is not None
    by_criterion = {t.criterion: t for t in summary.tightenings}
    # Munich, Ulm and Pune serve no phase 2; the same three are short of 2,000 L.
    assert by_criterion["phase"].excluded == 3
    assert by_criterion["scale"].excluded == 3
    assert (
        by_criterion["scale"].suggestion == "make 2,000 L scale a must-have: \N{MINUS SIGN}3 sites"
    )
    # And they do: a run with both as must-haves admits the four full fits alone.
    tight = _soft_brief(helix.membership.organisation, must_haves=["phase", "scale"])
    assert _done_run(tight).eligible == 4


def test_a_must_have_phase_is_not_offered_again(helix, fit_catalogue):
    mab_site("Kiel", "DE", "phase2", max_volume_l=1000)
    run = _done_run(_soft_brief(helix.membership.organisation, must_haves=["phase"]))

    summary = run_summary(run)

    assert summary is not None
    assert [(t.criterion, t.excluded) for t in summary.tightenings] == [("scale", 1)]


def test_the_histogram_of_a_run_stored_without_it_is_counted_from_its_results(helix, fit_catalogue):
    run = _done_run(_soft_brief(helix.membership.organisation))
    stored = run_summary(run)
    assert run.distribution is not None
    assert sum(run.distribution["counts"]) == 7

    Run.objects.filter(pk=run.pk).update(distribution=None)
    run.refresh_from_db()
    counted = run_summary(run)

    assert stored is not None
    assert counted is not None
    assert [b.count for b in counted.buckets] == [b.count for b in stored.buckets]
    assert "7 eligible sites" in counted.distribution_text


def test_a_run_not_done_has_no_summary(helix, fit_catalogue):
    assert run_summary(RunFactory(brief=_soft_brief(helix.membership.organisation))) is None


# --- The run page and the API --------------------------------------------------------------------


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_each_row_gives_its_verdicts_and_key_facts_and_links_to_the_site(helix, fit_catalogue):
    run = _done_run(_soft_brief(helix.membership.organisation))
    client = Client()
    client.force_login(helix)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    summary = _text(page.select_one(".run-summary"))
    assert "4 of 7 eligible sites meet every requirement you stated" in summary
    assert "make Phase 2 a must-have: \N{MINUS SIGN}3 sites" in summary
    assert "make 2,000 L scale a must-have: \N{MINUS SIGN}3 sites" in summary
    rows = {_text(row.select_one(".result-name strong")): row for row in page.select(".result")}
    pune, berlin = rows["Pune"], rows["Berlin"]
    assert "✗ Phase: does not" in _text(pune.select_one(".verdicts"))
    assert "✗ Scale: does not" in _text(pune.select_one(".verdicts"))
    assert "✓ Phase: meets" in _text(berlin.select_one(".verdicts"))
    assert "✓ Scale: meets" in _text(berlin.select_one(".verdicts"))
    facts = _text(pune.select_one(".key-facts"))
    assert "Max 200 L for a 2,000 L batch" in facts
    assert "Commercial" in facts
    assert "Compliance 66/100" in facts
    assert "Germany" in facts
    link = pune.select_one(".key-facts a")
    pune_site = fit_catalogue["pune"]
    assert link["href"].endswith(f"/{pune_site.provider.slug}/#site-{pune_site.pk}")
    # The Commercial-only 200 L site scores well below every full fit.
    scores = dict(Result.objects.filter(run=run).values_list("site_name", "score"))
    assert scores["Pune"] < min(scores[name] for name in ("Berlin", "Bonn", "Hamburg")) - 20
    histogram = page.select_one(".score-histogram")
    assert histogram.select_one("svg[role=img]")
    assert len(histogram.select("tbody tr")) == 20


def test_the_run_page_reads_in_as_many_queries_whatever_the_number_of_sites(
    helix, fit_catalogue, django_assert_max_num_queries
):
    client = Client()
    client.force_login(helix)
    small = _done_run(_soft_brief(helix.membership.organisation))
    with django_assert_max_num_queries(QUERIES) as small_queries:
        assert client.get(f"/runs/{small.pk}/").status_code == 200

    for number in range(30):
        mab_site(f"Extra {number}", "DE", "phase3", max_volume_l=5000)
    large = _done_run(_soft_brief(helix.membership.organisation))
    assert large.eligible == 37
    with django_assert_max_num_queries(len(small_queries)):
        assert client.get(f"/runs/{large.pk}/").status_code == 200


# The run page's queries: the session, user, membership and run; the results page and its
# prefetches (phases, capabilities, certificates); the summary's first breakdown and aggregate;
# the separating table; the excluded sites, the other method's run, the partials' own; the
# bell's unread count. 18 when written.
QUERIES = 21


def test_api_result_items_carry_their_verdicts(helix, fit_catalogue):
    run = _done_run(_soft_brief(helix.membership.organisation))
    client = APIClient()
    client.force_authenticate(helix)

    response = client.get(f"/api/runs/{run.pk}/results/")

    assert response.status_code == 200
    items = {item["site_name"]: item for item in response.json()["results"]}
    pune = {part["criterion"]: part["verdict"] for part in items["Pune"]["breakdown"]}
    assert (pune["phase"], pune["scale"]) == (DOES_NOT, DOES_NOT)
    assert pune["containment"] == ""
