"""/methodology/ranking/: how match runs rank sites, read from the engine's constants."""

import re

import pytest
from django.urls import reverse

from core.choices import JobStatus
from matching.engine import scales, scoring, smaa, stability
from matching.engine.criteria import CRITERIA, CRITERION_LABELS
from matching.methodology import describe_ranking_methodology
from tests.factories import BriefFactory, MembershipFactory, RunFactory

URL = "/methodology/ranking/"


def _page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _main_nav(page: str) -> str:
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', page, re.S)
    assert nav is not None
    return nav.group(0)


@pytest.mark.django_db
def test_ranking_methodology_is_public_as_the_compliance_methodology_is(client):
    assert reverse("matching:ranking-methodology") == URL

    page = _page(client)

    assert "How match runs rank sites" in page
    nav = _main_nav(page)
    assert 'aria-current="page">Methodology</a>' in nav


@pytest.mark.django_db
def test_signed_in_the_briefs_tab_is_not_marked_on_the_methodology(client):
    user = MembershipFactory().user
    client.force_login(user)

    nav = _main_nav(_page(client))

    assert 'aria-current="page">Methodology</a>' in nav
    assert 'aria-current="page">Briefs</a>' not in nav


@pytest.mark.django_db
def test_page_shows_the_phase_and_scale_scales_as_the_engine_has_them(client):
    page = _page(client)

    phase = (
        f"<strong>{scales.PHASE_SERVED:g}</strong> if the site serves the brief's phase; "
        f"<strong>{scales.PHASE_ADJACENT:g}</strong> if it serves only a neighbouring phase"
    )
    assert phase in page
    assert f"<strong>{scales.PHASE_FAR:g}</strong> if it serves only phases further away" in page
    assert (
        f"<strong>{scales.SCALE_TWO_RUNS_LOW:g}</strong> at {scales.SCALE_TWO_RUNS_FROM:g}" in page
    )
    assert f"towards <strong>{scales.SCALE_TWO_RUNS_HIGH:g}</strong> just below" in page
    assert f"towards <strong>{scales.SCALE_MANY_RUNS_HIGH:g}</strong> when three" in page
    assert f"<strong>{scales.SCALE_UNKNOWN:g}</strong> when the site gives no maximum" in page


@pytest.mark.django_db
def test_scale_examples_are_the_engines_own_sub_scores(client):
    page = _page(client)

    # A 200 L site for a 2,000 L batch needs ten runs and scores 0.04 on today's scale.
    subscore = float(scales.scale_subscore(scales.np.array([0.1]))[0])
    row = f'<td class="num">200 L</td><td class="num">10</td><td class="num">{subscore:g}</td>'
    assert row in page


@pytest.mark.django_db
def test_page_states_availability_neutral_stability_and_sampling_figures(client):
    page = _page(client)

    assert f"down to 0 at <strong>{scoring.AVAILABILITY_LATE_DAYS} days</strong> late" in page
    assert f"a neutral <strong>{scoring.NEUTRAL:g}</strong>" in page
    assert f"within <strong>{stability.PRECISION:g}</strong> of a weight point" in page
    assert f"in steps of {stability.GRID_STEP:g}" in page
    assert "Dirichlet(1, …, 1)" in page
    assert f"concentration {smaa.AROUND_CONCENTRATION:g} \N{MULTIPLICATION SIGN} the number" in page
    assert "is ever rescaled to the catalogue or to the sites a brief leaves eligible" in page
    for criterion in CRITERIA:
        assert f'<th scope="row">{CRITERION_LABELS[criterion].capitalize()}</th>' in page


@pytest.mark.django_db
def test_page_follows_the_engine_when_a_constant_changes(client, monkeypatch):
    monkeypatch.setattr(scales, "PHASE_ADJACENT", 0.35)
    monkeypatch.setattr(scoring, "AVAILABILITY_LATE_DAYS", 180)
    monkeypatch.setattr(stability, "PRECISION", 0.005)
    monkeypatch.setattr(smaa, "AROUND_CONCENTRATION", 20.0)

    page = _page(client)

    assert "<strong>0.35</strong> if it serves only a neighbouring phase" in page
    assert "down to 0 at <strong>180 days</strong> late" in page
    assert "within <strong>0.005</strong> of a weight point" in page
    assert "concentration 20 \N{MULTIPLICATION SIGN} the number" in page


def test_around_sampling_variation_matches_the_dirichlet_marginal():
    # Ten equal weights at concentration 10: each weight's coefficient of variation is
    # sqrt((1 - m) / (m (k n + 1))) with m = 1/n; about 0.3, as the sampling promises.
    variation = float(describe_ranking_methodology()["acceptability"]["variation"])
    n, k = len(CRITERIA), smaa.AROUND_CONCENTRATION
    m = 1 / n
    assert variation == pytest.approx(((1 - m) / (m * (k * n + 1))) ** 0.5, abs=0.005)


@pytest.mark.django_db
def test_run_page_and_compliance_methodology_link_to_the_ranking_methodology(client):
    membership = MembershipFactory()
    brief = BriefFactory(organisation=membership.organisation, created_by=membership.user)
    run = RunFactory(brief=brief, status=JobStatus.DONE)
    client.force_login(membership.user)

    run_page = client.get(run.get_absolute_url()).content.decode()
    compliance_page = client.get(reverse("partners:methodology")).content.decode()

    assert f'<a href="{URL}">How runs rank</a>' in run_page
    assert f'<a href="{URL}">how runs rank sites</a>' in compliance_page
