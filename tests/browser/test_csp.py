"""Every page keeps to the Content-Security-Policy: Chromium, enforcing it, refuses nothing on the
directory (and its htmx filters), a profile, the brief form (whose live preview still follows the
form), a match run, a shortlist, the admin and the API's docs, which render."""

import pytest
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import Phase, Term
from sourcing import pipeline
from tests.factories import (
    PASSWORD,
    BriefFactory,
    CertificationFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

# Recorded by the page itself from its first moment: the browser's report of each refusal.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def workspace(transactional_db):
    """A small catalogue, a sponsor of Helix (staff too, for the admin) with a done run of its
    brief and a shortlist of its sites."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    for name, country in [("Rhine Biologics", "DE"), ("Cork Antibodies", "IE")]:
        site = SiteFactory(
            name=f"{name} plant",
            provider=ProviderFactory(name=name),
            country=country,
            phases=[Phase.objects.get(slug="phase2")],
        )
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
        CertificationFactory(site=site, kind="eu-gmp")
    member = MembershipFactory(
        user__username="helen",
        user__is_staff=True,
        user__is_superuser=True,
        organisation__name="Helix",
    )
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb", modality=mab)
    run = start_run(brief, member.user)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU mAb", brief)
    pipeline.add_sites(shortlist, run.results.values_list("site_id", flat=True), member.user)
    yield {
        "brief": brief,
        "run": run,
        "shortlist": shortlist,
        "provider": ProviderFactory._meta.model.objects.get(name="Rhine Biologics"),
    }
    clear_catalogue_index()


@pytest.fixture
def refusals(page: Page):
    """What the browser refused under the policy: its console's "Refused to …" lines and the
    pages' securitypolicyviolation events, gathered by `refusals.read()`."""

    class Refusals:
        def __init__(self) -> None:
            self.console: list[str] = []

        def read(self) -> list[str]:
            """Those seen since the last read."""
            events = page.evaluate("() => window.__cspViolations.splice(0)")
            seen = [*self.console, *(f"{page.url}: {event}" for event in events)]
            self.console.clear()
            return seen

    found = Refusals()
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            found.console.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or message.text.startswith("Refused to")
            else None
        ),
    )
    return found


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("helen")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_pages_answer_with_a_policy_that_allows_no_inline_script(live_server, page: Page):
    response = page.goto(f"{live_server.url}/")

    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in policy


def test_no_page_breaks_the_content_security_policy(live_server, page: Page, workspace, refusals):
    base = live_server.url
    brief, run, shortlist = workspace["brief"], workspace["run"], workspace["shortlist"]
    page.goto(f"{base}/")
    # The directory's filters still work through htmx.
    search = page.get_by_label("Search providers and sites")
    search.fill("Rhine")
    search.press("Enter")
    expect(page.locator("#directory")).to_contain_text("Rhine Biologics")
    expect(page.locator("#directory")).not_to_contain_text("Cork Antibodies")
    page.goto(f"{base}/providers/{workspace['provider'].slug}/")
    page.goto(f"{base}/api/docs/")
    # Swagger UI drew the API from its schema (its bundle is large: a busy machine takes a while).
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "CDMO Match API", timeout=30_000
    )
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)

    _sign_in(page, base)
    page.goto(f"{base}/briefs/new/")
    preview = page.locator("#brief-preview")
    expect(preview).to_contain_text("Choose a modality")
    # The live preview follows the form (htmx, under the policy).
    page.get_by_label("Modality").select_option(label="Monoclonal antibody")
    expect(preview.locator(".preview-site")).to_have_count(2)
    found = {"the directory, a profile, the API docs, the brief form": refusals.read()}
    for path in [
        "/",
        f"/briefs/{brief.pk}/",
        f"/briefs/{brief.pk}/edit/",
        f"/runs/{run.pk}/",
        "/shortlists/",
        f"/shortlists/{shortlist.pk}/",
        f"/shortlists/{shortlist.pk}/?view=table",
        "/organisation/",
        "/accounts/tokens/",
        "/accounts/security/",
        "/accounts/two-factor/set-up/",
        "/accounts/password_reset/",
        "/admin/",
        "/admin/partners/provider/",
        f"/admin/partners/provider/{workspace['provider'].pk}/change/",
        "/api/docs/",
    ]:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        found[path] = refusals.read()

    assert {path: lines for path, lines in found.items() if lines} == {}


def test_a_refusal_is_seen_by_this_test(live_server, page: Page, refusals):
    """The check above would see a violation: an inline script added to a page is refused."""
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.append(s); }"
    )

    assert page.evaluate("() => window.ran") is None
    page.wait_for_timeout(200)
    assert any("script-src" in line for line in refusals.read())
