"""Decision records (sourcing/decisions.py): one candidate chosen, or two for dual sourcing, with
a rationale; the record frozen — the brief, the run's scores, the comparison, the quotes, the team
scores and the notes as they were — so that its page reads the same after anything changes;
reopening keeps the record and puts the chosen back; selecting only through a decision."""

import datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import JobStatus
from matching.engine.criteria import CRITERIA
from sourcing import decisions, pipeline, scoring
from sourcing.choices import ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate, Criterion, Decision, Note, Quote
from tests.factories import (
    CandidateFactory,
    CertificationFactory,
    MembershipFactory,
    RunFactory,
    SiteFactory,
)
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

BREAKDOWN = [
    {"criterion": name, "sub_score": 0.8, "weight": 3, "must_have": False, "sentence": ""}
    for name in CRITERIA
]


@pytest.fixture
def race(helen, helix_list):
    """Helix's "EU fill" with Lyon and Cork scored from a run (Lyon audited, Cork with a
    proposal), Basel declined, each with a quote, a note and helen's team score; Lyon's site
    holds an EU GMP certificate."""
    run = RunFactory(brief=helix_list.brief, status=JobStatus.DONE, finished_at=timezone.now())
    team = {}
    for rank, (name, stage) in enumerate(
        [("Lyon", Stage.AUDITED), ("Cork", Stage.PROPOSAL_RECEIVED), ("Basel", Stage.CONTACTED)],
        start=1,
    ):
        site = SiteFactory(name=name, provider__name=f"{name} Bio")
        team[name.lower()] = CandidateFactory(
            shortlist=helix_list,
            site=site,
            stage=stage,
            run=run,
            score=90.0 - rank,
            rank=rank,
            breakdown=BREAKDOWN,
            scored_at=run.finished_at,
        )
        Quote.objects.create(
            candidate=team[name.lower()],
            price=Decimal("1250000.00") + rank,
            currency="EUR",
            batches=3,
            lead_time_weeks=20 + rank,
            valid_until=timezone.localdate() + datetime.timedelta(days=60),
            assumptions="Three PPQ batches",
        )
        pipeline.add_note(team[name.lower()], helen, f"Call {name} back")
    pipeline.move(team["basel"], Stage.DECLINED, helen, ExitReason.NO_CAPACITY)
    CertificationFactory(site=team["lyon"].site, kind="eu-gmp")
    criterion = Criterion.objects.create(shortlist=helix_list, name="Quote", weight=3)
    scoring.score(team["lyon"], helen, {criterion.pk: 4})
    scoring.score(team["cork"], helen, {criterion.pk: 2})
    return {**team, "shortlist": helix_list, "run": run, "criterion": criterion}


def _refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


# Deciding


def test_one_candidate_is_chosen_with_a_rationale_and_selected(helen, race):
    lyon = race["lyon"]

    decision = decisions.decide(race["shortlist"], helen, [lyon.pk], "Best audit, fair price.")

    lyon.refresh_from_db()
    assert (decision.number, decision.rationale, decision.decided_by_name) == (
        1,
        "Best audit, fair price.",
        "helen",
    )
    assert list(decision.chosen.all()) == [lyon]
    assert lyon.stage == Stage.SELECTED
    assert decision.standing
    assert decision.snapshot["chosen"] == [
        {
            "candidate_id": lyon.pk,
            "site_name": "Lyon",
            "provider_name": "Lyon Bio",
            "previous_stage": Stage.AUDITED,
            "previous_stage_label": "Audited",
        }
    ]
    entry = Activity.objects.get(verb=Verb.DECIDED)
    assert (entry.candidate, entry.actor) == (lyon, helen)
    assert entry.summary == "to select Lyon (Lyon Bio) — decision 1"


def test_two_candidates_are_chosen_for_dual_sourcing(helen, race):
    lyon, cork = race["lyon"], race["cork"]

    decision = decisions.decide(race["shortlist"], helen, [cork.pk, lyon.pk], "Two sites: risk.")

    assert set(decision.chosen.all()) == {lyon, cork}
    assert [entry["site_name"] for entry in decision.snapshot["chosen"]] == ["Cork", "Lyon"]
    assert set(Candidate.objects.filter(stage=Stage.SELECTED)) == {lyon, cork}
    summaries = sorted(Activity.objects.filter(verb=Verb.DECIDED).values_list("summary", flat=True))
    assert summaries == [
        "to select Cork (Cork Bio) — decision 1, with Lyon (Lyon Bio) for dual sourcing",
        "to select Lyon (Lyon Bio) — decision 1, with Cork (Cork Bio) for dual sourcing",
    ]


def test_three_chosen_none_chosen_and_a_stranger_are_refused(helen, race, otto):
    shortlist = race["shortlist"]
    ids = [race["lyon"].pk, race["cork"].pk, CandidateFactory(shortlist=shortlist).pk]
    stranger = CandidateFactory()

    three = _refused(lambda: decisions.decide(shortlist, helen, ids, "All"))
    none = _refused(lambda: decisions.decide(shortlist, helen, [], "None"))
    other = _refused(lambda: decisions.decide(shortlist, helen, [stranger.pk], "Theirs"))

    assert three == {"chosen": ["Choose one candidate, or two for dual sourcing, not 3."]}
    assert none == {"chosen": ["Choose the candidate selected, or two for dual sourcing."]}
    assert other == {"chosen": [f"No candidate of this shortlist has the id {stranger.pk}."]}
    assert not Decision.objects.exists()
    assert not Candidate.objects.filter(stage=Stage.SELECTED).exists()


def test_the_rationale_is_required(helen, race):
    errors = _refused(lambda: decisions.decide(race["shortlist"], helen, [race["lyon"].pk], "  "))

    assert errors == {
        "rationale": ["Say why these were chosen: the rationale is kept with the record."]
    }
    assert not Decision.objects.exists()


def test_a_candidate_out_of_the_race_cannot_be_chosen(helen, race):
    basel = race["basel"]

    errors = _refused(lambda: decisions.decide(race["shortlist"], helen, [basel.pk], "Cheap"))

    assert errors == {
        "chosen": [
            "Basel (Basel Bio) is out of the race (declined by the provider): move it back "
            "into the race before choosing it."
        ]
    }
    basel.refresh_from_db()
    assert basel.stage == Stage.DECLINED


def test_a_standing_decision_refuses_another(helen, race):
    shortlist = race["shortlist"]
    decisions.decide(shortlist, helen, [race["lyon"].pk], "Best audit")

    errors = _refused(lambda: decisions.decide(shortlist, helen, [race["cork"].pk], "Changed"))

    assert errors["non_field_errors"][0].startswith("Reopen the current decision first")
    assert Decision.objects.count() == 1


def test_the_database_keeps_one_standing_decision_per_shortlist(helen, race):
    decisions.decide(race["shortlist"], helen, [race["lyon"].pk], "Best audit")

    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            shortlist=race["shortlist"], number=2, rationale="Twice", decided_by_name="helen"
        )


def test_the_record_keeps_the_brief_run_candidates_quotes_team_scores_and_notes(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]

    snapshot = decisions.decide(shortlist, helen, [lyon.pk], "Best audit").snapshot

    brief = shortlist.brief
    fields = {field["name"]: field for field in snapshot["brief"]["fields"]}
    assert snapshot["brief"]["title"] == brief.title
    assert fields["modality"]["text"] == str(brief.modality)
    assert fields["weights"]["value"] == brief.weights
    assert [c["name"] for c in snapshot["brief"]["criteria"]] == list(CRITERIA)
    assert snapshot["run"]["id"] == race["run"].pk
    # The comparison: the chosen first, then the others still in the race (Basel declined).
    assert [c["site_name"] for c in snapshot["candidates"]] == ["Lyon", "Cork"]
    assert [c["site_name"] for c in snapshot["comparison"]["candidates"]] == ["Lyon", "Cork"]
    assert snapshot["candidates"][1]["stage"] == Stage.PROPOSAL_RECEIVED
    assert (snapshot["candidates"][0]["score"], snapshot["candidates"][0]["rank"]) == (89.0, 1)
    assert snapshot["quotes"][0]["quote"]["price"] == "1250001.00"
    assert (
        snapshot["quotes"][0]["quote"]["valid_until"]
        == (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    )
    team = snapshot["team_scores"]
    assert team["criteria"][0]["name"] == "Quote"
    criterion = str(race["criterion"].pk)
    assert team["candidates"][str(cork.pk)]["members"][0]["values"] == {criterion: 2}
    assert [(note["site_name"], note["text"]) for note in snapshot["notes"]] == [
        ("Lyon", "Call Lyon back"),
        ("Cork", "Call Cork back"),
    ]


def test_the_record_keeps_the_comparison_of_the_candidates_named(helen, race):
    shortlist, lyon, basel = race["shortlist"], race["lyon"], race["basel"]

    snapshot = decisions.decide(
        shortlist, helen, [lyon.pk], "Best audit", compared_ids=[basel.pk, lyon.pk]
    ).snapshot

    assert [c["site_name"] for c in snapshot["comparison"]["candidates"]] == ["Lyon", "Basel"]


def test_a_candidate_alone_in_the_race_is_chosen_without_a_comparison(helen, helix_list):
    alone = CandidateFactory(shortlist=helix_list, site__name="Ghent")

    snapshot = decisions.decide(helix_list, helen, [alone.pk], "The only one").snapshot

    assert snapshot["comparison"] is None
    assert [c["site_name"] for c in snapshot["candidates"]] == ["Ghent"]


def test_the_comparison_kept_is_of_at_most_six(helen, helix_list):
    candidates = [CandidateFactory(shortlist=helix_list) for _ in range(8)]
    ids = [candidate.pk for candidate in candidates]

    errors = _refused(lambda: decisions.decide(helix_list, helen, ids[:1], "Why", ids))
    snapshot = decisions.decide(helix_list, helen, [ids[7]], "Why").snapshot

    assert "at most 6" in errors["compared"][0]
    assert [c["id"] for c in snapshot["candidates"]] == [ids[7], *ids[:5]]


# Frozen


def _record(client, decision) -> str:
    """The record's page, without what is not the record (the reopening form and its token)."""
    page = BeautifulSoup(client.get(decision.get_absolute_url()).content, "html.parser")
    record = page.select_one(".decision-record")
    for form in record.select(".decision-reopen"):
        form.decompose()
    return str(record)


def test_the_record_reads_the_same_whatever_changes_later(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]
    decision = decisions.decide(shortlist, helen, [lyon.pk], "Best audit, fair price.")
    client = client_of(helen)
    before = _record(client, decision)
    assert "Lyon Bio" in before
    assert "EUR 1,250,001.00" in before
    assert "Call Cork back" in before

    brief = shortlist.brief
    brief.title = "Phase 3 mAb"
    brief.weights = {**brief.weights, "phase": 5}
    brief.must_haves = ["phase"]
    brief.save()
    lyon.site.name = "Lyon-Gerland"
    lyon.site.save()
    lyon.site.certifications.update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    Quote.objects.filter(candidate=cork).update(price=Decimal("1.00"), currency="USD")
    Note.objects.filter(candidate=cork).update(text="Rewritten")
    pipeline.add_note(cork, helen, "A later note")
    scoring.score(cork, helen, {race["criterion"].pk: 5})
    Criterion.objects.filter(pk=race["criterion"].pk).update(name="Price", weight=9)
    pipeline.move(cork, Stage.AUDITED, helen)

    after = _record(client, decision)

    assert after == before


def test_the_list_and_record_pages_name_what_was_chosen(helen, race):
    decision = decisions.decide(race["shortlist"], helen, [race["lyon"].pk], "Best audit")
    client = client_of(helen)

    listed = client.get(f"/shortlists/{race['shortlist'].pk}/decisions/").content.decode()
    board = client.get(race["shortlist"].get_absolute_url()).content.decode()

    assert "Decision 1" in listed
    assert "Lyon" in listed
    assert "Standing" in listed
    assert "Selected: <strong>Lyon</strong>" in board
    assert decision.get_absolute_url() in board


# Reopening


def test_reopening_keeps_the_record_restores_the_stage_and_the_next_is_number_2(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]
    first = decisions.decide(shortlist, helen, [lyon.pk, cork.pk], "Dual sourcing")
    client = client_of(helen)
    before = _record(client, first)

    decisions.reopen(first, helen, "Lyon lost its EU GMP certificate")
    second = decisions.decide(shortlist, helen, [cork.pk], "Cork alone")

    first.refresh_from_db()
    lyon.refresh_from_db()
    cork.refresh_from_db()
    assert (first.standing, first.reopened_by, first.reopen_reason) == (
        False,
        helen,
        "Lyon lost its EU GMP certificate",
    )
    assert second.number == 2
    assert second.standing
    assert lyon.stage == Stage.AUDITED  # where it was before the first decision
    assert cork.stage == Stage.SELECTED
    assert second.snapshot["chosen"][0]["previous_stage"] == Stage.PROPOSAL_RECEIVED
    page = BeautifulSoup(client.get(first.get_absolute_url()).content, "html.parser")
    banner = " ".join(page.select_one(".decision-reopened").get_text().split())
    assert banner.startswith("Reopened on ")
    assert "by helen — Lyon lost its EU GMP certificate" in banner
    # The record itself reads as it did; only the banner and the status are new.
    record = page.select_one(".decision-record")
    assert record.select_one("#chosen-heading").find_parent("section") is not None
    assert str(record.select_one(".decision-comparison")) in before
    entry = Activity.objects.get(verb=Verb.REOPENED)
    assert entry.summary == (
        "no. 1, which selected Lyon (Lyon Bio) and Cork (Cork Bio) — "
        "Lyon lost its EU GMP certificate"
    )


def test_reopening_needs_a_reason_and_a_standing_decision(helen, race):
    decision = decisions.decide(race["shortlist"], helen, [race["lyon"].pk], "Best audit")

    blank = _refused(lambda: decisions.reopen(decision, helen, " "))
    decisions.reopen(decision, helen, "Capacity gone")
    again = _refused(lambda: decisions.reopen(decision, helen, "Again"))

    assert blank == {
        "reason": ["Say why the decision is reopened: the reason is kept with the record."]
    }
    assert again["non_field_errors"][0].startswith("Decision 1 was already reopened on ")


def _focused(response) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [element.get("id", "") for element in page.select("[autofocus]")]


def test_a_refused_decision_or_reopening_puts_the_focus_on_what_to_correct(helen, race):
    shortlist, lyon = race["shortlist"], race["lyon"]
    client = client_of(helen)
    decide_url = f"/shortlists/{shortlist.pk}/decide/"

    nothing = client.post(decide_url, {"rationale": ""})
    no_why = client.post(decide_url, {"chosen": [lyon.pk], "rationale": ""})
    decision = decisions.decide(shortlist, helen, [lyon.pk], "Best audit")
    no_reason = client.post(f"{decision.get_absolute_url()}reopen/", {"reason": ""})

    assert (nothing.status_code, no_why.status_code, no_reason.status_code) == (400, 400, 400)
    first = BeautifulSoup(nothing.content, "html.parser").select_one("input[name=chosen]")
    assert _focused(nothing) == [first["id"]]
    assert _focused(no_why) == ["decide-rationale"]
    assert _focused(no_reason) == ["reopen-reason"]


# Selected only through a decision


def test_moving_to_selected_is_refused_outside_a_decision(helen, race):
    lyon = race["lyon"]

    errors = _refused(lambda: pipeline.move(lyon, Stage.SELECTED, helen))

    assert errors == {"stage": [pipeline.SELECT_BY_DECISION]}
    assert "Record a decision" in pipeline.SELECT_BY_DECISION
    lyon.refresh_from_db()
    assert lyon.stage == Stage.AUDITED


def test_a_chosen_candidate_moves_only_once_its_decision_is_reopened(helen, race):
    lyon = race["lyon"]
    decision = decisions.decide(race["shortlist"], helen, [lyon.pk], "Best audit")
    lyon.refresh_from_db()

    errors = _refused(lambda: pipeline.move(lyon, Stage.ON_HOLD, helen, ExitReason.TIMELINE))
    decisions.reopen(decision, helen, "Timeline slipped")
    lyon.refresh_from_db()
    pipeline.move(lyon, Stage.ON_HOLD, helen, ExitReason.TIMELINE)

    assert errors == {
        "stage": [
            "Lyon (Lyon Bio) was chosen by decision 1: reopen that decision, saying why, to "
            "move it."
        ]
    }
    lyon.refresh_from_db()
    assert lyon.stage == Stage.ON_HOLD


# Recording a decision reveals the team's scores


def test_recording_a_decision_reveals_the_team_scores_and_says_so(helen, race):
    """A member who has not scored sees nobody's scores until a decision is recorded; then she
    sees them, as the record does, and the activity says that the decision revealed them."""
    mia = MembershipFactory(user__username="mia", organisation=helen.membership.organisation).user
    shortlist = race["shortlist"]
    before = scoring.team_scores(shortlist, [race["lyon"].pk], mia).by_candidate[race["lyon"].pk]
    assert not before.visible
    assert before.members == []

    decisions.decide(shortlist, mia, [race["lyon"].pk], "Best audit")

    shortlist.refresh_from_db()
    after = scoring.team_scores(shortlist, [race["lyon"].pk], mia).by_candidate[race["lyon"].pk]
    assert after.visible
    assert [(m.member_name, m.values) for m in after.members if m.values] == [
        ("helen", {race["criterion"].pk: 4})
    ]
    assert shortlist.scores_revealed_by == mia
    entry = Activity.objects.get(verb=Verb.REVEALED)
    assert entry.actor == mia
    assert entry.summary == "of “EU fill”: recording decision 1 shows them to everyone"


def test_a_decision_on_revealed_scores_reveals_nothing_more(helen, race):
    shortlist = race["shortlist"]
    revealed_at = timezone.now() - datetime.timedelta(days=1)
    type(shortlist).objects.filter(pk=shortlist.pk).update(scores_revealed_at=revealed_at)

    decisions.decide(shortlist, helen, [race["lyon"].pk], "Best audit")

    shortlist.refresh_from_db()
    assert shortlist.scores_revealed_at == revealed_at
    assert not Activity.objects.filter(verb=Verb.REVEALED).exists()


def test_a_refused_decision_reveals_nothing(helen, race):
    _refused(lambda: decisions.decide(race["shortlist"], helen, [race["lyon"].pk], " "))

    race["shortlist"].refresh_from_db()
    assert not race["shortlist"].scores_revealed
    assert not Activity.objects.filter(verb=Verb.REVEALED).exists()


def test_the_decide_page_says_up_front_that_it_reveals_the_scores(helen, race):
    page = client_of(helen).get(f"/shortlists/{race['shortlist'].pk}/decide/")

    notice = BeautifulSoup(page.content, "html.parser").select_one(".decide-form .decide-reveals")
    assert "Recording the decision shows the team's scores to everyone in the organisation" in (
        notice.get_text(" ", strip=True)
    )


# Every candidate on the shortlist


def test_the_record_lists_every_candidate_on_the_shortlist(helen, helix_list):
    """Eight in the race and one declined: the comparison keeps six, the record names all
    nine, with their stage and why one left the race."""
    candidates = [
        CandidateFactory(shortlist=helix_list, site__name=f"Site {n}", site__provider__name="P")
        for n in range(9)
    ]
    pipeline.move(candidates[8], Stage.DECLINED, helen, ExitReason.NO_CAPACITY)

    decision = decisions.decide(helix_list, helen, [candidates[7].pk], "Why")

    listed = decision.snapshot["shortlist"]
    assert [entry["candidate_id"] for entry in listed] == [c.pk for c in candidates]
    assert len(decision.snapshot["candidates"]) == decisions.MAX_COMPARED
    declined = listed[8]
    assert (declined["site_name"], declined["provider_name"], declined["stage"]) == (
        "Site 8",
        "P",
        Stage.DECLINED,
    )
    assert declined["exit_reason"] == ExitReason.NO_CAPACITY
    assert declined["exit_reason_label"] == str(ExitReason.NO_CAPACITY.label)
    assert [entry["chosen"] for entry in listed] == [False] * 7 + [True, False]
    assert [entry["compared"] for entry in listed].count(True) == decisions.MAX_COMPARED
    page = BeautifulSoup(client_of(helen).get(decision.get_absolute_url()).content, "html.parser")
    rows = page.select(".decision-shortlist tbody tr")
    assert [row.th.get_text(" ", strip=True) for row in rows][6:9] == [
        "Site 6",
        "Site 7 chosen",
        "Site 8",
    ]
    assert str(ExitReason.NO_CAPACITY.label) in rows[8].get_text(" ", strip=True)
