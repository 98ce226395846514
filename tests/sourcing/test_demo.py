"""`make demo`'s procurement data: `demo_accounts` adds Helix's buyer and viewer, and
`demo_shortlist` a shortlist built from a run of Helix's example brief, worked through several
stages; running both again adds nothing."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.choices import JobStatus
from matching.choices import Role
from matching.index import clear_catalogue_index
from matching.models import Membership, Result, Run
from partners.demo.seeding import seed_catalogue
from partners.models import RegulatoryAction
from sourcing.choices import AlertKind, EmailChoice, ExitReason, Stage
from sourcing.management.commands.demo_shortlist import REAL_ESTABLISHMENT_FEI, TITLE
from sourcing.models import (
    Activity,
    Attachment,
    Candidate,
    Note,
    Notification,
    NotificationSettings,
    Quote,
    Score,
    Shortlist,
)
from sourcing.scoring import team_scores
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

# A small demo catalogue (tests/partners/test_seed_demo.py seeds the same way), dated today so
# that its certificates are valid: Helix's example brief finds eight eligible sites or more.
PROVIDERS = 40
SEED = 2


@pytest.fixture(autouse=True)
def demo(settings):
    settings.DEBUG = True
    clear_catalogue_index()
    seed_catalogue(PROVIDERS, SEED, timezone.localdate())
    yield
    clear_catalogue_index()


def _make_demo() -> str:
    """The demo's own commands, as `make demo` runs them after seeding."""
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    call_command("demo_shortlist", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = (get_user_model(), Membership, Run, Result, Shortlist, Candidate, Note, Activity)
    return {model.__name__: model.objects.count() for model in models}


def test_the_accounts_include_helixs_buyer_and_viewer_and_the_sponsor_is_its_admin():
    out = _make_demo()

    assert "buyer    / buyer-demo-2026" in out
    assert "viewer   / viewer-demo-2026" in out
    roles = dict(
        Membership.objects.filter(organisation__slug="helix-therapeutics").values_list(
            "user__username", "role"
        )
    )
    assert roles == {"sponsor": Role.ADMIN, "buyer": Role.MEMBER, "viewer": Role.VIEWER}
    assert get_user_model().objects.get(username="buyer").check_password("buyer-demo-2026")


def test_the_shortlist_is_built_from_a_run_of_the_example_brief():
    out = _make_demo()

    shortlist = Shortlist.objects.get(title=TITLE)
    run = Run.objects.get()
    assert run.status == JobStatus.DONE
    assert run.brief == shortlist.brief
    assert shortlist.organisation.slug == "helix-therapeutics"
    assert shortlist.brief.title == "Phase 2 mAb, EU and US supply"
    assert shortlist.created_by.username == "buyer"
    # The run's eight best sites, each with its score and rank there.
    top = Result.objects.filter(run=run, eligible=True).order_by("rank")[:8]
    candidates = shortlist.candidates.order_by("rank")
    assert [c.site_id for c in candidates] == [r.site_id for r in top]
    assert all(c.run_id == run.pk and c.scored for c in candidates)
    assert f"Demo shortlist “{TITLE}”: the top 8 sites of run {run.pk}" in out


def test_the_candidates_are_at_several_stages_with_owners_and_due_dates():
    _make_demo()

    candidates = list(Shortlist.objects.get(title=TITLE).candidates.order_by("rank"))
    stages = {candidate.stage for candidate in candidates}
    assert {
        Stage.CONTACTED,
        Stage.CDA_SIGNED,
        Stage.RFI_SENT,
        Stage.RFI_RECEIVED,
        Stage.PROPOSAL_RECEIVED,
        Stage.REJECTED,
        Stage.DECLINED,
    } <= stages
    assert candidates[0].stage == Stage.PROPOSAL_RECEIVED
    owners = {candidate.owner.username for candidate in candidates if candidate.owner}
    assert owners == {"buyer", "sponsor"}
    today = timezone.localdate()
    assert [c for c in candidates if c.due_on == today + datetime.timedelta(days=7)]
    overdue = [candidate for candidate in candidates if candidate.overdue]
    assert len(overdue) == 1
    assert overdue[0].stage == Stage.RFI_SENT


def test_one_is_rejected_for_its_quality_record_and_one_declined_for_capacity():
    _make_demo()

    shortlist = Shortlist.objects.get(title=TITLE)
    rejected = shortlist.candidates.get(stage=Stage.REJECTED)
    declined = shortlist.candidates.get(stage=Stage.DECLINED)
    assert rejected.exit_reason == ExitReason.QUALITY_RECORD
    assert rejected.exit_note.startswith("Its regulator record is below our bar")
    assert rejected.notes.exists()
    # The weakest scored record among those below the two best.
    others = shortlist.candidates.exclude(rank__in=[1, 2]).select_related("site")
    scores = [c.site.compliance_score for c in others if c.site.compliance_score is not None]
    assert rejected.site.compliance_score == min(scores)
    assert declined.exit_reason == ExitReason.NO_CAPACITY
    assert declined.exit_note


def test_notes_and_the_activity_log_tell_the_story():
    _make_demo()

    shortlist = Shortlist.objects.get(title=TITLE)
    notes = Note.objects.filter(candidate__shortlist=shortlist)
    assert notes.count() >= 3
    assert {note.author.username for note in notes} == {"buyer", "sponsor"}
    verbs = set(shortlist.activity.values_list("verb", flat=True))
    assert verbs == {
        "created",
        "added",
        "moved",
        "assigned",
        "noted",
        "quoted",
        "attached",
        "criteria",
        "scored",
    }
    # The proposal went through every step before it, one move each.
    best = shortlist.candidates.get(rank=1)
    assert best.activity.filter(verb="moved").count() == 5


def test_three_quotes_one_expired_and_the_proposal_attached():
    _make_demo()

    shortlist = Shortlist.objects.get(title=TITLE)
    quotes = {q.candidate.stage: q for q in Quote.objects.filter(candidate__shortlist=shortlist)}
    assert set(quotes) == {Stage.PROPOSAL_RECEIVED, Stage.RFI_RECEIVED, Stage.RFI_SENT}
    assert [stage for stage, quote in quotes.items() if quote.expired] == [Stage.RFI_SENT]
    assert {quote.currency for quote in quotes.values()} == {"EUR"}
    attachment = Attachment.objects.get(candidate__shortlist=shortlist)
    assert attachment.candidate.stage == Stage.PROPOSAL_RECEIVED
    assert attachment.file.read().startswith(b"%PDF")


def test_buyer_and_sponsor_score_the_two_best_and_see_each_others_scores():
    _make_demo()

    shortlist = Shortlist.objects.get(title=TITLE)
    assert [c.name for c in shortlist.criteria.all()] == [
        "Quote",
        "Responsiveness",
        "Technical answer",
        "Audit outcome",
    ]
    scored = set(
        Score.objects.filter(candidate__shortlist=shortlist).values_list(
            "candidate__rank", "member__username"
        )
    )
    assert scored == {(1, "buyer"), (1, "sponsor"), (2, "buyer"), (2, "sponsor")}
    buyer = get_user_model().objects.get(username="buyer")
    second = shortlist.candidates.get(rank=2)
    team = team_scores(shortlist, [second.pk], buyer).by_candidate[second.pk]
    assert team.visible
    assert [member.member_name for member in team.members] == ["buyer", "sponsor"]
    assert any(team.disagreement.values())  # technical answer: 2 against 4


def test_running_the_demo_again_adds_nothing():
    _make_demo()
    counts = _counts()

    seed_catalogue(PROVIDERS, SEED, timezone.localdate())
    out = _make_demo()

    assert _counts() == counts
    assert f"Demo shortlist “{TITLE}”: already there, left as it is." in out


def test_a_done_run_of_the_brief_is_used_rather_than_a_new_one():
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    call_command("demo_shortlist", stdout=out)
    run = Run.objects.get()
    Shortlist.objects.all().delete()

    call_command("demo_shortlist", stdout=out)

    assert list(Run.objects.all()) == [run]
    assert Shortlist.objects.get(title=TITLE).candidates.filter(run=run).count() == 8


def test_it_asks_for_the_demo_accounts_first():
    with pytest.raises(CommandError, match=r"run `manage\.py demo_accounts` first"):
        call_command("demo_shortlist")


def test_it_is_refused_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only created with DEBUG on"):
        call_command("demo_shortlist")


def test_the_real_establishment_is_shortlisted_and_hears_of_the_letter_after_the_cut_off(
    django_capture_on_commit_callbacks,
):
    letters = str(
        Path(__file__).resolve().parents[2] / "partners/demo/fda/warning_letters_2025.csv"
    )
    site = SiteFactory(
        name="Zhejiang Huahai Pharmaceutical Co., Ltd.", fei_number=REAL_ESTABLISHMENT_FEI
    )
    out = StringIO()
    call_command("import_fda", "--until", "2025-05-31", letters, stdout=out)
    assert "Left out as dated after 2025-05-31: " in out.getvalue()
    assert not RegulatoryAction.objects.filter(site=site).exists()

    made = _make_demo()

    candidate = Candidate.objects.get(shortlist__title=TITLE, site=site)
    assert candidate.score is None  # added from the directory, not from a run
    assert "Shortlisted the real establishment Zhejiang Huahai" in made
    buyer = get_user_model().objects.get(username="buyer")
    assert NotificationSettings.objects.get(user=buyer).email == EmailChoice.AT_ONCE

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_fda", letters, stdout=StringIO())

    (notification,) = Notification.objects.filter(recipient=buyer).select_related("alert")
    letter = RegulatoryAction.objects.get(site=site, case_id="707145")
    assert notification.alert.kind == AlertKind.WARNING_LETTER
    assert notification.alert.url == f"{site.provider.get_absolute_url()}#action-{letter.pk}"
    assert "707145 dated 2025-06-06" in notification.alert.items[0]["text"]
    # The buyer chose an e-mail at once: it went when the sweep wrote the notification.
    (sent,) = [message for message in mail.outbox if buyer.email in message.to]
    assert sent.subject == f"Warning letter: {site.provider.name} — {site.name}"
