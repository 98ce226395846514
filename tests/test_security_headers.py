"""Response headers: a Content-Security-Policy and a Permissions-Policy on every page;
`Cache-Control: private, no-store` on whatever a signed-in user is shown (their organisation's
briefs, runs, results, shortlists, decisions, members and exports, in pages and in the API),
while the public catalogue an anonymous visitor reads stays cacheable; the browsable API only
while DEBUG is on."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching.index import clear_catalogue_index
from matching.runs import execute_run, start_run
from partners.models import Term
from sourcing import pipeline
from tests.factories import (
    BriefFactory,
    MembershipFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)


@pytest.fixture
def helix(db):
    """helen of Helix, with a done run of her brief, a shortlist of its sites and a decision
    list; and a provider of the public catalogue."""
    clear_catalogue_index()
    mab = Term.objects.get(slug="mab")
    site = SiteFactory(provider=ProviderFactory(name="Rhine Biologics", slug="rhine"))
    SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
    member = MembershipFactory(user__username="helen", organisation__name="Helix")
    brief = BriefFactory(organisation=member.organisation, title="Phase 2 mAb", modality=mab)
    run = start_run(brief, member.user)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    shortlist = pipeline.create_shortlist(member.organisation, member.user, "EU mAb", brief)
    pipeline.add_sites(shortlist, [site.pk], member.user, run=run)
    yield {"user": member.user, "brief": brief, "run": run, "shortlist": shortlist}
    clear_catalogue_index()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_page_sends_a_content_security_policy_without_inline_script(client, db):
    response = client.get("/")

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'self'"
    assert policy["object-src"] == "'none'"


def test_every_page_refuses_devices_and_payments_in_its_permissions_policy(client, db):
    response = client.get("/")

    features = dict(part.split("=") for part in response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


def test_the_api_docs_load_their_set_up_script_from_a_file(client, db):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert b'<script src="/api/docs/?script="></script>' in page.content
    assert b"<style>" not in page.content
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.parametrize(
    "path",
    [
        "/briefs/",
        "/briefs/{brief}/",
        "/briefs/{brief}/edit/",
        "/runs/{run}/",
        "/runs/{run}/export.csv",
        "/shortlists/",
        "/shortlists/{shortlist}/",
        "/shortlists/{shortlist}/decisions/",
        "/shortlists/{shortlist}/export.csv",
        "/organisation/",
        # The public catalogue, once signed in, carries the user's name and shortlist buttons.
        "/",
        "/providers/rhine/",
    ],
)
def test_a_signed_in_users_pages_are_never_stored(helix, path):
    url = path.format(brief=helix["brief"].pk, run=helix["run"].pk, shortlist=helix["shortlist"].pk)

    response = _signed_in(helix["user"]).get(url)

    assert response.status_code == 200, url
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


@pytest.mark.parametrize(
    "path",
    [
        "/api/briefs/",
        "/api/briefs/{brief}/",
        "/api/runs/{run}/",
        "/api/shortlists/",
        "/api/shortlists/{shortlist}/",
        "/api/shortlists/{shortlist}/decisions/",
        "/api/organisation/members/",
    ],
)
def test_organisation_scoped_api_answers_are_never_stored(helix, path):
    url = path.format(brief=helix["brief"].pk, run=helix["run"].pk, shortlist=helix["shortlist"].pk)

    response = _signed_in(helix["user"]).get(url)

    assert response.status_code == 200, url
    assert response["Cache-Control"] == "private, no-store"


def test_an_api_call_authenticated_by_its_authorization_header_is_never_stored(helix):
    api = APIClient()
    # Whatever scheme authenticated it (a token), the request carries the header.
    api.force_authenticate(helix["user"])
    api.credentials(HTTP_AUTHORIZATION="Token some-token")

    response = api.get("/api/briefs/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/", "/?modality=mab", "/providers/rhine/", "/api/providers/"])
def test_the_public_catalogue_stays_cacheable_for_anonymous_visitors(helix, path):
    response = Client().get(path)

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")


def test_the_browsable_api_is_offered_while_debug_is_on_and_alone_allows_style_attributes(
    client, db
):
    page = client.get("/api/providers/", HTTP_ACCEPT="text/html")
    json = client.get("/api/providers/")

    assert page["Content-Type"].startswith("text/html")
    assert "style-src 'self' 'unsafe-inline'" in page["Content-Security-Policy"]
    directives = [d.strip() for d in page["Content-Security-Policy"].split(";")]
    assert "script-src 'self'" in directives
    assert json["Content-Type"] == "application/json"
    assert "unsafe-inline" not in json["Content-Security-Policy"]
