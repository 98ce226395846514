"""`manage.py demo_shortlist`: a shortlist being worked, for the demo's procurement user.

Helix Therapeutics' example brief is matched (unless a run of it is already done), and its eight
best sites go on the shortlist "Phase 2 mAb — CMO selection", where the team has moved them
through the pipeline: contacted, CDA signed, RFI sent and received, a proposal in; one rejected
for its quality record, one declined by the provider for want of capacity; owners, due dates (one
overdue) and notes. The three furthest along have quotes (one of them expired), the proposal an
attached PDF; the team's four evaluation criteria are scored by buyer and sponsor on the two
best, who disagree on one. A real establishment from FDA's registrations, added from the
directory, is on it too: Zhejiang Huahai Pharmaceutical, which FDA sent a warning letter after
the demo's cut-off date (the Makefile imports FDA's actions up to it), so that importing the
full letters file tells the team (the buyer by e-mail at once, on the console). Everything but
the overdue date goes through the domain modules
(sourcing/pipeline.py, documents.py, scoring.py), so the activity log tells the same story.

Run after `demo_accounts` (with DEBUG on, like it). A second run finds the shortlist and adds
nothing.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.choices import JobStatus
from matching import runs
from matching.management.commands.demo_accounts import DEMO_BRIEFS
from matching.models import Brief, Organisation, Result, Run
from partners.models import Site
from sourcing import documents, pipeline, scoring
from sourcing.choices import PIPELINE, AttachmentKind, EmailChoice, ExitReason, Stage
from sourcing.models import Candidate, NotificationSettings, Shortlist

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ORGANISATION = "helix-therapeutics"
TITLE = "Phase 2 mAb — CMO selection"
SITES = 8
TEAM = ("buyer", "sponsor")

# Where the team has got with each candidate still in the race, best ranked first (the one
# rejected for its quality record is taken out beforehand): its stage, who owns its next step (a
# demo username, or nobody) and in how many days that is due (negative: overdue).
PLAN: list[tuple[Stage, str | None, int | None]] = [
    (Stage.PROPOSAL_RECEIVED, "buyer", 7),
    (Stage.RFI_RECEIVED, "sponsor", 7),
    (Stage.RFI_SENT, "buyer", -3),
    (Stage.DECLINED, None, None),
    (Stage.CDA_SIGNED, "buyer", 14),
    (Stage.CONTACTED, "sponsor", 7),
    (Stage.LONGLISTED, None, None),
]
DECLINED = (ExitReason.NO_CAPACITY, "No 2,000 L slot free before the third quarter of next year.")
NOTES = {
    Stage.PROPOSAL_RECEIVED: (
        "buyer",
        "Proposal in: tech transfer in 16 weeks, first GMP batch the quarter after. Asked for "
        "the batch price broken down and the cancellation terms before we compare.",
    ),
    Stage.RFI_RECEIVED: (
        "sponsor",
        "RFI answers reviewed with CMC: the single-use 2,000 L train fits our process. Open "
        "question: who releases the batches for the EU.",
    ),
}
# The quotes in, by stage: price (EUR), batches, lead time (weeks), minimum order (batches),
# valid for how many days from today (negative: expired), and the assumptions stated.
QUOTES = {
    Stage.PROPOSAL_RECEIVED: (
        Decimal("1840000"),
        3,
        26,
        2,
        60,
        "Three 2,000 L GMP batches after a 16-week tech transfer; resin and single-use "
        "consumables included; release testing by the site, EU QP release extra.",
    ),
    Stage.RFI_RECEIVED: (
        Decimal("1615000"),
        3,
        34,
        3,
        30,
        "Indicative from the RFI: assumes our cell line at 3 g/L and a platform process; "
        "tech transfer priced separately.",
    ),
    Stage.RFI_SENT: (
        Decimal("1390000"),
        3,
        40,
        3,
        -5,
        "Budgetary figure given on the first call, before the CDA; not binding.",
    ),
}
# Buyer's and sponsor's scores of the two best candidates on the default criteria (Quote,
# Responsiveness, Technical answer, Audit outcome); they disagree on the second's technical
# answer.
TEAM_SCORES = {
    Stage.PROPOSAL_RECEIVED: {"buyer": (3, 5, 4, 4), "sponsor": (3, 4, 5, 4)},
    Stage.RFI_RECEIVED: {"buyer": (4, 3, 2, 3), "sponsor": (4, 3, 4, 3)},
}
# A proposal as the provider sent it: a one-page PDF.
PROPOSAL_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R
/Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 70 >> stream
BT /F1 14 Tf 72 760 Td (Proposal: three 2,000 L GMP batches of mAb) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""
# A real establishment (FDA's registrations, partners/demo/fda/drug_establishments.txt) with a
# warning letter dated after the demo's cut-off (DEMO_FDA_CUTOFF in the Makefile): 6 June 2025,
# case 707145.
REAL_ESTABLISHMENT_FEI = "3003999190"
REAL_ESTABLISHMENT_NOTE = (
    "Found in the directory: FDA-registered API manufacturer, a possible second source for the "
    "conjugate's small-molecule payload. Watch its record before we contact them."
)
REJECTED_NOTE = (
    "QA will not audit this site for this programme. Worth another look if its next "
    "inspection comes back clean."
)


class Command(BaseCommand):
    help = (
        "Create the demo's shortlist for Helix Therapeutics' example brief from a match run of "
        "it, with candidates at several stages (DEBUG only; run after demo_accounts)."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo shortlist is only created with DEBUG on.")
        title = DEMO_BRIEFS[ORGANISATION]["title"]
        organisation = Organisation.objects.filter(slug=ORGANISATION).first()
        brief = Brief.objects.filter(organisation=organisation, title=title).first()
        users = {
            user.get_username(): user
            for user in get_user_model().objects.filter(
                username__in=TEAM, membership__organisation=organisation
            )
        }
        if organisation is None or brief is None or set(users) != set(TEAM):
            raise CommandError(
                f"The demo's example brief “{title}” or its users {' and '.join(TEAM)} are "
                "missing: run `manage.py demo_accounts` first."
            )
        if Shortlist.objects.filter(organisation=organisation, title=TITLE).exists():
            self.stdout.write(f"  Demo shortlist “{TITLE}”: already there, left as it is.")
            return
        run = self._done_run(brief, users["sponsor"])
        site_ids = list(
            Result.objects.filter(run=run, eligible=True, site__isnull=False)
            .order_by("rank")
            .values_list("site_id", flat=True)[:SITES]
        )
        if not site_ids:
            raise CommandError(f"Run {run.pk} of “{title}” found no eligible site to shortlist.")
        with transaction.atomic():
            shortlist = self._shortlist(organisation, brief, run, site_ids, users)
        self.stdout.write(
            f"  Demo shortlist “{TITLE}”: the top {len(site_ids)} sites of run {run.pk}; "
            f"sign in as buyer to work it.\n    {self._stages(shortlist)}\n    Three quotes (one "
            "expired), a proposal attached, four criteria scored by buyer and sponsor."
        )

    def _done_run(self, brief: Brief, user: "User") -> Run:
        """The brief's latest done run, or a new one, run here and now."""
        done = brief.runs.filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
        if done is not None:
            return done
        # An operator's command, not a sponsor's click: outside the organisation's quota.
        run = runs.start_run(brief, user, exempt_from_quota=True)
        # Run in this process rather than sent to the task queue: the shortlist needs its
        # results now, whether or not a worker is about.
        runs.execute_run(run.pk)
        run.refresh_from_db()
        if run.status != JobStatus.DONE:
            raise CommandError(f"The match run of “{brief.title}” did not finish: {run.error}")
        self.stdout.write(
            f"  Matched “{brief.title}”: run {run.pk}, {run.eligible} eligible sites."
        )
        return run

    def _shortlist(
        self,
        organisation: Organisation,
        brief: Brief,
        run: Run,
        site_ids: list[int],
        users: dict[str, "User"],
    ) -> Shortlist:
        buyer = users["buyer"]
        today = timezone.localdate()
        shortlist = pipeline.create_shortlist(organisation, buyer, TITLE, brief=brief)
        candidates = pipeline.add_sites(shortlist, site_ids, buyer, run=run).candidates
        candidates.sort(key=lambda candidate: candidate.rank or 0)
        # The two best stay in the race whatever their record.
        rejected = self._weakest_record(candidates[2:])
        if rejected is not None:
            self._walk_to(rejected, Stage.CONTACTED, buyer)
            score = rejected.site.compliance_score if rejected.site else None
            pipeline.move(
                rejected,
                Stage.REJECTED,
                buyer,
                exit_reason=ExitReason.QUALITY_RECORD,
                exit_note="Its regulator record is below our bar"
                + (f" (compliance score {score:.0f} of 100)." if score is not None else "."),
            )
            pipeline.add_note(rejected, users["sponsor"], REJECTED_NOTE)
        in_race = [candidate for candidate in candidates if candidate != rejected]
        for candidate, (stage, owner, due_in) in zip(in_race, PLAN, strict=False):
            if stage == Stage.DECLINED:
                self._walk_to(candidate, Stage.CONTACTED, buyer)
                reason, note = DECLINED
                pipeline.move(candidate, stage, buyer, exit_reason=reason, exit_note=note)
            else:
                self._walk_to(candidate, stage, buyer)
            if owner is not None and due_in is not None:
                due_on = today + datetime.timedelta(days=due_in)
                pipeline.assign(candidate, buyer, owner=users[owner], due_on=max(due_on, today))
                if due_on < today:
                    # `assign` refuses a date in the past, as it should: this step was due
                    # three days ago and slipped, set here so that the demo shows an overdue
                    # mark.
                    Candidate.objects.filter(pk=candidate.pk).update(due_on=due_on)
            if stage in NOTES:
                author, text = NOTES[stage]
                pipeline.add_note(candidate, users[author], text)
            if stage in QUOTES:
                self._quote(candidate, stage, buyer)
        self._add_real_establishment(shortlist, users)
        criteria = scoring.apply_default_criteria(shortlist, buyer)
        for candidate, (stage, _owner, _due_in) in zip(in_race, PLAN, strict=False):
            for member, values in TEAM_SCORES.get(stage, {}).items():
                scoring.score(
                    candidate,
                    users[member],
                    {
                        criterion.pk: value
                        for criterion, value in zip(criteria, values, strict=True)
                    },
                )
        return shortlist

    def _add_real_establishment(self, shortlist: Shortlist, users: dict[str, "User"]) -> None:
        """Add the real establishment as the directory's "add to shortlist" does (not scored),
        and have the buyer told of news by e-mail at once."""
        buyer = users["buyer"]
        NotificationSettings.objects.update_or_create(
            user=buyer, defaults={"email": EmailChoice.AT_ONCE}
        )
        site = Site.objects.filter(fei_number=REAL_ESTABLISHMENT_FEI).order_by("pk").first()
        if site is None:
            self.stdout.write(
                f"  No site has FEI {REAL_ESTABLISHMENT_FEI} (FDA's registrations not imported):"
                " the shortlist has no real establishment."
            )
            return
        (candidate,) = pipeline.add_sites(shortlist, [site.pk], buyer).candidates
        pipeline.add_note(candidate, buyer, REAL_ESTABLISHMENT_NOTE)
        self.stdout.write(
            f"  Shortlisted the real establishment {site.name} (FEI {site.fei_number}), watched "
            "for news."
        )

    @staticmethod
    def _quote(candidate: Candidate, stage: Stage, user: "User") -> None:
        price, batches, lead_time, minimum, valid_for, assumptions = QUOTES[stage]
        documents.save_quote(
            candidate,
            user,
            price=price,
            currency="EUR",
            batches=batches,
            scale_l=2000,
            lead_time_weeks=lead_time,
            minimum_order_batches=minimum,
            valid_until=timezone.localdate() + datetime.timedelta(days=valid_for),
            assumptions=assumptions,
        )
        if stage == Stage.PROPOSAL_RECEIVED:
            documents.attach(
                candidate,
                user,
                ContentFile(PROPOSAL_PDF, name="Proposal - 3 x 2000 L GMP batches.pdf"),
                AttachmentKind.PROPOSAL,
            )

    @staticmethod
    def _weakest_record(candidates: list[Candidate]) -> Candidate | None:
        """The candidate whose site has the lowest compliance score (None if none is scored)."""
        scored = [
            (candidate.site.compliance_score, candidate.rank or 0, candidate)
            for candidate in candidates
            if candidate.site is not None and candidate.site.compliance_score is not None
        ]
        return min(scored, key=lambda row: row[:2])[2] if scored else None

    @staticmethod
    def _walk_to(candidate: Candidate, stage: Stage, user: "User") -> None:
        """Move the candidate step by step to a stage of the pipeline, as a team would."""
        for step in PIPELINE[1 : PIPELINE.index(stage) + 1]:
            pipeline.move(candidate, step, user)

    @staticmethod
    def _stages(shortlist: Shortlist) -> str:
        """How many candidates are at each stage, in the pipeline's order: "Contacted 2 · …"."""
        stages = list(shortlist.candidates.values_list("stage", flat=True))
        return " · ".join(
            f"{stage.label} {stages.count(stage)}" for stage in Stage if stage in stages
        )
