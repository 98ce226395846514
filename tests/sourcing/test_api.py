"""The sourcing API: shortlists, candidates, moves, assignments, notes and the log, as JSON,
scoped to the user's organisation and refused to viewers for every change."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching.choices import Role
from matching.models import Result
from sourcing import pipeline
from sourcing.choices import ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate, Note, Shortlist
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    MembershipFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    """bea, a member of her organisation: she may change its shortlists."""
    return MembershipFactory(user__username="bea")


@pytest.fixture
def viewer(member):
    """vic, a viewer in bea's organisation: he reads, never changes."""
    return MembershipFactory(
        user__username="vic", organisation=member.organisation, role=Role.VIEWER
    )


@pytest.fixture
def outsider():
    """otto, a member of another organisation."""
    return MembershipFactory(user__username="otto")


@pytest.fixture
def shortlist(member):
    return ShortlistFactory(brief=BriefFactory(organisation=member.organisation), title="EU fill")


@pytest.fixture
def candidate(shortlist):
    return CandidateFactory(shortlist=shortlist, site__name="Milan", site__provider__name="Brianza")


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api(member) -> APIClient:
    return client_of(member.user)


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


# Shortlists


def test_a_shortlist_is_made_listed_read_renamed_and_deleted(api, member):
    brief = BriefFactory(organisation=member.organisation)

    made = api.post("/api/shortlists/", {"title": " EU fill ", "brief": brief.pk}, format="json")

    assert made.status_code == 201, made.json()
    body = made.json()
    assert made["Location"] == body["url"]
    assert (body["title"], body["brief"], body["organisation"]) == (
        "EU fill",
        brief.pk,
        member.organisation.slug,
    )
    assert body["created_by"] == {"id": member.user.pk, "username": "bea"}
    assert body["candidate_count"] == 0
    shortlist = Shortlist.objects.get(pk=body["id"])
    assert list(shortlist.activity.values_list("verb", flat=True)) == [Verb.CREATED]

    listed = api.get("/api/shortlists/").json()
    assert listed["count"] == 1
    assert [entry["title"] for entry in listed["results"]] == ["EU fill"]

    url = f"/api/shortlists/{shortlist.pk}/"
    assert api.patch(url, {"title": "EU fill, 2 L"}, format="json").json()["title"] == (
        "EU fill, 2 L"
    )
    assert api.put(url, {"title": "EU fill, 5 L"}, format="json").json()["title"] == "EU fill, 5 L"
    assert api.get(url).json()["title"] == "EU fill, 5 L"

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert not Shortlist.objects.exists()


def test_a_standalone_shortlist_has_no_brief(api):
    made = api.post("/api/shortlists/", {"title": "Backup fillers"}, format="json")

    assert made.status_code == 201
    assert made.json()["brief"] is None


def test_a_shortlist_counts_its_candidates_at_every_stage(api, shortlist):
    CandidateFactory.create_batch(2, shortlist=shortlist)
    CandidateFactory(shortlist=shortlist, stage=Stage.CONTACTED)
    CandidateFactory(shortlist=shortlist, stage=Stage.REJECTED, exit_reason=ExitReason.TIMELINE)

    body = api.get(f"/api/shortlists/{shortlist.pk}/").json()

    assert body["candidate_count"] == 4
    stages = {entry["stage"]: entry for entry in body["stages"]}
    assert [entry["stage"] for entry in body["stages"]] == Stage.values
    assert (stages["longlisted"]["count"], stages["contacted"]["count"]) == (2, 1)
    assert stages["rejected"] == {
        "stage": "rejected",
        "label": "Rejected by us",
        "count": 1,
        "in_the_race": False,
    }
    assert stages["audited"]["count"] == 0


def test_the_list_holds_the_organisations_shortlists_newest_first(api, shortlist, outsider):
    newer = ShortlistFactory(brief=shortlist.brief)
    ShortlistFactory(brief=BriefFactory(organisation=outsider.organisation))

    listed = api.get("/api/shortlists/").json()

    assert [entry["id"] for entry in listed["results"]] == [newer.pk, shortlist.pk]


# Candidates


def test_sites_are_added_from_a_run_with_their_score_and_reported_when_already_listed(
    api, shortlist, member
):
    milan, basel = SiteFactory(name="Milan"), SiteFactory(name="Basel")
    finished = timezone.now() - datetime.timedelta(days=2)
    run = RunFactory(brief=shortlist.brief, status=JobStatus.DONE, finished_at=finished)
    breakdown = [{"criterion": "phase", "sub_score": 1.0, "weight": 3, "must_have": True}]
    Result.objects.create(
        run=run, site=milan, eligible=True, rank=1, score=88.0, breakdown=breakdown
    )
    url = f"/api/shortlists/{shortlist.pk}/candidates/"

    added = api.post(url, {"sites": [milan.pk], "run": run.pk}, format="json")

    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["already_listed"] == []
    [created] = body["candidates"]
    assert (created["site"], created["site_name"], created["provider"]) == (
        milan.pk,
        "Milan",
        milan.provider.slug,
    )
    assert (created["run"], created["score"], created["rank"], created["stage"]) == (
        run.pk,
        88.0,
        1,
        "longlisted",
    )
    # As the API gives every breakdown line: the weight as a number, and the verdict (none
    # recorded for this hand-made line).
    assert created["breakdown"] == [{**breakdown[0], "weight": 3.0, "verdict": ""}]
    assert created["added_by"] == {"id": member.user.pk, "username": "bea"}

    again = api.post(url, {"sites": [milan.pk, basel.pk]}, format="json")
    assert again.status_code == 201
    assert again.json()["already_listed"] == [milan.pk]
    assert [entry["site_name"] for entry in again.json()["candidates"]] == ["Basel"]
    assert again.json()["candidates"][0]["score"] is None

    nothing_new = api.post(url, {"sites": [basel.pk]}, format="json")
    assert nothing_new.status_code == 200
    assert nothing_new.json() == {"candidates": [], "already_listed": [basel.pk]}


def test_a_shortlists_candidates_are_listed_and_filtered_by_stage(api, shortlist, candidate):
    contacted = CandidateFactory(shortlist=shortlist, stage=Stage.CONTACTED)
    CandidateFactory()  # on another organisation's shortlist
    url = f"/api/shortlists/{shortlist.pk}/candidates/"

    everyone = api.get(url).json()
    assert everyone["count"] == 2
    assert [entry["id"] for entry in everyone["results"]] == [candidate.pk, contacted.pk]

    filtered = api.get(url, {"stage": "contacted"}).json()
    assert [entry["id"] for entry in filtered["results"]] == [contacted.pk]


def test_a_candidate_reads_with_its_site_pipeline_place_owner_and_score(api, member, candidate):
    candidate.owner = member.user
    candidate.due_on = timezone.localdate() - datetime.timedelta(days=1)
    candidate.save()

    body = api.get(f"/api/candidates/{candidate.pk}/").json()

    assert body["shortlist"] == candidate.shortlist_id
    assert (body["site"], body["site_name"], body["provider_name"]) == (
        candidate.site_id,
        "Milan",
        "Brianza",
    )
    assert (body["stage"], body["exit_reason"], body["exit_note"]) == ("longlisted", "", "")
    assert body["owner"] == {"id": member.user.pk, "username": "bea"}
    assert (body["due_on"], body["overdue"]) == (candidate.due_on.isoformat(), True)
    assert (body["run"], body["score"], body["rank"], body["breakdown"]) == (None, None, None, [])
    assert body["scored_at"] is None
    assert {"added_by", "created_at", "updated_at", "url"} <= body.keys()


def test_a_candidate_is_moved_along_then_out_of_the_race_with_a_reason(api, candidate):
    url = f"/api/candidates/{candidate.pk}/move/"

    along = api.post(url, {"stage": "rfi-sent"}, format="json")
    assert along.status_code == 200, along.json()
    assert along.json()["stage"] == "rfi-sent"

    out = api.post(
        url,
        {"stage": "declined", "exit_reason": "no-capacity", "exit_note": "Full until 2027"},
        format="json",
    )
    assert out.status_code == 200
    assert (out.json()["stage"], out.json()["exit_reason"], out.json()["exit_note"]) == (
        "declined",
        "no-capacity",
        "Full until 2027",
    )
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.exit_reason) == (Stage.DECLINED, ExitReason.NO_CAPACITY)

    back = api.post(url, {"stage": "contacted", "exit_reason": "timeline"}, format="json")
    assert (back.json()["stage"], back.json()["exit_reason"]) == ("contacted", "")


def test_a_candidates_next_step_is_assigned_and_cleared(api, member, viewer, candidate):
    url = f"/api/candidates/{candidate.pk}/assign/"

    assigned = api.post(url, {"owner": viewer.user.pk, "due_on": tomorrow()}, format="json")

    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["owner"] == {"id": viewer.user.pk, "username": "vic"}
    assert (assigned.json()["due_on"], assigned.json()["overdue"]) == (tomorrow(), False)

    # A field left out stays; null clears.
    cleared = api.post(url, {"due_on": None}, format="json").json()
    assert (cleared["owner"]["username"], cleared["due_on"]) == ("vic", None)
    cleared = api.post(url, {"owner": None}, format="json").json()
    assert cleared["owner"] is None


def test_notes_are_written_and_listed_newest_first(api, candidate):
    url = f"/api/candidates/{candidate.pk}/notes/"

    first = api.post(url, {"text": "Asked for slots in Q3."}, format="json")
    api.post(url, {"text": "They have two."}, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["author"]["username"] == "bea"
    assert first.json()["candidate"] == candidate.pk
    listed = api.get(url).json()
    assert listed["count"] == 2
    assert [note["text"] for note in listed["results"]] == [
        "They have two.",
        "Asked for slots in Q3.",
    ]


def test_a_removed_candidate_is_gone_and_the_log_keeps_it(api, candidate):
    assert api.delete(f"/api/candidates/{candidate.pk}/").status_code == 204

    assert api.get(f"/api/candidates/{candidate.pk}/").status_code == 404
    assert not Candidate.objects.exists()
    assert Activity.objects.get(verb=Verb.REMOVED).summary == "Milan (Brianza)"


def test_the_activity_log_reads_newest_first(api, member, shortlist, candidate):
    pipeline.move(candidate, Stage.CONTACTED, member.user)
    pipeline.add_note(candidate, member.user, "Called them.")

    body = api.get(f"/api/shortlists/{shortlist.pk}/activity/").json()

    assert body["count"] == 2
    noted, moved = body["results"]
    assert (noted["verb"], noted["candidate"]) == ("noted", candidate.pk)
    assert moved["sentence"] == "bea moved Milan (Brianza) from Longlisted to Contacted"
    assert moved["actor"] == {"id": member.user.pk, "username": "bea"}
    assert moved["detail"] == {"stage": "contacted", "exit_reason": ""}


# Bad input: a 400 naming the field


@pytest.mark.parametrize(
    ("path", "data", "field", "words"),
    [
        ("move", {"stage": "shortlisted"}, "stage", "Unknown stage “shortlisted”"),
        ("move", {}, "stage", "required"),
        ("move", {"stage": "rejected"}, "exit_reason", "Say why the candidate is rejected"),
        ("move", {"stage": "on-hold", "exit_reason": "bored"}, "exit_reason", "Unknown reason"),
        ("assign", {"due_on": "2001-01-01"}, "due_on", "cannot be due in the past"),
        ("assign", {"due_on": "next week"}, "due_on", "Date has wrong format"),
        ("assign", {"owner": "bea"}, "owner", "Give the owner as its id"),
        ("assign", {}, "non_field_errors", "the owner, the due date or both"),
        ("notes", {"text": "   "}, "text", "Write the note before saving it."),
        ("notes", {}, "text", "required"),
    ],
)
def test_a_change_to_a_candidate_answers_400_naming_the_field(
    api, candidate, path, data, field, words
):
    response = api.post(f"/api/candidates/{candidate.pk}/{path}/", data, format="json")

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert words in body[field][0]
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.owner, candidate.due_on) == (Stage.LONGLISTED, None, None)
    assert not Note.objects.exists()


def test_the_owner_must_be_a_member_of_the_organisation(api, candidate, outsider):
    for owner in (outsider.user.pk, UserFactory().pk, 987654):
        response = api.post(
            f"/api/candidates/{candidate.pk}/assign/", {"owner": owner}, format="json"
        )

        assert response.status_code == 400
        assert response.json() == {
            "owner": [
                f"No member of your organisation has the id {owner}: the owner must be a "
                "member of the organisation."
            ]
        }


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"sites": []}, "sites", "Choose at least one site to add."),
        ({}, "sites", "required"),
        ({"sites": [987654]}, "sites", "No site has the id 987654."),
        ({"sites": "12"}, "sites", "list"),
        ({"sites": ["x"]}, "sites", "valid integer"),
        ({"sites": [10**20]}, "sites", "less than or equal to"),
    ],
)
def test_adding_sites_answers_400_naming_the_field(api, shortlist, data, field, words):
    response = api.post(f"/api/shortlists/{shortlist.pk}/candidates/", data, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert words in str(response.json()[field])
    assert not Candidate.objects.exists()


def test_sites_are_not_added_from_another_organisations_run(api, shortlist):
    other_run = RunFactory(status=JobStatus.DONE)

    response = api.post(
        f"/api/shortlists/{shortlist.pk}/candidates/",
        {"sites": [SiteFactory().pk], "run": other_run.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"run": [f"No run of your organisation has the id {other_run.pk}."]}
    assert not Candidate.objects.exists()


def test_a_shortlist_needs_a_title_and_a_brief_of_the_organisation(api, member, outsider):
    untitled = api.post("/api/shortlists/", {"title": "  "}, format="json")
    assert untitled.status_code == 400
    assert untitled.json() == {"title": ["Give the shortlist a title."]}

    other_brief = BriefFactory(organisation=outsider.organisation)
    foreign = api.post(
        "/api/shortlists/", {"title": "EU fill", "brief": other_brief.pk}, format="json"
    )
    assert foreign.status_code == 400
    assert foreign.json() == {
        "brief": [f"No brief of your organisation has the id {other_brief.pk}."]
    }
    assert not Shortlist.objects.exists()


def test_a_shortlist_is_not_renamed_to_nothing(api, shortlist):
    response = api.patch(f"/api/shortlists/{shortlist.pk}/", {"title": " "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"title": ["Give the shortlist a title."]}
    shortlist.refresh_from_db()
    assert shortlist.title == "EU fill"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"stage": "shortlisted"}, "stage"),
        ({"page": "9"}, "page"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_list_parameters_answer_400_naming_them(api, shortlist, candidate, query, field):
    response = api.get(f"/api/shortlists/{shortlist.pk}/candidates/", query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


# Who may do what


def _endpoints(shortlist: Shortlist, candidate: Candidate) -> dict[str, list]:
    """Every endpoint of one shortlist and candidate: reads, then changes with a valid body."""
    site = SiteFactory()
    s, c = f"/api/shortlists/{shortlist.pk}", f"/api/candidates/{candidate.pk}"
    return {
        "reads": [
            f"{s}/",
            f"{s}/candidates/",
            f"{s}/activity/",
            f"{c}/",
            f"{c}/notes/",
        ],
        "changes": [
            ("patch", f"{s}/", {"title": "Renamed"}),
            ("put", f"{s}/", {"title": "Renamed"}),
            ("post", f"{s}/candidates/", {"sites": [site.pk]}),
            ("post", f"{c}/move/", {"stage": "contacted"}),
            ("post", f"{c}/assign/", {"due_on": tomorrow()}),
            ("post", f"{c}/notes/", {"text": "Called them."}),
            ("delete", f"{c}/", None),
            ("delete", f"{s}/", None),
        ],
    }


def test_another_organisation_gets_404_on_every_endpoint(shortlist, candidate, outsider):
    api = client_of(outsider.user)
    endpoints = _endpoints(shortlist, candidate)

    for url in endpoints["reads"]:
        assert api.get(url).status_code == 404, url
    for method, url, data in endpoints["changes"]:
        assert getattr(api, method)(url, data, format="json").status_code == 404, (method, url)
    assert api.get("/api/shortlists/").json()["count"] == 0
    assert Candidate.objects.get() == candidate
    assert shortlist.activity.count() == 0


def test_a_viewer_reads_everything_and_changes_nothing(shortlist, candidate, viewer):
    api = client_of(viewer.user)
    endpoints = _endpoints(shortlist, candidate)

    for url in ["/api/shortlists/", *endpoints["reads"]]:
        assert api.get(url).status_code == 200, url
    for method, url, data in [
        ("post", "/api/shortlists/", {"title": "Mine"}),
        *endpoints["changes"],
    ]:
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json() == {
            "detail": "Viewers can read the organisation's work but not change it."
        }
    assert Shortlist.objects.get().title == "EU fill"
    assert Candidate.objects.get().stage == Stage.LONGLISTED
    assert shortlist.activity.count() == 0


def test_a_viewers_bad_input_is_refused_before_it_is_read(shortlist, candidate, viewer):
    response = client_of(viewer.user).post(
        f"/api/candidates/{candidate.pk}/move/", {"stage": "nowhere"}, format="json"
    )

    assert response.status_code == 403


def test_anonymous_requests_are_refused_everywhere(shortlist, candidate):
    api = client_of()
    endpoints = _endpoints(shortlist, candidate)

    for url in ["/api/shortlists/", *endpoints["reads"]]:
        assert api.get(url).status_code == 401, url
    for method, url, data in [
        ("post", "/api/shortlists/", {"title": "Mine"}),
        *endpoints["changes"],
    ]:
        assert getattr(api, method)(url, data, format="json").status_code == 401
    assert Shortlist.objects.count() == 1


def test_a_user_of_no_organisation_has_no_shortlists_and_cannot_make_one(shortlist):
    api = client_of(UserFactory())

    assert api.get("/api/shortlists/").json()["count"] == 0
    response = api.post("/api/shortlists/", {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert "does not belong to an organisation" in response.json()["detail"]


# Queries: a list page costs the same whatever its length


def _queries(django_assert_max_num_queries, api, url: str, maximum: int) -> dict:
    with django_assert_max_num_queries(maximum):
        response = api.get(url)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("size", [3, 30])
def test_the_lists_query_the_database_a_fixed_number_of_times(
    django_assert_max_num_queries, api, member, shortlist, size
):
    owner = member.user
    for _ in range(size):
        candidate = CandidateFactory(shortlist=shortlist, owner=owner, added_by=owner)
        pipeline.add_note(candidate, owner, "Called them.")
        pipeline.move(candidate, Stage.CONTACTED, owner)
        ShortlistFactory(brief=shortlist.brief, created_by=owner)
    first = Candidate.objects.filter(shortlist=shortlist).first()
    for _ in range(size - 1):
        pipeline.add_note(first, owner, "Again.")

    # The count and the page; the shortlist or candidate looked up first.
    assert _queries(django_assert_max_num_queries, api, "/api/shortlists/", 2)["count"] == size + 1
    s = f"/api/shortlists/{shortlist.pk}"
    assert _queries(django_assert_max_num_queries, api, f"{s}/", 2)["candidate_count"] == size
    candidates = _queries(django_assert_max_num_queries, api, f"{s}/candidates/", 3)
    assert len(candidates["results"]) == min(size, 25)
    activity = _queries(django_assert_max_num_queries, api, f"{s}/activity/", 3)
    assert activity["count"] == 2 * size + size - 1
    notes = _queries(django_assert_max_num_queries, api, f"/api/candidates/{first.pk}/notes/", 3)
    assert notes["count"] == size
