"""sourcing/pipeline.py: what a team does to a shortlist, and the log it leaves."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.choices import JobStatus
from matching.models import Result
from sourcing import pipeline
from sourcing.choices import ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    MembershipFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(user__username="bea")


@pytest.fixture
def shortlist(member):
    return ShortlistFactory(brief=BriefFactory(organisation=member.organisation))


def _log(shortlist) -> list[tuple[str, str]]:
    return list(shortlist.activity.order_by("id").values_list("verb", "summary"))


def test_creating_a_shortlist_needs_a_title_and_a_brief_of_the_same_organisation(member):
    with pytest.raises(ValidationError) as error:
        pipeline.create_shortlist(member.organisation, member.user, "  ")
    assert error.value.message_dict == {"title": ["Give the shortlist a title."]}

    other_brief = BriefFactory()
    with pytest.raises(ValidationError) as error:
        pipeline.create_shortlist(member.organisation, member.user, "EU fill", other_brief)
    assert error.value.message_dict == {"brief": ["The brief belongs to another organisation."]}

    shortlist = pipeline.create_shortlist(member.organisation, member.user, " EU fill ")
    assert (shortlist.title, shortlist.brief, shortlist.created_by) == (
        "EU fill",
        None,
        member.user,
    )
    assert _log(shortlist) == [(Verb.CREATED, "“EU fill”")]


def test_sites_added_from_a_run_keep_their_score_rank_and_breakdown(member, shortlist):
    ranked, excluded = SiteFactory(name="Milan"), SiteFactory(name="Basel")
    finished = timezone.now() - datetime.timedelta(days=3)
    run = RunFactory(brief=shortlist.brief, status=JobStatus.DONE, finished_at=finished)
    breakdown = [{"criterion": "phase", "sub_score": 1.0, "weight": 3, "must_have": True}]
    Result.objects.create(
        run=run, site=ranked, eligible=True, rank=2, score=91.5, breakdown=breakdown
    )
    Result.objects.create(run=run, site=excluded, eligible=False, reason="no EU GMP")

    added = pipeline.add_sites(shortlist, [ranked.pk, excluded.pk], member.user, run=run)

    milan, basel = sorted(added.candidates, key=lambda candidate: candidate.site_name != "Milan")
    assert (milan.score, milan.rank, milan.breakdown, milan.run, milan.scored_at) == (
        91.5,
        2,
        breakdown,
        run,
        finished,
    )
    assert milan.stage == Stage.LONGLISTED
    assert (basel.scored, basel.run) == (False, None)  # excluded in that run: not scored
    assert f"{milan.site_name} ({milan.provider_name}) from run {run.pk}, rank 2, score 91.5" in [
        summary for _, summary in _log(shortlist)
    ]


def test_a_site_added_twice_stays_once_and_is_reported_as_already_listed(member, shortlist):
    site = SiteFactory()
    pipeline.add_sites(shortlist, [site.pk], member.user)

    again = pipeline.add_sites(shortlist, [site.pk, site.pk], member.user)

    assert (again.candidates, again.already_listed) == ([], [site.pk])
    assert shortlist.candidates.count() == 1
    with pytest.raises(IntegrityError):
        Candidate.objects.create(shortlist=shortlist, site=site, site_name="x", provider_name="y")


def test_adding_refuses_no_sites_unknown_sites_and_another_organisations_run(member, shortlist):
    with pytest.raises(ValidationError) as error:
        pipeline.add_sites(shortlist, [], member.user)
    assert error.value.message_dict == {"sites": ["Choose at least one site to add."]}

    with pytest.raises(ValidationError) as error:
        pipeline.add_sites(shortlist, [987654], member.user)
    assert error.value.message_dict == {"sites": ["No site has the id 987654."]}

    with pytest.raises(ValidationError) as error:
        pipeline.add_sites(shortlist, [SiteFactory().pk], member.user, run=RunFactory())
    assert error.value.message_dict == {"run": ["The run belongs to another organisation."]}
    assert not shortlist.candidates.exists()


def test_a_move_is_logged_with_who_from_and_to(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist, site_name="Milan", provider_name="Brianza")

    pipeline.move(candidate, Stage.RFI_SENT, member.user)

    candidate.refresh_from_db()
    assert candidate.stage == Stage.RFI_SENT
    entry = shortlist.activity.get()
    assert (entry.actor, entry.verb, entry.candidate) == (member.user, Verb.MOVED, candidate)
    assert entry.summary == "Milan (Brianza) from Longlisted to RFI sent"


def test_leaving_the_race_needs_a_known_reason_and_keeps_the_note(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist, site_name="Milan", provider_name="Brianza")

    with pytest.raises(ValidationError) as error:
        pipeline.move(candidate, Stage.DECLINED, member.user)
    assert list(error.value.message_dict) == ["exit_reason"]
    assert "declined by the provider" in error.value.message_dict["exit_reason"][0]
    with pytest.raises(ValidationError) as error:
        pipeline.move(candidate, Stage.REJECTED, member.user, exit_reason="too-far")
    assert error.value.message_dict["exit_reason"][0].startswith("Unknown reason “too-far”")
    candidate.refresh_from_db()
    assert (candidate.stage, shortlist.activity.count()) == (Stage.LONGLISTED, 0)

    pipeline.move(
        candidate, Stage.DECLINED, member.user, ExitReason.NO_CAPACITY, " Booked until 2028 "
    )

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.exit_reason, candidate.exit_note) == (
        Stage.DECLINED,
        ExitReason.NO_CAPACITY,
        "Booked until 2028",
    )
    assert candidate.out_of_the_race
    assert shortlist.activity.get().summary == (
        "Milan (Brianza) from Longlisted to Declined by the provider "
        "(no capacity: Booked until 2028)"
    )


def test_coming_back_into_the_race_clears_the_reason(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist)
    pipeline.move(candidate, Stage.ON_HOLD, member.user, ExitReason.TIMELINE, "Q3")

    pipeline.move(candidate, Stage.CONTACTED, member.user, ExitReason.TIMELINE, "Q3")

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.exit_reason, candidate.exit_note) == (
        Stage.CONTACTED,
        "",
        "",
    )


def test_an_unknown_stage_is_refused_and_a_move_to_the_same_stage_logs_nothing(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist)

    with pytest.raises(ValidationError) as error:
        pipeline.move(candidate, "signed", member.user)
    assert error.value.message_dict["stage"][0].startswith("Unknown stage “signed”: use one of")

    pipeline.move(candidate, Stage.LONGLISTED, member.user)
    assert not shortlist.activity.exists()


def test_assigning_refuses_a_past_due_date_and_an_owner_from_elsewhere(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        pipeline.assign(candidate, member.user, due_on=yesterday)
    assert list(error.value.message_dict) == ["due_on"]
    assert "cannot be due in the past" in error.value.message_dict["due_on"][0]
    with pytest.raises(ValidationError) as error:
        pipeline.assign(candidate, member.user, owner=MembershipFactory().user)
    assert error.value.message_dict == {
        "owner": ["The owner must be a member of the organisation."]
    }
    candidate.refresh_from_db()
    assert (candidate.owner, candidate.due_on) == (None, None)

    next_week = timezone.localdate() + datetime.timedelta(days=7)
    pipeline.assign(candidate, member.user, owner=member.user, due_on=next_week)

    candidate.refresh_from_db()
    assert (candidate.owner, candidate.due_on, candidate.overdue) == (member.user, next_week, False)
    assert shortlist.activity.get().verb == Verb.ASSIGNED


def test_a_due_date_that_has_passed_stays_and_marks_the_candidate_overdue(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist)
    candidate.due_on = timezone.localdate() - datetime.timedelta(days=2)  # set a week ago
    candidate.save()

    pipeline.assign(candidate, member.user, owner=member.user)  # the date is not changed

    candidate.refresh_from_db()
    assert candidate.overdue
    pipeline.move(candidate, Stage.REJECTED, member.user, ExitReason.COMMERCIAL)
    assert not Candidate.objects.get(pk=candidate.pk).overdue  # out of the race: no next step


def test_notes_need_text_and_removal_is_logged(member, shortlist):
    candidate = CandidateFactory(shortlist=shortlist, site_name="Milan", provider_name="Brianza")

    with pytest.raises(ValidationError) as error:
        pipeline.add_note(candidate, member.user, "  ")
    assert error.value.message_dict == {"text": ["Write the note before saving it."]}

    note = pipeline.add_note(candidate, member.user, "Audit slot in March.")
    pipeline.remove(candidate, member.user)

    assert (note.author, note.text) == (member.user, "Audit slot in March.")
    assert not Candidate.objects.filter(pk=candidate.pk).exists()
    assert _log(shortlist) == [
        (Verb.NOTED, "on Milan (Brianza)"),
        (Verb.REMOVED, "Milan (Brianza)"),
    ]
    assert Activity.objects.filter(shortlist=shortlist, candidate__isnull=True).count() == 2


# --- Candidates "not scored" are scored by the next run of their brief ---------------------------


def test_a_done_run_of_the_brief_scores_the_candidates_added_unscored(helix_list, helen):
    milan = SiteFactory(name="Milan")
    kept = CandidateFactory(shortlist=helix_list, site__name="Basel", score=70.0, rank=9)
    added = pipeline.add_sites(helix_list, [milan.pk], helen).candidates[0]
    assert not added.scored
    run = RunFactory(brief=helix_list.brief, status=JobStatus.DONE, finished_at=timezone.now())
    Result.objects.create(run=run, site=milan, eligible=True, rank=4, score=88.5, breakdown=[])
    Result.objects.create(run=run, site=kept.site, eligible=True, rank=1, score=99.0, breakdown=[])

    assert pipeline.score_from_run(run.pk) == 1

    added.refresh_from_db()
    kept.refresh_from_db()
    assert (added.run_id, added.rank, added.score, added.scored_at) == (
        run.pk,
        4,
        88.5,
        run.finished_at,
    )
    # A candidate added with its score keeps the one it came with.
    assert (kept.rank, kept.score) == (9, 70.0)
    logged = Activity.objects.get(candidate=added, verb=Verb.SCORED)
    assert f"in run {run.pk} of the brief: rank 4, score 88.5" in logged.summary


def test_finishing_a_run_scores_them_through_the_signal(helix_list, helen, monkeypatch):
    from matching import runs
    from matching.signals import run_done

    calls = []
    monkeypatch.setattr(pipeline, "score_from_run", lambda run_id: calls.append(run_id) or 0)
    run = RunFactory(brief=helix_list.brief, status=JobStatus.DONE, finished_at=timezone.now())

    run_done.send(sender=runs.Run, run_id=run.pk)

    assert calls == [run.pk]


def test_an_excluded_site_or_a_run_not_done_scores_nothing(helix_list, helen):
    milan = SiteFactory(name="Milan")
    added = pipeline.add_sites(helix_list, [milan.pk], helen).candidates[0]
    failed = RunFactory(brief=helix_list.brief, status=JobStatus.FAILED)
    Result.objects.create(run=failed, site=milan, eligible=True, rank=1, score=90, breakdown=[])
    done = RunFactory(brief=helix_list.brief, status=JobStatus.DONE, finished_at=timezone.now())
    Result.objects.create(run=done, site=milan, eligible=False, breakdown=[])

    assert pipeline.score_from_run(failed.pk) == 0
    assert pipeline.score_from_run(done.pk) == 0
    added.refresh_from_db()
    assert not added.scored
