"""Decision records in the API: list, read with the snapshot, record, reopen; bad input a 400
naming the field, another organisation a 404, a viewer a 403 on each change, the anonymous
refused; the list's queries do not grow with the records."""

import pytest
from rest_framework.test import APIClient

from matching.choices import Role
from sourcing import decisions
from sourcing.choices import ExitReason, Stage
from sourcing.models import Candidate, Decision
from tests.factories import BriefFactory, CandidateFactory, MembershipFactory, ShortlistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(user__username="bea")


@pytest.fixture
def viewer(member):
    return MembershipFactory(
        user__username="vic", organisation=member.organisation, role=Role.VIEWER
    )


@pytest.fixture
def outsider():
    return MembershipFactory(user__username="otto")


@pytest.fixture
def shortlist(member):
    return ShortlistFactory(brief=BriefFactory(organisation=member.organisation), title="EU fill")


@pytest.fixture
def lyon(shortlist):
    return CandidateFactory(
        shortlist=shortlist, site__name="Lyon", site__provider__name="Lyon Bio", stage=Stage.AUDITED
    )


@pytest.fixture
def cork(shortlist):
    return CandidateFactory(shortlist=shortlist, site__name="Cork", site__provider__name="Cork Bio")


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _url(shortlist, number=None, action="") -> str:
    base = f"/api/shortlists/{shortlist.pk}/decisions/"
    if number is not None:
        base += f"{number}/"
    return base + (f"{action}/" if action else "")


def test_a_member_records_a_decision_and_reads_it_with_its_snapshot(member, shortlist, lyon, cork):
    client = client_of(member.user)

    made = client.post(
        _url(shortlist), {"chosen": [lyon.pk], "rationale": "Best audit"}, format="json"
    )
    read = client.get(made["Location"])

    assert made.status_code == 201
    body = read.json()
    assert (body["number"], body["rationale"], body["standing"]) == (1, "Best audit", True)
    assert body["decided_by"] == {"id": member.user.pk, "username": "bea"}
    assert body["chosen"] == [
        {
            "candidate_id": lyon.pk,
            "site_name": "Lyon",
            "provider_name": "Lyon Bio",
            "previous_stage": Stage.AUDITED,
        }
    ]
    snapshot = body["snapshot"]
    assert [c["site_name"] for c in snapshot["comparison"]["candidates"]] == ["Lyon", "Cork"]
    assert snapshot["brief"]["title"] == shortlist.brief.title
    assert Candidate.objects.get(pk=lyon.pk).stage == Stage.SELECTED


def test_two_are_chosen_for_dual_sourcing(member, shortlist, lyon, cork):
    response = client_of(member.user).post(
        _url(shortlist), {"chosen": [lyon.pk, cork.pk], "rationale": "Dual"}, format="json"
    )

    assert response.status_code == 201
    assert [c["site_name"] for c in response.json()["chosen"]] == ["Lyon", "Cork"]


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"chosen": [], "rationale": "Why"}, "chosen", "Choose the candidate selected"),
        (
            {"chosen": "x", "rationale": "Why"},
            "chosen",
            'Expected a list of items but got type "str"',
        ),
        ({"rationale": "Why"}, "chosen", "This field is required."),
        ({"chosen": ["lyon"], "rationale": ""}, "rationale", "Say why these were chosen"),
        ({"chosen": [2**70], "rationale": "Why"}, "chosen", "Ensure this value is less than"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(member, shortlist, lyon, sent, field, message):
    if sent.get("chosen") == ["lyon"]:
        sent = {**sent, "chosen": [lyon.pk]}

    response = client_of(member.user).post(_url(shortlist), sent, format="json")

    assert response.status_code == 400
    errors = response.json()[field]
    text = errors[0] if isinstance(errors, list) else str(errors)
    assert message in str(text) or message in str(errors)
    assert not Decision.objects.exists()


def test_a_candidate_out_of_the_race_three_chosen_and_a_standing_decision_are_400s(
    member, shortlist, lyon, cork
):
    client = client_of(member.user)
    basel = CandidateFactory(shortlist=shortlist, site__name="Basel")
    Candidate.objects.filter(pk=basel.pk).update(
        stage=Stage.DECLINED, exit_reason=ExitReason.TIMELINE
    )

    out = client.post(_url(shortlist), {"chosen": [basel.pk], "rationale": "x"}, format="json")
    three = client.post(
        _url(shortlist), {"chosen": [lyon.pk, cork.pk, basel.pk], "rationale": "x"}, format="json"
    )
    client.post(_url(shortlist), {"chosen": [lyon.pk], "rationale": "x"}, format="json")
    again = client.post(_url(shortlist), {"chosen": [cork.pk], "rationale": "y"}, format="json")

    assert (out.status_code, three.status_code, again.status_code) == (400, 400, 400)
    assert "out of the race" in out.json()["chosen"][0]
    assert three.json() == {"chosen": ["Choose one candidate, or two for dual sourcing, not 3."]}
    assert again.json()["non_field_errors"][0].startswith("Reopen the current decision first")


def test_reopening_keeps_the_record_and_the_next_is_number_2(member, shortlist, lyon, cork):
    client = client_of(member.user)
    client.post(_url(shortlist), {"chosen": [lyon.pk], "rationale": "x"}, format="json")

    blank = client.post(_url(shortlist, 1, "reopen"), {"reason": " "}, format="json")
    reopened = client.post(_url(shortlist, 1, "reopen"), {"reason": "Capacity"}, format="json")
    twice = client.post(_url(shortlist, 1, "reopen"), {"reason": "Again"}, format="json")
    second = client.post(_url(shortlist), {"chosen": [cork.pk], "rationale": "y"}, format="json")
    listed = client.get(_url(shortlist)).json()

    assert blank.status_code == 400
    assert blank.json() == {
        "reason": ["Say why the decision is reopened: the reason is kept with the record."]
    }
    assert reopened.status_code == 200
    assert (reopened.json()["standing"], reopened.json()["reopen_reason"]) == (False, "Capacity")
    assert reopened.json()["reopened_by"]["username"] == "bea"
    assert twice.status_code == 400
    assert second.json()["number"] == 2
    assert [(d["number"], d["standing"]) for d in listed["results"]] == [(2, True), (1, False)]
    assert Candidate.objects.get(pk=lyon.pk).stage == Stage.AUDITED


def test_another_organisation_gets_404_and_a_viewer_403_on_changes(
    member, viewer, outsider, shortlist, lyon
):
    decisions.decide(shortlist, member.user, [lyon.pk], "x")
    other = client_of(outsider.user)
    reader = client_of(viewer.user)
    sent = {"chosen": [lyon.pk], "rationale": "Mine"}

    assert other.get(_url(shortlist)).status_code == 404
    assert other.get(_url(shortlist, 1)).status_code == 404
    assert other.post(_url(shortlist), sent, format="json").status_code == 404
    assert other.post(_url(shortlist, 1, "reopen"), {"reason": "x"}).status_code == 404
    assert reader.get(_url(shortlist)).status_code == 200
    assert reader.get(_url(shortlist, 1)).status_code == 200
    assert reader.post(_url(shortlist), sent, format="json").status_code == 403
    assert reader.post(_url(shortlist, 1, "reopen"), {"reason": "x"}).status_code == 403
    assert reader.get(_url(shortlist, 2)).status_code == 404
    assert client_of().get(_url(shortlist)).status_code == 401
    assert client_of().post(_url(shortlist), sent, format="json").status_code == 401
    assert Decision.objects.get().standing


def test_the_list_makes_as_many_queries_for_many_records_as_for_one(
    member, shortlist, lyon, django_assert_max_num_queries
):
    client = client_of(member.user)
    # The shortlist, the count and the page of records with who decided and reopened.
    queries = 3
    for count in (1, 8):
        while Decision.objects.count() < count:
            standing = decisions.standing_decision(shortlist)
            if standing is not None:
                decisions.reopen(standing, member.user, "Again")
            decisions.decide(shortlist, member.user, [lyon.pk], "x")
        with django_assert_max_num_queries(queries):
            response = client.get(_url(shortlist))
        assert response.json()["count"] == count


def test_the_api_move_to_selected_is_refused_and_points_to_a_decision(member, lyon):
    response = client_of(member.user).post(
        f"/api/candidates/{lyon.pk}/move/", {"stage": Stage.SELECTED}, format="json"
    )

    assert response.status_code == 400
    assert "Record a decision" in response.json()["stage"][0]
    assert Candidate.objects.get(pk=lyon.pk).stage == Stage.AUDITED
