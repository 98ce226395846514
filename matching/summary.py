"""A done run's summary, above its ranked sites (templates/matching/_run_summary.html).

    summary = run_summary(run)

- How many eligible sites meet every requirement the brief states (each stated criterion's
  verdict is "meets": matching/engine/verdicts.py), and where MANY_MEET or more do, the first
  of them by what still separates them: compliance, then headroom on scale, then rank.
- The score distribution: Run.distribution as the run stored it (matching/runs.py), or, for a
  run stored before it was, counted from the results.
- The reverse of the relaxation: for phase and scale stated softly (not must-haves), how many
  eligible sites making it a must-have would exclude.

The counts come from one aggregate over the run's results; the stored breakdown holds the
criteria in the same order for every site of a run, so each criterion is read at its position
(in a compact row, its letter in `verdicts`: matching/stored_results.py).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Substr
from django.db.models.lookups import Exact

from core.choices import JobStatus
from core.quantities import format_quantity
from matching.choices import Criterion
from matching.engine.verdicts import MEETS
from matching.models import Result, Run
from matching.results import RESULTS_PER_PAGE, stored_verdict
from matching.stored_results import VERDICT_LETTERS
from partners.models import SiteCapability

# From this many sites meeting every requirement, the summary says what separates them.
MANY_MEET = 5
# How many of those it lists.
SEPARATED_SHOWN = 5
BUCKETS = 20
BUCKET_WIDTH = 100 // BUCKETS
MINUS = "\N{MINUS SIGN}"
EN_DASH = "\N{EN DASH}"
# The criteria a brief may state softly whose must-have the summary offers.
TIGHTENABLE = ("phase", "scale")


@dataclass(frozen=True)
class Tightening:
    """Making a softly stated criterion a must-have, and the eligible sites it would exclude."""

    criterion: str
    requirement: str  # "phase 2", "2,000 L scale"
    excluded: int

    @property
    def suggestion(self) -> str:
        sites = "site" if self.excluded == 1 else "sites"
        return f"make {self.requirement} a must-have: {MINUS}{self.excluded:,} {sites}"


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int
    count: int
    height: float  # 0-100, of the tallest bucket

    @property
    def label(self) -> str:
        return f"{self.low}{EN_DASH}{self.high}"

    # The bar in the histogram's SVG (viewBox 0 0 200 64: ten units a bucket, baseline at 62).
    @property
    def x(self) -> float:
        return self.low * 2 + 0.5

    @property
    def bar_height(self) -> float:
        return max(round(self.height * 0.6, 1), 1.0) if self.count else 0.0

    @property
    def y(self) -> float:
        return round(62 - self.bar_height, 1)


@dataclass(frozen=True)
class SeparatedSite:
    """A site meeting every requirement, with the facts that still set it apart."""

    rank: int
    site_name: str
    provider_name: str
    score: float
    compliance: float | None
    maximum: float | None
    headroom: float | None  # the maximum over the batch
    page: int


@dataclass(frozen=True)
class RunSummary:
    eligible: int
    requirements: tuple[str, ...]  # the stated requirements' criterion labels
    meeting_all: int
    separated: tuple[SeparatedSite, ...]
    unit: str
    buckets: tuple[Bucket, ...]
    tightenings: tuple[Tightening, ...]

    @property
    def many_meet(self) -> bool:
        return self.meeting_all >= MANY_MEET

    @property
    def distribution_text(self) -> str:
        """The histogram in a sentence, for those who cannot see it."""
        filled = [b for b in self.buckets if b.count]
        if not filled:
            return "No eligible site, so no scores to show."
        low, high = filled[0].low, filled[-1].high
        peak = max(filled, key=lambda b: b.count)
        return (
            f"Scores of the {self.eligible:,} eligible sites range over {low}{EN_DASH}{high}; "
            f"the most, {peak.count:,}, score {peak.label}."
        )


def run_summary(run: Run) -> RunSummary | None:
    """The summary of a done run; None for a run not done."""
    if run.status != JobStatus.DONE:
        return None
    eligible = Result.objects.filter(run=run, eligible=True)
    top = (
        Result.objects.of_run(run)
        .filter(eligible=True)
        .order_by("rank")
        .only("run_id", "eligible", "breakdown", "parts")
        .first()
    )
    first = (top.breakdown or []) if top is not None else []
    # A compact row has its verdicts as letters (matching/stored_results.py).
    compact = top is not None and top.parts is not None
    positions = {part["criterion"]: position for position, part in enumerate(first)}
    stated = [part for part in first if _states_requirement(part)]
    met = Q()
    for part in stated:
        met &= _meets(positions[part["criterion"]], part, compact)
    soft = [
        part
        for part in first
        if part["criterion"] in TIGHTENABLE and stored_verdict(part) and not part.get("must_have")
    ]
    counts: dict[str, Any] = {"meeting_all": Count("id", filter=met)}
    for part in soft:
        counts[f"short_{part['criterion']}"] = Count(
            "id", filter=~_meets(positions[part["criterion"]], part, compact)
        )
    stored = run.distribution if isinstance(run.distribution, dict) else None
    if stored is None:
        for bucket in range(BUCKETS):
            low = bucket * BUCKET_WIDTH
            within = Q(score__gte=low) & (
                Q(score__lt=low + BUCKET_WIDTH) if bucket < BUCKETS - 1 else Q()
            )
            counts[f"bucket_{bucket}"] = Count("id", filter=within)
    totals = eligible.aggregate(**counts) if first else {}
    histogram = (
        list(stored["counts"])
        if stored is not None
        else [totals.get(f"bucket_{bucket}", 0) for bucket in range(BUCKETS)]
    )
    brief = run.brief
    meeting_all = totals.get("meeting_all", 0)
    return RunSummary(
        eligible=run.eligible or 0,
        requirements=tuple(_label(part) for part in stated),
        meeting_all=meeting_all,
        separated=_separated(run, eligible.filter(met)) if meeting_all >= MANY_MEET else (),
        unit=brief.batch_unit,
        buckets=_buckets(histogram),
        tightenings=tuple(
            Tightening(
                criterion=part["criterion"],
                requirement=_requirement(part["criterion"], run),
                excluded=totals[f"short_{part['criterion']}"],
            )
            for part in soft
            if totals.get(f"short_{part['criterion']}")
        ),
    )


def _states_requirement(part: dict[str, Any]) -> bool:
    # As BreakdownLine.states_requirement: compliance is a requirement only as a must-have.
    return bool(stored_verdict(part)) and (
        part["criterion"] != "compliance" or bool(part.get("must_have"))
    )


def _meets(position: int, part: dict[str, Any], compact: bool = False) -> Q:
    """The results whose criterion at `position` meets the brief: by the stored verdict (a
    compact row's letter at that position), or for a run stored before verdicts were, by a full
    sub-score."""
    if compact:
        return Q(Exact(Substr("verdicts", position + 1, 1), VERDICT_LETTERS[MEETS]))
    if "verdict" in part:
        return Q(**{f"breakdown__{position}__verdict": MEETS})
    return Q(**{f"breakdown__{position}__sub_score__gte": 1})


def _label(part: dict[str, Any]) -> str:
    return str(Criterion(part["criterion"]).label)


def _requirement(criterion: str, run: Run) -> str:
    brief = run.brief
    if criterion == "phase":
        return f"{brief.get_phase_display()}" if brief.phase else "the phase"
    size = format_quantity(brief.batch_size) if brief.batch_size else ""
    return f"{size} {brief.batch_unit} scale".strip()


def _separated(run: Run, meeting: Any) -> tuple[SeparatedSite, ...]:
    brief = run.brief
    capacity = "max_volume_l" if brief.batch_unit == "L" else "max_batch_kg"
    maximum = Subquery(
        SiteCapability.objects.filter(site_id=OuterRef("site_id"), term_id=brief.modality_id)
        .exclude(**{f"{capacity}__isnull": True})
        .order_by(f"-{capacity}")
        .values(capacity)[:1]
    )
    rows = (
        meeting.annotate(maximum=maximum, compliance=F("site__compliance_score"))
        .order_by(
            Coalesce("compliance", -1.0).desc(),
            F("maximum").desc(nulls_last=True),
            "rank",
        )
        .values("rank", "site_name", "provider_name", "score", "compliance", "maximum")[
            :SEPARATED_SHOWN
        ]
    )
    batch = brief.batch_size
    return tuple(
        SeparatedSite(
            rank=row["rank"],
            site_name=row["site_name"],
            provider_name=row["provider_name"],
            score=row["score"],
            compliance=row["compliance"],
            maximum=row["maximum"],
            headroom=row["maximum"] / batch if row["maximum"] and batch else None,
            page=(row["rank"] - 1) // RESULTS_PER_PAGE + 1,
        )
        for row in rows
    )


def _buckets(counts: list[int]) -> tuple[Bucket, ...]:
    tallest = max(counts, default=0) or 1
    width = 100 // len(counts) if counts else BUCKET_WIDTH
    return tuple(
        Bucket(
            low=position * width,
            high=(position + 1) * width,
            count=count,
            height=round(100 * count / tallest, 1),
        )
        for position, count in enumerate(counts)
    )
