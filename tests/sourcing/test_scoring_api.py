"""Team scoring in the JSON API: criteria, a member's own scores and the team's where visible,
and an admin's reveal; field errors are 400s naming the item, another organisation gets 404s,
viewers 403s on every change, the anonymous are refused."""

import pytest
from rest_framework.test import APIClient

from matching.choices import Role
from sourcing import scoring
from sourcing.models import Criterion, Score
from tests.factories import CandidateFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(helen):
    return MembershipFactory(user__username="mia", organisation=helen.membership.organisation).user


@pytest.fixture
def ada(helen):
    return MembershipFactory(
        user__username="ada", organisation=helen.membership.organisation, role=Role.ADMIN
    ).user


@pytest.fixture
def criteria(helix_list, helen):
    return scoring.set_criteria(helix_list, helen, [("Quote", 3), ("Responsiveness", 1)])


@pytest.fixture
def milan(helix_list):
    return CandidateFactory(shortlist=helix_list, site__name="Milan")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _criteria_url(shortlist):
    return f"/api/shortlists/{shortlist.pk}/criteria/"


def _scores_url(candidate):
    return f"/api/candidates/{candidate.pk}/scores/"


def _reveal_url(shortlist):
    return f"/api/shortlists/{shortlist.pk}/scores/reveal/"


# Criteria


def test_the_criteria_are_read_in_order(helen, helix_list, criteria):
    response = api(helen).get(_criteria_url(helix_list))

    assert response.status_code == 200
    assert [(c["name"], c["weight"], c["position"]) for c in response.json()] == [
        ("Quote", 3, 0),
        ("Responsiveness", 1, 1),
    ]


def test_a_member_sets_the_criteria(helen, helix_list, criteria):
    quote, responsiveness = criteria

    response = api(helen).put(
        _criteria_url(helix_list),
        {
            "criteria": [
                {"name": "Audit outcome", "weight": 2},
                {"id": quote.pk, "name": "Price", "weight": 5},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    assert [(c["id"], c["name"], c["weight"]) for c in response.json()] == [
        (helix_list.criteria.get(name="Audit outcome").pk, "Audit outcome", 2),
        (quote.pk, "Price", 5),
    ]
    assert not Criterion.objects.filter(pk=responsiveness.pk).exists()


def test_a_bad_weight_is_a_400_naming_the_item(helen, helix_list, criteria):
    response = api(helen).put(
        _criteria_url(helix_list),
        {"criteria": [{"name": "Quote", "weight": 3}, {"name": "Audit", "weight": 0}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"criteria": {"1": {"weight": ["A weight runs from 1 to 100."]}}}
    assert [c.name for c in helix_list.criteria.all()] == ["Quote", "Responsiveness"]


# Scores


def test_a_member_scores_a_candidate_and_reads_her_own(helen, criteria, milan):
    quote = criteria[0]

    response = api(helen).put(
        _scores_url(milan),
        {"scores": [{"criterion": quote.pk, "value": 4, "comment": "Cheapest"}]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["own"] == [{"criterion": quote.pk, "value": 4, "comment": "Cheapest"}]
    assert body["team"]["visible"] is False
    assert body["team"]["members"] == []


@pytest.mark.parametrize("bad", [0, 6, "four", 2.5, True])
def test_a_score_outside_one_to_five_is_a_400_naming_the_value(helen, criteria, milan, bad):
    quote, responsiveness = criteria

    response = api(helen).put(
        _scores_url(milan),
        {
            "scores": [
                {"criterion": quote.pk, "value": 3},
                {"criterion": responsiveness.pk, "value": bad},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"scores": {"1": {"value": ["Scores run from 1 to 5."]}}}
    assert not Score.objects.exists()


def test_a_criterion_of_another_shortlist_is_a_400(helen, criteria, milan):
    other = Criterion.objects.create(shortlist=CandidateFactory().shortlist, name="Other")

    response = api(helen).put(
        _scores_url(milan), {"scores": [{"criterion": other.pk, "value": 3}]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["scores"]["0"]) == ["criterion"]


def test_null_removes_a_score(helen, criteria, milan):
    quote, _ = criteria
    scoring.score(milan, helen, {quote.pk: 4})

    response = api(helen).put(
        _scores_url(milan), {"scores": [{"criterion": quote.pk, "value": None}]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["own"] == []
    assert not Score.objects.exists()


def test_the_team_shows_once_she_has_scored_every_criterion(helen, mia, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, mia, {quote.pk: 5, responsiveness.pk: 1})
    client = api(helen)

    hidden = client.get(_scores_url(milan)).json()
    client.put(
        _scores_url(milan),
        {
            "scores": [
                {"criterion": quote.pk, "value": 2},
                {"criterion": responsiveness.pk, "value": 2},
            ]
        },
        format="json",
    )
    shown = client.get(_scores_url(milan)).json()

    assert hidden["team"]["visible"] is False
    assert "mia" not in str(hidden)
    team = shown["team"]
    assert team["visible"] is True
    assert [m["name"] for m in team["members"]] == ["helen", "mia"]
    assert team["criteria"] == [
        {"criterion": quote.pk, "mean": 3.5, "disagreement": True},
        {"criterion": responsiveness.pk, "mean": 1.5, "disagreement": False},
    ]
    assert team["weighted_mean"] == pytest.approx((3 * 3.5 + 1.5) / 4)


def test_the_shortlist_scores_list_every_candidate_in_constant_queries(
    helen, helix_list, criteria, django_assert_max_num_queries
):
    client = api(helen)
    # The user's session-free auth, the shortlist, its candidates' ids, criteria, members,
    # scores.
    for count in (3, 30):
        while helix_list.candidates.count() < count:
            CandidateFactory(shortlist=helix_list)
        with django_assert_max_num_queries(6):
            response = client.get(f"/api/shortlists/{helix_list.pk}/scores/")
        assert response.status_code == 200
        assert len(response.json()["candidates"]) == count


# Reveal and roles


def test_an_admin_reveals_and_a_viewer_then_sees(ada, vera, mia, helix_list, criteria, milan):
    scoring.score(milan, mia, {criteria[0].pk: 4})
    assert api(vera).get(_scores_url(milan)).json()["team"]["visible"] is False

    response = api(ada).post(_reveal_url(helix_list))

    assert response.status_code == 200
    assert response.json()["revealed"] is True
    assert response.json()["revealed_by"]["username"] == "ada"
    seen = api(vera).get(_scores_url(milan)).json()
    assert seen["own"] is None
    assert seen["team"]["visible"] is True


def test_a_plain_member_cannot_reveal(helen, helix_list):
    response = api(helen).post(_reveal_url(helix_list))

    assert response.status_code == 403
    helix_list.refresh_from_db()
    assert not helix_list.scores_revealed


def test_a_viewer_is_refused_every_change(vera, helix_list, criteria, milan):
    client = api(vera)

    assert client.get(_criteria_url(helix_list)).status_code == 200
    assert client.get(_scores_url(milan)).status_code == 200
    assert (
        client.put(
            _criteria_url(helix_list), {"criteria": [{"name": "X", "weight": 1}]}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.put(
            _scores_url(milan),
            {"scores": [{"criterion": criteria[0].pk, "value": 3}]},
            format="json",
        ).status_code
        == 403
    )
    assert client.post(_reveal_url(helix_list)).status_code == 403
    assert not Score.objects.exists()
    assert helix_list.criteria.count() == 2


def test_another_organisation_finds_nothing(otto, helix_list, criteria, milan):
    client = api(otto)

    for response in (
        client.get(_criteria_url(helix_list)),
        client.put(_criteria_url(helix_list), {"criteria": []}, format="json"),
        client.get(f"/api/shortlists/{helix_list.pk}/scores/"),
        client.post(_reveal_url(helix_list)),
        client.get(_scores_url(milan)),
        client.put(_scores_url(milan), {"scores": []}, format="json"),
    ):
        assert response.status_code == 404
    assert helix_list.criteria.count() == 2


def test_the_anonymous_are_refused(helix_list, criteria, milan):
    client = api()

    for response in (
        client.get(_criteria_url(helix_list)),
        client.get(_scores_url(milan)),
        client.post(_reveal_url(helix_list)),
    ):
        assert response.status_code == 401


def test_a_negative_criterion_is_a_400_with_its_message(helen, criteria, milan):
    response = api(helen).put(
        _scores_url(milan), {"scores": [{"criterion": -1, "value": 3}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "scores": {"0": {"criterion": ["The shortlist has no criterion with the id -1."]}}
    }


def test_removing_a_scored_criterion_needs_delete_scores(helen, helix_list, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 2})
    rows = [{"id": quote.pk, "name": "Quote", "weight": 3}]

    refused = api(helen).put(_criteria_url(helix_list), {"criteria": rows}, format="json")
    confirmed = api(helen).put(
        _criteria_url(helix_list), {"criteria": rows, "delete_scores": True}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json() == {
        "criteria": [
            "Removing “Responsiveness” would delete its 1 score: confirm that it is deleted "
            'too, or keep the criterion. Send "delete_scores": true to confirm.'
        ]
    }
    assert confirmed.status_code == 200
    assert [c["name"] for c in confirmed.json()] == ["Quote"]
    assert list(Score.objects.values_list("criterion_id", flat=True)) == [quote.pk]


def test_the_team_scores_give_their_coverage(helen, mia, helix_list, criteria, milan):
    quote, _ = criteria
    scoring.score(milan, mia, {quote.pk: 4})
    helix_list.scores_revealed_at = helix_list.created_at
    helix_list.save(update_fields=["scores_revealed_at"])

    team = api(helen).get(_scores_url(milan)).json()["team"]

    assert (team["rated_by"], team["members_total"], team["weight_covered"]) == (1, 2, 0.75)
