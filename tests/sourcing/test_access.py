"""Who may reach each sourcing page, walked over every URL of sourcing/urls.py (a new one is
walked as soon as it is added): the anonymous are sent to sign in; another organisation's member
finds nothing of Helix's (a 404 for whatever names one of its objects); Helix's viewer reads
every page and is refused every change (403, nothing changed); Helix's member may do both.
The board and the table make as many queries for 30 candidates as for 3."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from core.choices import JobStatus
from matching.choices import Role
from matching.models import Membership, Result, Run
from partners.models import Site
from sourcing import decisions, documents
from sourcing import urls as sourcing_urls
from sourcing.choices import PIPELINE, AttachmentKind, Stage, Verb
from sourcing.models import (
    Activity,
    Attachment,
    Candidate,
    Criterion,
    Decision,
    KeptBrief,
    Note,
    Quote,
    Score,
    Shortlist,
)
from tests.factories import (
    CandidateFactory,
    MembershipFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
    UserFactory,
)
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

# The smallest file an attachment walks with.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Notifications and watches are a user's own: tests/sourcing/test_notification_pages.py walks them.
PATTERNS = [
    pattern
    for pattern in sourcing_urls.urlpatterns
    if isinstance(pattern, URLPattern) and pattern not in sourcing_urls.personal_urlpatterns
]


@dataclass
class Helix:
    """Helix's shortlist, a candidate on it, a run of its brief and a site of that run."""

    shortlist: Shortlist
    candidate: Candidate
    run: Run
    site: Site
    attachment: Attachment | None = None
    decision: Decision | None = None

    def kwargs(self, pattern: URLPattern) -> dict[str, object]:
        """The URL's arguments, naming Helix's shortlist and candidate; a run's URL (named
        "run-...") names Helix's run; a file's format is CSV."""
        values: dict[str, object] = {"pk": self.shortlist.pk, "cid": self.candidate.pk}
        if str(pattern.name).startswith("run-"):
            values["pk"] = self.run.pk
        if pattern.name == "keep-matching":  # a brief's
            values["pk"] = self.shortlist.brief_id
        values["fmt"] = "csv"
        if self.attachment is not None:
            values["aid"] = self.attachment.pk
        if self.decision is not None:
            values["number"] = self.decision.number
        missing = set(pattern.pattern.converters) - set(values)
        assert not missing, f"Give the walk a value for {missing} of {pattern.name}"
        return {name: values[name] for name in pattern.pattern.converters}


@dataclass
class Sent:
    """What a URL is sent: its query (GET) and form data (POST); `names_helix`: whether these
    name one of Helix's objects (so that another organisation gets a 404); `admin_only`: whether
    the change is an admin's (a plain member gets a 403)."""

    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    names_helix: bool = False
    admin_only: bool = False
    # What must hold first for a member's change to be made (the walk runs it before the POST).
    prepare: Callable[[], object] | None = None


def _sent(name: str, helix: Helix, member) -> Sent:
    """A request each URL accepts from Helix's member; a URL not named here is sent nothing."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return {
        "shortlist-list": Sent(data={"title": "Walked"}),
        "add-control": Sent(query={"site": helix.site.pk}),
        "add": Sent(
            data={"site": helix.site.pk, "run": helix.run.pk, "shortlist": helix.shortlist.pk},
            names_helix=True,
        ),
        "move": Sent(data={"stage": Stage.CONTACTED, "view": "board"}),
        "assign": Sent(data={"owner": member.pk, "due_on": tomorrow.isoformat()}),
        "note": Sent(data={"text": "Walked"}),
        "quote": Sent(data={"price": "1250000", "currency": "eur", "batches": 3}),
        # A new file each time: an uploaded file is read once.
        "attach": Sent(data={"kind": "proposal", "file": SimpleUploadedFile("offer.pdf", PDF)}),
        "criteria": Sent(
            data={
                "criteria-TOTAL_FORMS": 1,
                "criteria-INITIAL_FORMS": 0,
                "criteria-0-name": "Walked",
                "criteria-0-weight": 2,
            }
        ),
        "scores": Sent(data={f"s-{helix.candidate.pk}-{helix.shortlist.criteria.get().pk}": 4}),
        "scores-reveal": Sent(admin_only=True),
        # A new decision needs the standing one reopened first.
        "decide": Sent(
            data={"chosen": helix.candidate.pk, "rationale": "Walked"},
            prepare=lambda: decisions.reopen(helix.decision, member, "Walked"),
        ),
        "decision-reopen": Sent(data={"reason": "Walked"}),
        # Milan and another candidate of Helix's shortlist, side by side.
        "compare": Sent(query={"c": _two_candidates(helix)}),
        "compare-export": Sent(query={"c": _two_candidates(helix)}),
        "keep-matching": Sent(data={"keep": "on"}),
    }.get(name, Sent())


def _two_candidates(helix: Helix) -> list[int]:
    other = helix.shortlist.candidates.exclude(pk=helix.candidate.pk).order_by("pk").first()
    assert other is not None, "The walk compares Milan with another candidate of the shortlist"
    return [helix.candidate.pk, other.pk]


def _state(organisation) -> tuple:
    """Everything of the organisation's shortlists that a change would touch."""
    return (
        list(
            Shortlist.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", "title", "brief_id", "updated_at")
        ),
        list(
            Candidate.objects.filter(shortlist__organisation=organisation)
            .order_by("pk")
            .values_list(
                "pk", "site_id", "stage", "exit_reason", "owner_id", "due_on", "updated_at"
            )
        ),
        list(
            Note.objects.filter(candidate__shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "text")
        ),
        list(
            Shortlist.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", "scores_revealed_at")
        ),
        list(
            Quote.objects.filter(candidate__shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "price", "currency", "valid_until", "updated_at")
        ),
        list(
            Attachment.objects.filter(candidate__shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "name", "size")
        ),
        list(
            Criterion.objects.filter(shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "name", "weight", "position")
        ),
        list(
            Score.objects.filter(candidate__shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "member_id", "value", "updated_at")
        ),
        list(
            Decision.objects.filter(shortlist__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "number", "reopened_at")
        ),
        # An export is logged, but changes nothing.
        list(
            Activity.objects.filter(shortlist__organisation=organisation)
            .exclude(verb=Verb.EXPORTED)
            .order_by("pk")
            .values_list("pk", "verb")
        ),
        list(
            KeptBrief.objects.filter(brief__organisation=organisation)
            .order_by("pk")
            .values_list("pk", "active", "baseline_run_id", "last_run_id")
        ),
    )


@pytest.fixture
def helix(helen, helix_list) -> Helix:
    site = SiteFactory(name="Ghent")
    run = RunFactory(brief=helix_list.brief, status=JobStatus.DONE, finished_at=timezone.now())
    Result.objects.create(run=run, site=site, eligible=True, rank=1, score=90, breakdown=[])
    candidate = CandidateFactory(shortlist=helix_list, site__name="Milan")
    Criterion.objects.create(shortlist=helix_list, name="Quote", weight=3)
    attachment = documents.attach(
        candidate, helen, SimpleUploadedFile("rfi.pdf", PDF), AttachmentKind.RFI_ANSWER
    )
    # A standing decision, choosing another candidate (Milan stays free to move).
    lyon = CandidateFactory(shortlist=helix_list, site__name="Lyon")
    decision = decisions.decide(helix_list, helen, [lyon.pk], "Walked")
    # Recording it revealed the scores; hidden again, so that an admin's reveal changes them.
    Shortlist.objects.filter(pk=helix_list.pk).update(
        scores_revealed_at=None, scores_revealed_by=None
    )
    return Helix(helix_list, candidate, run, site, attachment=attachment, decision=decision)


def _methods(url: str, user) -> set[str]:
    """The methods the URL's view accepts, from the Allow header of its 405 to a PUT."""
    response = client_of(user).put(url)
    assert response.status_code == 405, f"{url} does not restrict its methods"
    return set(response["Allow"].split(", "))


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.name)
def test_the_anonymous_are_sent_to_sign_in(pattern, helen, helix):
    url = reverse(f"sourcing:{pattern.name}", kwargs=helix.kwargs(pattern))
    sent = _sent(pattern.name, helix, helen)
    before = _state(helix.shortlist.organisation)
    client = client_of()

    for response in (client.get(url, sent.query), client.post(url, sent.data)):
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={quote(url)}")
    assert _state(helix.shortlist.organisation) == before


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.name)
def test_another_organisation_finds_nothing_of_helix(pattern, helen, otto, helix):
    url = reverse(f"sourcing:{pattern.name}", kwargs=helix.kwargs(pattern))
    sent = _sent(pattern.name, helix, helen)
    theirs = ShortlistFactory(
        brief=None, organisation=otto.membership.organisation, title="Northwind fill-finish"
    )
    methods = _methods(url, otto)
    before = _state(helix.shortlist.organisation)
    client = client_of(otto)

    if pattern.pattern.converters or sent.names_helix:
        # (A method the URL does not take is a 405 before any lookup, whoever asks.)
        if "GET" in methods:
            assert client.get(url, sent.query).status_code == 404
        if "POST" in methods:
            assert client.post(url, sent.data).status_code == 404
    else:
        if "GET" in methods:
            response = client.get(url, sent.query)
            assert response.status_code == 200
            page = response.content.decode()
            assert helix.shortlist.title not in page
            assert helix.candidate.site_name not in page
            assert theirs.title in page
        if "POST" in methods:
            # Made in Northwind, as for any of its members.
            assert client.post(url, sent.data).status_code == 302
    assert _state(helix.shortlist.organisation) == before


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.name)
def test_a_viewer_reads_every_page_and_changes_nothing(pattern, helen, vera, helix):
    url = reverse(f"sourcing:{pattern.name}", kwargs=helix.kwargs(pattern))
    sent = _sent(pattern.name, helix, helen)
    methods = _methods(url, vera)
    before = _state(helix.shortlist.organisation)
    client = client_of(vera)

    response = client.get(url, sent.query)
    if "GET" not in methods:
        assert response.status_code == 405
    elif pattern.name == "add-control":
        assert response.status_code == 204  # nothing to offer who cannot add
    else:
        assert response.status_code == 200
        if response["Content-Type"].startswith("text/html"):
            # A page of the shortlist's, or of its brief's (keep matching).
            shown = helix.shortlist.brief.title if pattern.name == "keep-matching" else None
            assert (shown or helix.shortlist.title) in response.content.decode()
    if "POST" in methods:
        assert client.post(url, sent.data).status_code == 403
    assert _state(helix.shortlist.organisation) == before


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.name)
def test_a_member_reads_and_changes(pattern, helen, helix):
    url = reverse(f"sourcing:{pattern.name}", kwargs=helix.kwargs(pattern))
    sent = _sent(pattern.name, helix, helen)
    methods = _methods(url, helen)
    client = client_of(helen)

    before = _state(helix.shortlist.organisation)
    response = client.get(url, sent.query)
    assert response.status_code == (200 if "GET" in methods else 405)
    assert _state(helix.shortlist.organisation) == before  # a GET never changes anything
    if "POST" in methods:
        if sent.prepare is not None:
            sent.prepare()
        before = _state(helix.shortlist.organisation)
        if sent.admin_only:
            assert client.post(url, sent.data).status_code == 403
            assert _state(helix.shortlist.organisation) == before
            Membership.objects.filter(user=helen).update(role=Role.ADMIN)
        response = client.post(url, sent.data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert _state(helix.shortlist.organisation) != before


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.name)
def test_a_change_needs_the_csrf_token(pattern, helen, helix):
    url = reverse(f"sourcing:{pattern.name}", kwargs=helix.kwargs(pattern))
    if "POST" not in _methods(url, helen):
        return
    client = Client(enforce_csrf_checks=True)
    client.force_login(helen)
    before = _state(helix.shortlist.organisation)

    response = client.post(url, _sent(pattern.name, helix, helen).data)

    assert response.status_code == 403
    assert _state(helix.shortlist.organisation) == before


# Query counts


@pytest.mark.parametrize("view", ["board", "table"])
def test_the_board_and_table_queries_do_not_grow_with_the_candidates(
    helen, helix_list, view, django_assert_max_num_queries
):
    client = client_of(helen)
    url = f"{helix_list.get_absolute_url()}?view={view}"
    owner = UserFactory()
    MembershipFactory(user=owner, organisation=helix_list.organisation)
    # The session, the user, the shortlist, its candidates (with their sites, providers and
    # owners), the user's role, the shortlist's standing decision and the bell's unread count.
    queries = 7

    for count in (3, 30):
        for index in range(helix_list.candidates.count(), count):
            CandidateFactory(
                shortlist=helix_list,
                owner=owner,
                stage=PIPELINE[index % len(PIPELINE)],
                due_on=timezone.localdate(),
            )
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
        assert len(re.findall(r'id="candidate-\d+"', response.content.decode())) == count
