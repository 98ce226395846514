"""Team scoring's pages: the shortlist's criteria (edited by members, read by viewers), a
member's scorecard with the team's scores where she may see them, an admin's reveal, and the
team's score on a candidate's page."""

import re

import pytest
from django.urls import reverse

from matching.choices import Role
from sourcing import comparison, scoring
from sourcing.choices import Stage
from sourcing.models import Criterion, Score
from tests.factories import CandidateFactory, MembershipFactory
from tests.sourcing.conftest import client_of

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


def _criteria_url(shortlist):
    return reverse("sourcing:criteria", kwargs={"pk": shortlist.pk})


def _scores_url(shortlist):
    return reverse("sourcing:scores", kwargs={"pk": shortlist.pk})


def _rows(criteria, *rows, extra=0):
    """The criteria form's data: the existing criteria's rows as given, then new ones."""
    data = {
        "criteria-TOTAL_FORMS": len(rows),
        "criteria-INITIAL_FORMS": len(criteria),
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"criteria-{index}-{key}"] = value
    return data


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# Criteria


def test_the_shortlist_page_links_to_criteria_and_scores(helen, helix_list):
    page = client_of(helen).get(helix_list.get_absolute_url()).content.decode()

    assert _criteria_url(helix_list) in page
    assert _scores_url(helix_list) in page


def test_a_member_starts_from_the_default_criteria_with_one_click(helen, helix_list):
    client = client_of(helen)
    assert "Use these criteria" in client.get(_criteria_url(helix_list)).content.decode()

    response = client.post(_criteria_url(helix_list), {"defaults": "1"}, follow=True)

    assert [(c.name, c.weight) for c in helix_list.criteria.all()] == list(scoring.DEFAULT_CRITERIA)
    assert "Use these criteria" not in response.content.decode()


def test_a_member_renames_reweighs_reorders_removes_and_adds_criteria(helen, helix_list):
    quote, responsiveness, audit = scoring.set_criteria(
        helix_list, helen, [("Quote", 3), ("Responsiveness", 1), ("Audit", 2)]
    )
    data = _rows(
        [quote, responsiveness, audit],
        {"id": quote.pk, "name": "Price", "weight": 4, "order": 2},
        {"id": responsiveness.pk, "name": "Responsiveness", "weight": 1, "order": 1},
        {"id": audit.pk, "name": "Audit", "weight": 2, "order": 3, "remove": "on"},
        {"name": "Technical answer", "weight": 3, "order": 4},
        {"name": "", "weight": "", "order": ""},
    )

    response = client_of(helen).post(_criteria_url(helix_list), data)

    assert response.status_code == 302
    assert [(c.pk, c.name, c.weight) for c in helix_list.criteria.all()] == [
        (responsiveness.pk, "Responsiveness", 1),
        (quote.pk, "Price", 4),
        (helix_list.criteria.get(name="Technical answer").pk, "Technical answer", 3),
    ]


def test_a_bad_weight_is_refused_naming_the_row_and_field(helen, helix_list, criteria):
    quote, responsiveness = criteria
    data = _rows(
        criteria,
        {"id": quote.pk, "name": "Quote", "weight": 3, "order": 1},
        {"id": responsiveness.pk, "name": "Responsiveness", "weight": 0, "order": 2},
    )

    response = client_of(helen).post(_criteria_url(helix_list), data)

    assert response.status_code == 400
    assert "Row 2, weight: A weight runs from 1 to 100." in _text(response)
    page = response.content.decode()
    assert 'aria-describedby="criteria-1-weight-error"' in page
    assert 'id="criteria-1-weight-error"' in page
    assert [(c.name, c.weight) for c in helix_list.criteria.all()] == [
        ("Quote", 3),
        ("Responsiveness", 1),
    ]


def test_a_duplicate_name_is_refused_on_its_row(helen, helix_list, criteria):
    quote, responsiveness = criteria
    data = _rows(
        criteria,
        {"id": quote.pk, "name": "Quote", "weight": 3, "order": 1},
        {"id": responsiveness.pk, "name": "Responsiveness", "weight": 1, "order": 2},
        {"name": "quote", "weight": 2, "order": 3},
    )

    response = client_of(helen).post(_criteria_url(helix_list), data)

    assert response.status_code == 400
    assert "Row 3, name: “quote” is already a criterion above." in _text(response)


def test_a_viewer_reads_the_criteria_without_a_form(vera, helix_list, criteria):
    response = client_of(vera).get(_criteria_url(helix_list))

    page = response.content.decode()
    assert "Quote" in page
    assert "Responsiveness" in page
    assert "Save the criteria" not in page
    assert "75 %" in page  # Quote's 3 of 4


# The scorecard


def test_the_scorecard_offers_one_to_five_or_not_scored_per_candidate_and_criterion(
    helen, helix_list, criteria, milan
):
    CandidateFactory(shortlist=helix_list, site__name="Ghent")

    page = client_of(helen).get(_scores_url(helix_list)).content.decode()

    assert len(re.findall(r"<select name=\"s-\d+-\d+\"", page)) == 4
    assert "— not scored" in page
    assert f'<label class="visually-hidden" for="score-s-{milan.pk}-{criteria[0].pk}">' in page


def test_a_member_saves_her_scores(helen, helix_list, criteria, milan):
    quote, responsiveness = criteria

    response = client_of(helen).post(
        _scores_url(helix_list),
        {f"s-{milan.pk}-{quote.pk}": "4", f"s-{milan.pk}-{responsiveness.pk}": ""},
    )

    assert response.status_code == 302
    assert list(Score.objects.values_list("member__username", "criterion_id", "value")) == [
        ("helen", quote.pk, 4)
    ]


def test_not_scored_removes_a_score_and_a_field_not_sent_keeps_it(
    helen, helix_list, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 2})

    client_of(helen).post(_scores_url(helix_list), {f"s-{milan.pk}-{quote.pk}": ""})

    assert list(Score.objects.values_list("criterion_id", "value")) == [(responsiveness.pk, 2)]


def test_a_score_outside_one_to_five_is_refused_and_nothing_is_saved(
    helen, helix_list, criteria, milan
):
    quote, responsiveness = criteria
    ghent = CandidateFactory(shortlist=helix_list, site__name="Ghent")

    response = client_of(helen).post(
        _scores_url(helix_list),
        {f"s-{ghent.pk}-{quote.pk}": "3", f"s-{milan.pk}-{responsiveness.pk}": "7"},
    )

    assert response.status_code == 400
    assert f"{milan.provider_name}), Responsiveness: Scores run from 1 to 5." in _text(response)
    assert not Score.objects.exists()


def test_others_scores_stay_hidden_until_she_has_scored_every_criterion(
    helen, mia, helix_list, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, mia, {quote.pk: 5, responsiveness.pk: 1})
    client = client_of(helen)

    hidden = client.get(_scores_url(helix_list)).content.decode()
    client.post(
        _scores_url(helix_list),
        {f"s-{milan.pk}-{quote.pk}": "2", f"s-{milan.pk}-{responsiveness.pk}": "4"},
    )
    shown = client.get(_scores_url(helix_list))

    assert "mia" not in hidden
    assert "Hidden until you have scored Milan on every criterion" in hidden
    text = _text(shown)
    assert "mia" in text
    assert "Team mean 3.50 Disagree 2.50 Disagree 3.25" in text


def test_a_missing_score_shows_as_missing(helen, mia, helix_list, criteria, milan):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 4})
    scoring.score(milan, mia, {quote.pk: 2})

    text = _text(client_of(helen).get(_scores_url(helix_list)))

    assert "mia 2 — , not scored 2.00" in text


def test_out_of_the_race_candidates_are_marked(helen, helix_list, criteria):
    CandidateFactory(
        shortlist=helix_list, site__name="Basel", stage=Stage.DECLINED, exit_reason="timeline"
    )

    page = client_of(helen).get(_scores_url(helix_list)).content.decode()

    assert 'class="out-of-race"' in page
    assert "Declined by the provider" in page


def test_without_criteria_the_scorecard_sends_to_the_criteria_page(helen, helix_list, milan):
    page = client_of(helen).get(_scores_url(helix_list)).content.decode()

    assert "no evaluation criteria yet" in page
    assert _criteria_url(helix_list) in page


def test_a_viewer_sees_no_form_and_the_scores_only_once_revealed(
    vera, ada, mia, helix_list, criteria, milan
):
    scoring.score(milan, mia, {criteria[0].pk: 5, criteria[1].pk: 3})
    client = client_of(vera)

    before = client.get(_scores_url(helix_list)).content.decode()
    scoring.reveal(helix_list, ada)
    after = client.get(_scores_url(helix_list)).content.decode()

    assert "<select" not in before
    assert "Save my scores" not in before
    assert "Shown once an admin reveals" in before
    assert "mia" not in before
    assert "mia" in after
    assert "Revealed by ada" in after


def test_an_admin_reveals_the_scores(ada, helix_list, criteria):
    client = client_of(ada)
    assert "Reveal everyone" in client.get(_scores_url(helix_list)).content.decode()

    response = client.post(reverse("sourcing:scores-reveal", kwargs={"pk": helix_list.pk}))

    assert response.status_code == 302
    helix_list.refresh_from_db()
    assert helix_list.scores_revealed_by == ada


@pytest.mark.parametrize("who", ["helen", "vera"])
def test_a_member_or_viewer_cannot_reveal(request, who, helix_list):
    user = request.getfixturevalue(who)

    response = client_of(user).post(reverse("sourcing:scores-reveal", kwargs={"pk": helix_list.pk}))

    assert response.status_code == 403
    helix_list.refresh_from_db()
    assert not helix_list.scores_revealed


def test_the_scorecard_queries_do_not_grow_with_candidates_or_members(
    helen, helix_list, criteria, django_assert_max_num_queries
):
    client = client_of(helen)
    organisation = helix_list.organisation
    # The session, the user, the shortlist, the role, the candidates, the criteria, the
    # organisation's members, the scores; the messages' session read.
    queries = 9

    for candidates, members in ((3, 2), (30, 6)):
        while helix_list.candidates.count() < candidates:
            CandidateFactory(shortlist=helix_list)
        while organisation.memberships.count() < members:
            MembershipFactory(organisation=organisation)
        for candidate in helix_list.candidates.all():
            for membership in organisation.memberships.all():
                scoring.score(candidate, membership.user, {c.pk: 3 for c in criteria})
        with django_assert_max_num_queries(queries):
            response = client.get(_scores_url(helix_list))
        assert response.status_code == 200
        assert len(re.findall(r'id="team-\d+"', response.content.decode())) == candidates


# The candidate's page


def test_the_candidate_page_shows_the_team_score_once_visible(
    helen, mia, helix_list, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, mia, {quote.pk: 4, responsiveness.pk: 2})
    client = client_of(helen)

    hidden = _text(client.get(milan.get_absolute_url()))
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 2})
    shown = _text(client.get(milan.get_absolute_url()))

    assert "Hidden until you have scored it on every criterion" in hidden
    assert "3.50 of 5, weighted mean" in shown


def test_a_criterion_removed_elsewhere_is_not_a_field_of_the_page(helen, helix_list, milan):
    criterion = Criterion.objects.create(shortlist=helix_list, name="Quote", weight=1)
    criterion_id = criterion.pk
    criterion.delete()

    response = client_of(helen).post(_scores_url(helix_list), {f"s-{milan.pk}-{criterion_id}": 3})

    assert response.status_code == 302
    assert not Score.objects.exists()


def test_removing_a_scored_criterion_needs_its_confirmation_on_its_row(
    helen, helix_list, criteria, milan
):
    quote, responsiveness = criteria
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 2})
    client = client_of(helen)
    rows = [
        {"id": quote.pk, "name": "Quote", "weight": 3, "order": 1},
        {
            "id": responsiveness.pk,
            "name": "Responsiveness",
            "weight": 1,
            "order": 2,
            "remove": "on",
        },
    ]

    offered = client.get(_criteria_url(helix_list)).content.decode()
    refused = client.post(_criteria_url(helix_list), _rows(criteria, *rows))

    assert 'name="criteria-1-delete_scores"' in offered
    assert "also delete its 1 score" in _text(client.get(_criteria_url(helix_list)))
    assert refused.status_code == 400
    assert (
        "Row 2, also delete its scores: Removing “Responsiveness” would delete its 1 score: "
        "confirm that it is deleted too, or keep the criterion."
    ) in _text(refused)
    assert 'id="criteria-1-delete_scores-error"' in refused.content.decode()
    assert [c.name for c in helix_list.criteria.all()] == ["Quote", "Responsiveness"]
    assert Score.objects.count() == 2

    rows[1]["delete_scores"] = "on"
    confirmed = client.post(_criteria_url(helix_list), _rows(criteria, *rows))

    assert confirmed.status_code == 302
    assert [c.name for c in helix_list.criteria.all()] == ["Quote"]
    assert list(Score.objects.values_list("criterion_id", flat=True)) == [quote.pk]


def test_a_second_click_on_the_defaults_is_refused_with_a_message(helen, helix_list):
    client = client_of(helen)
    client.post(_criteria_url(helix_list), {"defaults": "1"})

    response = client.post(_criteria_url(helix_list), {"defaults": "1"}, follow=True)

    assert scoring.ALREADY_SET in _text(response)
    assert helix_list.criteria.count() == len(scoring.DEFAULT_CRITERIA)


def test_the_team_mean_shows_its_coverage(helen, mia, helix_list, criteria, milan):
    quote, responsiveness = criteria  # weights 3 and 1
    scoring.score(milan, helen, {quote.pk: 4, responsiveness.pk: 2})
    scoring.score(milan, mia, {quote.pk: 5})
    client = client_of(helen)

    scores = _text(client.get(_scores_url(helix_list)))
    candidate = _text(client.get(milan.get_absolute_url()))

    assert "Scored by 2 of 2 members, on 100% of the weight; 1 on every criterion" in scores
    assert "scored by 2 of 2 members, on 100% of the weight" in candidate


def test_a_candidate_nobody_scored_says_so_in_plain_words(helen, ada, helix_list, criteria, milan):
    scoring.reveal(helix_list, ada)

    scores = _text(client_of(helen).get(_scores_url(helix_list)))

    assert "Not scored yet" in scores
    assert "Scored by 0 of" not in scores
    assert "Nobody has scored it yet." in scores


def test_the_comparison_gives_the_team_mean_with_its_coverage(
    helen, mia, helix_list, criteria, milan
):
    quote, responsiveness = criteria  # weights 3 and 1
    lyon = CandidateFactory(shortlist=helix_list, site__name="Lyon")
    scoring.score(milan, mia, {responsiveness.pk: 5})
    scoring.score(lyon, mia, {quote.pk: 3, responsiveness.pk: 4})
    scoring.score(lyon, helen, {quote.pk: 4, responsiveness.pk: 4})

    built = comparison.build(helix_list, [milan.pk, lyon.pk], helen, reveal_all=True)

    rows = {row["label"]: row for group in built["groups"] for row in group["rows"]}
    assert [c["text"] for c in rows["Weighted mean"]["cells"]] == [
        "5.0 (scored by 1 of 2 members, on 25% of the weight)",
        "3.6 (scored by 2 of 2 members, on 100% of the weight)",
    ]
