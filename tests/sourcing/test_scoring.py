"""Team scoring as the domain sees it (sourcing/scoring.py): the shortlist's criteria, each
member's scores, what a member or a viewer may see of the others', the means and the
disagreements, and that a missing score is missing, never zero."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching.choices import Role
from sourcing import scoring
from sourcing.choices import Verb
from sourcing.models import Activity, Criterion, Score
from tests.factories import CandidateFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(helen):
    """mia, another member of Helix."""
    return MembershipFactory(user__username="mia", organisation=helen.membership.organisation).user


@pytest.fixture
def ada(helen):
    """ada, an admin of Helix."""
    return MembershipFactory(
        user__username="ada", organisation=helen.membership.organisation, role=Role.ADMIN
    ).user


@pytest.fixture
def criteria(helix_list, helen):
    """Quote (weight 3) and Responsiveness (weight 1)."""
    return scoring.set_criteria(helix_list, helen, [("Quote", 3), ("Responsiveness", 1)])


@pytest.fixture
def milan(helix_list):
    return CandidateFactory(shortlist=helix_list, site__name="Milan")


def _values(*pairs):
    return {criterion.pk: value for criterion, value in pairs}


# Criteria


def test_criteria_are_set_in_order_with_their_weights(helix_list, helen):
    made = scoring.set_criteria(helix_list, helen, [("Quote", 3), ("Audit outcome", 2)])

    assert [(c.name, c.weight, c.position) for c in made] == [
        ("Quote", 3, 0),
        ("Audit outcome", 2, 1),
    ]
    entry = Activity.objects.get(verb=Verb.CRITERIA)
    assert entry.summary == "to Quote (3), Audit outcome (2)"


def test_editing_criteria_keeps_the_scores_of_those_kept(helix_list, helen, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)))

    made = scoring.set_criteria(
        helix_list,
        helen,
        [("Responsiveness", 2), ("Price", 5, quote.pk), ("Technical answer", 3)],
    )

    assert [(c.name, c.weight) for c in made] == [
        ("Responsiveness", 2),
        ("Price", 5),
        ("Technical answer", 3),
    ]
    assert made[1].pk == quote.pk  # renamed, not replaced
    assert Score.objects.filter(candidate=milan).count() == 2


def test_swapping_two_names_is_allowed(helix_list, helen, criteria):
    quote, responsiveness = criteria

    made = scoring.set_criteria(
        helix_list, helen, [("Responsiveness", 3, quote.pk), ("Quote", 1, responsiveness.pk)]
    )

    assert [(c.pk, c.name) for c in made] == [
        (quote.pk, "Responsiveness"),
        (responsiveness.pk, "Quote"),
    ]


def test_a_criterion_left_out_is_removed_with_its_scores_once_confirmed(
    helix_list, helen, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)))

    scoring.set_criteria(helix_list, helen, [("Quote", 3)], delete_scores=[responsiveness.pk])

    assert list(Score.objects.values_list("criterion_id", flat=True)) == [quote.pk]
    entry = Activity.objects.filter(verb=Verb.CRITERIA).latest("created_at")
    assert entry.summary == "to Quote (3); 1 score deleted with Responsiveness"


def test_a_criterion_with_scores_is_not_removed_without_a_confirmation(
    helix_list, helen, mia, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)))
    scoring.score(milan, mia, _values((responsiveness, 3)))

    with pytest.raises(ValidationError) as refused:
        scoring.set_criteria(helix_list, helen, [("Quote", 3), ("Price", 2)])

    assert refused.value.message_dict == {
        f"removed.{responsiveness.pk}": [
            "Removing “Responsiveness” would delete its 2 scores: confirm that they are "
            "deleted too, or keep the criterion."
        ]
    }
    # Nothing changed: neither the criteria nor the scores.
    assert [c.name for c in helix_list.criteria.all()] == ["Quote", "Responsiveness"]
    assert Score.objects.count() == 3


def test_a_criterion_without_scores_is_removed_without_a_confirmation(
    helix_list, helen, criteria, milan
):
    quote, _ = criteria
    scoring.score(milan, helen, _values((quote, 4)))

    made = scoring.set_criteria(helix_list, helen, [("Quote", 3)])

    assert [c.name for c in made] == ["Quote"]


def test_the_default_criteria_twice_are_refused_clearly(helix_list, helen):
    scoring.apply_default_criteria(helix_list, helen)

    with pytest.raises(ValidationError) as refused:
        scoring.apply_default_criteria(helix_list, helen)

    assert refused.value.message_dict == {"criteria": [scoring.ALREADY_SET]}
    assert helix_list.criteria.count() == len(scoring.DEFAULT_CRITERIA)


def test_a_second_first_score_updates_the_first(helix_list, helen, criteria, milan):
    """A double submit of a first score: the second finds the first (the candidate's row is
    locked while scoring), and updates it rather than adding another."""
    quote, _ = criteria
    scoring.score(milan, helen, _values((quote, 4)))
    scoring.score(milan, helen, _values((quote, 5)))

    assert list(Score.objects.values_list("value", flat=True)) == [5]


def test_scoring_a_candidate_removed_meanwhile_is_refused(helix_list, helen, criteria, milan):
    quote, _ = criteria
    stale = type(milan).objects.get(pk=milan.pk)
    milan.delete()

    with pytest.raises(ValidationError) as refused:
        scoring.score(stale, helen, _values((quote, 4)))

    assert "candidate" in refused.value.message_dict


def test_coverage_says_how_many_members_scored_and_on_how_much_weight(
    helix_list, helen, mia, criteria, milan
):
    quote, responsiveness = criteria  # weights 3 and 1
    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)))
    lyon = CandidateFactory(shortlist=helix_list, site__name="Lyon")
    scoring.score(lyon, helen, _values((responsiveness, 5)))

    team = scoring.team_scores(helix_list, [milan.pk, lyon.pk], helen, reveal_all=True)

    milan_score, lyon_score = team.by_candidate[milan.pk], team.by_candidate[lyon.pk]
    assert (milan_score.rated_by, milan_score.members_total) == (1, 2)
    assert milan_score.weight_covered == 1
    assert milan_score.coverage == "1 of 2 members, on 100% of the weight"
    assert lyon_score.weight_covered == 0.25
    assert lyon_score.coverage == "1 of 2 members, on 25% of the weight"


def test_coverage_leaves_out_the_weight_while_the_scores_are_hidden(
    helix_list, helen, mia, criteria, milan
):
    quote, _ = criteria
    scoring.score(milan, helen, _values((quote, 4)))

    seen = scoring.team_scores(helix_list, [milan.pk], mia).by_candidate[milan.pk]

    assert not seen.visible
    assert seen.weight_covered is None
    assert seen.coverage == "1 of 2 members"


@pytest.mark.parametrize(
    ("rows", "key", "message"),
    [
        ([("", 3)], "criteria.0.name", "Give the criterion a name."),
        ([("Quote", 3), ("quote ", 2)], "criteria.1.name", "“quote” is already a criterion above."),
        ([("Quote", 0)], "criteria.0.weight", "A weight runs from 1 to 100."),
        ([("Quote", 101)], "criteria.0.weight", "A weight runs from 1 to 100."),
        ([("Quote", "three")], "criteria.0.weight", "A weight is a whole number from 1 to 100."),
    ],
)
def test_bad_criteria_are_refused_naming_the_row_and_field(
    helix_list, helen, criteria, rows, key, message
):
    with pytest.raises(ValidationError) as refused:
        scoring.set_criteria(helix_list, helen, rows)

    assert refused.value.message_dict[key] == [message]
    assert [c.name for c in Criterion.objects.all()] == ["Quote", "Responsiveness"]


def test_a_new_row_named_like_a_kept_criterion_is_a_duplicate(helix_list, helen, criteria):
    quote, responsiveness = criteria

    with pytest.raises(ValidationError) as refused:
        scoring.set_criteria(
            helix_list,
            helen,
            [("Quote", 3, quote.pk), ("Responsiveness", 1, responsiveness.pk), ("quote", 2)],
        )

    assert refused.value.message_dict == {
        "criteria.2.name": ["“quote” is already a criterion above."]
    }


def test_default_criteria_apply_only_to_a_shortlist_without_any(helix_list, helen):
    made = scoring.apply_default_criteria(helix_list, helen)

    assert [(c.name, c.weight) for c in made] == list(scoring.DEFAULT_CRITERIA)
    with pytest.raises(ValidationError):
        scoring.apply_default_criteria(helix_list, helen)


def test_a_viewer_cannot_change_criteria(helix_list, vera):
    with pytest.raises(PermissionDenied):
        scoring.set_criteria(helix_list, vera, [("Quote", 3)])


# Scoring


def test_a_score_outside_one_to_five_is_refused_naming_the_criterion(helen, criteria, milan):
    quote, responsiveness = criteria

    for bad in (0, 6, "x", 2.5, True):
        with pytest.raises(ValidationError) as refused:
            scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: bad})
        assert refused.value.message_dict == {str(responsiveness.pk): ["Scores run from 1 to 5."]}
    assert not Score.objects.exists()


def test_a_criterion_of_another_shortlist_is_refused(helen, criteria, milan):
    other = Criterion.objects.create(shortlist=CandidateFactory().shortlist, name="Other")

    with pytest.raises(ValidationError) as refused:
        scoring.score(milan, helen, {other.pk: 3})

    assert str(other.pk) in refused.value.message_dict


def test_none_removes_a_score_back_to_missing(helen, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)))

    mine = scoring.score(milan, helen, {quote.pk: None, responsiveness.pk: "5"})

    assert mine == {responsiveness.pk: 5}
    assert list(Score.objects.values_list("criterion_id", "value")) == [(responsiveness.pk, 5)]


def test_a_viewer_cannot_score(vera, criteria, milan):
    with pytest.raises(PermissionDenied):
        scoring.score(milan, vera, {criteria[0].pk: 3})


def test_the_log_names_the_criteria_scored_but_never_the_values(helen, criteria, milan):
    quote, responsiveness = criteria

    scoring.score(milan, helen, _values((quote, 4), (responsiveness, 2)), {quote.pk: "cheap"})

    entry = Activity.objects.get(verb=Verb.SCORED)
    assert entry.summary == f"{milan.site_name} ({milan.provider_name}) on Quote, Responsiveness"
    assert "4" not in entry.summary.replace(milan.site_name, "").replace(milan.provider_name, "")
    assert "4" not in json.dumps(entry.detail).replace(str(quote.pk), "")
    assert Score.objects.get(criterion=quote).comment == "cheap"


def test_scoring_the_same_again_logs_nothing(helen, criteria, milan):
    scoring.score(milan, helen, {criteria[0].pk: 3})
    scoring.score(milan, helen, {criteria[0].pk: 3})

    assert Activity.objects.filter(verb=Verb.SCORED).count() == 1


# Who sees what


def test_a_member_sees_no_other_scores_until_she_has_entered_her_own(
    helix_list, helen, mia, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, mia, _values((quote, 5), (responsiveness, 5)))

    before = scoring.team_scores(helix_list, [milan.pk], helen).by_candidate[milan.pk]
    scoring.score(milan, helen, {quote.pk: 2})
    halfway = scoring.team_scores(helix_list, [milan.pk], helen).by_candidate[milan.pk]
    scoring.score(milan, helen, {responsiveness.pk: 3})
    after = scoring.team_scores(helix_list, [milan.pk], helen).by_candidate[milan.pk]

    for hidden in (before, halfway):
        assert not hidden.visible
        assert hidden.members == []
        assert hidden.weighted_mean is None
        assert set(hidden.criterion_means.values()) == {None}
    assert halfway.own.values == {quote.pk: 2}
    assert after.visible
    assert [(m.member_name, m.values) for m in after.members] == [
        ("helen", {quote.pk: 2, responsiveness.pk: 3}),
        ("mia", {quote.pk: 5, responsiveness.pk: 5}),
    ]
    assert after.criterion_means == {quote.pk: 3.5, responsiveness.pk: 4.0}
    assert after.scored_by == 2


def test_an_admin_reveal_shows_the_scores_to_everyone(helix_list, helen, mia, vera, ada, criteria):
    milan = CandidateFactory(shortlist=helix_list)
    scoring.score(milan, mia, {criteria[0].pk: 4})

    assert not scoring.team_scores(helix_list, [milan.pk], vera).by_candidate[milan.pk].visible
    scoring.reveal(helix_list, ada)
    helix_list.refresh_from_db()

    for who in (helen, vera, ada):
        team = scoring.team_scores(helix_list, [milan.pk], who)
        assert team.revealed
        assert team.by_candidate[milan.pk].visible
        assert team.by_candidate[milan.pk].criterion_means[criteria[0].pk] == 4
    entry = Activity.objects.get(verb=Verb.REVEALED)
    assert entry.actor == ada


def test_a_plain_member_cannot_reveal(helix_list, helen, vera):
    for who in (helen, vera):
        with pytest.raises(PermissionDenied):
            scoring.reveal(helix_list, who)
    helix_list.refresh_from_db()
    assert not helix_list.scores_revealed


def test_a_viewer_has_no_scores_of_her_own_and_sees_none_before_the_reveal(
    helix_list, helen, vera, criteria, milan
):
    scoring.score(milan, helen, _values((criteria[0], 4), (criteria[1], 4)))

    seen = scoring.team_scores(helix_list, [milan.pk], vera).by_candidate[milan.pk]

    assert seen.own is None
    assert not seen.visible
    assert seen.members == []


def test_a_decision_record_sees_everything(helix_list, vera, mia, criteria, milan):
    scoring.score(milan, mia, {criteria[0].pk: 2})

    seen = scoring.team_scores(helix_list, [milan.pk], vera, reveal_all=True)

    assert seen.by_candidate[milan.pk].visible
    assert seen.by_candidate[milan.pk].criterion_means[criteria[0].pk] == 2


def test_every_member_who_may_score_is_listed_even_without_a_score(
    helix_list, helen, mia, ada, vera, criteria, milan
):
    team = scoring.team_scores(helix_list, [milan.pk], helen, reveal_all=True)

    assert [m.member_name for m in team.by_candidate[milan.pk].members] == ["ada", "helen", "mia"]
    assert all(m.values == {} and m.weighted is None for m in team.by_candidate[milan.pk].members)


# Means


def test_a_missing_score_is_not_counted_as_zero(helix_list, helen, mia, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4})  # responsiveness missing
    scoring.score(milan, mia, {quote.pk: 2, responsiveness.pk: 5})

    team = scoring.team_scores(helix_list, [milan.pk], helen, reveal_all=True)
    seen = team.by_candidate[milan.pk]

    helen_scores = next(m for m in seen.members if m.member_name == "helen")
    assert helen_scores.values == {quote.pk: 4}
    assert responsiveness.pk not in helen_scores.values
    assert helen_scores.weighted == 4.0  # over Quote alone, not (3*4 + 1*0) / 4
    assert seen.criterion_means == {quote.pk: 3.0, responsiveness.pk: 5.0}
    assert seen.scored_by == 1


def test_the_weighted_mean_weighs_each_criterions_mean(helix_list, helen, mia, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 1})
    scoring.score(milan, mia, {quote.pk: 2, responsiveness.pk: 3})

    seen = scoring.team_scores(helix_list, [milan.pk], helen).by_candidate[milan.pk]

    # Quote's mean 3 weighs 3, Responsiveness's mean 2 weighs 1.
    assert seen.weighted_mean == pytest.approx((3 * 3 + 1 * 2) / 4)
    assert [m.weighted for m in seen.members] == [
        pytest.approx((3 * 4 + 1) / 4),
        pytest.approx((3 * 2 + 3) / 4),
    ]


def test_nobody_scoring_gives_no_mean(helix_list, helen, criteria, milan):
    seen = scoring.team_scores(helix_list, [milan.pk], helen, reveal_all=True)

    assert seen.by_candidate[milan.pk].weighted_mean is None
    assert seen.by_candidate[milan.pk].criterion_means == {c.pk: None for c in criteria}


def test_scores_two_or_more_apart_are_a_disagreement(helix_list, helen, mia, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 2, responsiveness.pk: 4})
    scoring.score(milan, mia, {quote.pk: 4, responsiveness.pk: 5})

    seen = scoring.team_scores(helix_list, [milan.pk], helen).by_candidate[milan.pk]

    assert seen.disagreement == {quote.pk: True, responsiveness.pk: False}


def test_the_snapshot_is_plain_json(helix_list, helen, mia, criteria, milan):
    quote = criteria[0]
    scoring.score(milan, helen, {quote.pk: 2})

    frozen = scoring.snapshot(scoring.team_scores(helix_list, [milan.pk], helen, reveal_all=True))

    assert json.loads(json.dumps(frozen)) == frozen
    assert frozen["criteria"][0] == {"id": quote.pk, "name": "Quote", "weight": 3, "position": 0}
    members = frozen["candidates"][str(milan.pk)]["members"]
    assert [(m["name"], m["values"]) for m in members] == [
        ("helen", {str(quote.pk): 2}),
        ("mia", {}),
    ]


def test_the_queries_do_not_grow_with_candidates_or_members(helix_list, helen, criteria):
    organisation = helix_list.organisation
    counts = []
    for candidates, members in ((3, 2), (30, 6)):
        while helix_list.candidates.count() < candidates:
            CandidateFactory(shortlist=helix_list)
        while organisation.memberships.count() < members:
            MembershipFactory(organisation=organisation)
        for candidate in helix_list.candidates.all():
            for membership in organisation.memberships.all():
                scoring.score(candidate, membership.user, {c.pk: 3 for c in criteria})
        ids = list(helix_list.candidates.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            team = scoring.team_scores(helix_list, ids, helen)
        counts.append(len(queries))
        assert len(team.by_candidate) == candidates
        assert len(next(iter(team.by_candidate.values())).members) == members

    assert counts[0] == counts[1] == 3
