"""Every page a user reaches passes axe-core with no serious or critical violation: the
directory (plain and filtered), a profile, the methodology, sign-in, a sponsor's briefs, brief
form, brief and match run, the organisation's members, and the procurement workspace: the
shortlists, a board, a table, a candidate and the activity log."""

import pytest
from playwright.sync_api import Page

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import DeaSchedule, Phase, Term
from partners.vocabulary import install_vocabulary
from sourcing import pipeline
from tests.browser.conftest import axe_violations
from tests.factories import (
    PASSWORD,
    BriefFactory,
    CertificationFactory,
    InspectionFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)


@pytest.fixture
def workspace(transactional_db):
    """A small catalogue, a sponsor of Helix and a done run of its brief."""
    install_vocabulary(Term, Phase, DeaSchedule)
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country, fei in [("Rhine Biologics", "DE", "3001234567"), ("Cork", "IE", "")]:
        provider = ProviderFactory(name=name)
        site = SiteFactory(
            provider=provider,
            country=country,
            fei_number=fei,
            phases=[Phase.objects.get(slug="phase2")],
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
        CertificationFactory(site=site, kind="eu-gmp")
    rhine_slug = ProviderFactory._meta.model.objects.get(name="Rhine Biologics").slug
    InspectionFactory(fei_number="3001234567", classification="VAI")
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb", modality=mab)
    run = start_run(brief, member.user)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU mAb", brief)
    added = pipeline.add_sites(
        shortlist, run.results.values_list("site_id", flat=True), member.user, run=run
    )
    candidate = added.candidates[0]
    pipeline.move(candidate, "declined", member.user, "no-capacity", "Booked until 2028")
    pipeline.add_note(candidate, member.user, "Ask again in Q3.")
    yield {
        "brief": brief,
        "run": run,
        "provider": rhine_slug,
        "shortlist": shortlist,
        "candidate": candidate,
    }
    clear_catalogue_index()


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_every_page_passes_axe_with_no_serious_or_critical_violation(
    live_server, page: Page, workspace
):
    base = live_server.url
    public = [
        "/",
        "/?modality=mab&region=europe",
        f"/providers/{workspace['provider']}/",
        "/methodology/",
        "/accounts/login/",
    ]
    brief, run = workspace["brief"], workspace["run"]
    signed_in = [
        "/briefs/",
        "/briefs/new/",
        f"/briefs/{brief.pk}/",
        f"/briefs/{brief.pk}/edit/",
        f"/runs/{run.pk}/",
        "/organisation/",
        "/shortlists/",
        f"/shortlists/{workspace['shortlist'].pk}/",
        f"/shortlists/{workspace['shortlist'].pk}/?view=table",
        f"/shortlists/{workspace['shortlist'].pk}/activity/",
        workspace["candidate"].get_absolute_url(),
    ]
    found = {}
    for path in public:
        page.goto(base + path)
        found[path] = axe_violations(page)
    _sign_in(page, base)
    for path in signed_in:
        page.goto(base + path)
        found[path] = axe_violations(page)

    assert {path: lines for path, lines in found.items() if lines} == {}
