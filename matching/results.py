"""A run's results as its page shows them (matching/views.py, `run_detail`).

    page = ranked_page(run, number)        # a page of ranked sites with their breakdowns
    comparison = method_comparison(run)    # the run of the other ranking method, if there is one

Every eligible site's stored breakdown holds, per criterion, the sub-score, weight, must-have
flag and sentence (matching/runs.py), so a run reads the same whatever happened to the brief or
the catalogue since: the page notes when either changed.
"""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.utils import timezone
from django_countries import countries

from core.choices import JobStatus
from matching.choices import Criterion
from matching.engine.verdicts import DOES_NOT, MEETS, PARTLY, UNKNOWN
from matching.models import Result, Run, RunMethod
from partners.catalogue_version import current_catalogue_version
from partners.models import Certification, SiteCapability

# A verdict's sign, beside its word (never colour alone).
VERDICT_SIGNS = {MEETS: "✓", PARTLY: "◐", DOES_NOT: "✗", UNKNOWN: "?"}
RESULTS_PER_PAGE = 25
EXCLUDED_PER_PAGE = 25
# How many of the best sites the two ranking methods are compared on.
TOP_COMPARED = 10


@dataclass(frozen=True)
class BreakdownLine:
    """One criterion of one site's score."""

    criterion: str
    sub_score: float  # 0-1
    weight: float  # 0 when the brief does not weigh it
    must_have: bool
    sentence: str
    # meets, partly, does not, unknown (matching/engine/verdicts.py); "" when not asked
    verdict: str = ""

    @property
    def label(self) -> str:
        return Criterion(self.criterion).label

    @property
    def verdict_sign(self) -> str:
        return VERDICT_SIGNS.get(self.verdict, "")

    @property
    def verdict_class(self) -> str:
        return self.verdict.replace(" ", "-")

    @property
    def states_requirement(self) -> bool:
        """Whether the brief states a requirement here: an asked criterion other than the
        compliance record, which every brief weighs (it is a requirement when a must-have)."""
        return bool(self.verdict) and (self.criterion != "compliance" or self.must_have)

    @property
    def percent(self) -> int:
        return round(self.sub_score * 100)

    @property
    def counts(self) -> bool:
        """Whether the criterion bears on the score: it weighs, or it must hold."""
        return self.weight > 0 or self.must_have


@dataclass(frozen=True)
class RankedSite:
    """An eligible site of a run, on the results page."""

    result: Result
    provider_slug: str
    country: str
    country_name: str
    lines: tuple[BreakdownLine, ...]
    other_rank: int | None  # its rank by the other method, when a comparable run is done
    facts: "SiteFacts | None" = None

    @property
    def requirements(self) -> list[BreakdownLine]:
        """The lines of the requirements the brief states, each with its verdict."""
        return [line for line in self.lines if line.states_requirement]

    @property
    def profile_anchor(self) -> str:
        """The site's card on its provider's profile (templates/partners/profile/_site.html)."""
        return f"#site-{self.result.site_id}" if self.result.site_id else ""

    @property
    def movement(self) -> int | None:
        """Places gained (+) or lost (-) by this run's method against the other one."""
        if self.other_rank is None or self.result.rank is None:
            return None
        return self.other_rank - self.result.rank

    @property
    def places(self) -> int:
        return abs(self.movement or 0)

    @property
    def weighed_lines(self) -> list[BreakdownLine]:
        return [line for line in self.lines if line.counts]

    @property
    def unweighed(self) -> list[str]:
        return [line.label for line in self.lines if not line.counts]


@dataclass(frozen=True)
class SiteFacts:
    """What a buyer checks first about a ranked site, read from the catalogue as it is now."""

    maximum: float | None  # the site's largest batch for the brief's modality, in `unit`
    unit: str
    batch: float | None  # the brief's batch, in `unit`
    phases: tuple[str, ...]
    certificates: tuple[str, ...]  # valid today
    compliance: float | None


@dataclass(frozen=True)
class MethodComparison:
    """The latest run of the same brief, on the same catalogue, by the other method."""

    run: Run | None  # None: there is none yet (or it scored another catalogue or brief)
    method: str
    method_label: str
    shared_top: int | None  # sites in both runs' TOP_COMPARED, when both are done

    @property
    def done(self) -> bool:
        return self.run is not None and self.run.status == JobStatus.DONE


def brief_edited_since(run: Run) -> bool:
    """Whether the brief was saved after the run started: the results answer an older brief."""
    return run.brief.updated_at > run.created_at


def catalogue_changed_since(run: Run) -> bool:
    return bool(run.catalogue_version) and run.catalogue_version != current_catalogue_version()


def other_method(method: str) -> str:
    return RunMethod.TOPSIS if method == RunMethod.WEIGHTED else RunMethod.WEIGHTED


def method_comparison(run: Run) -> MethodComparison:
    """The run to compare with: of the other method, started after the brief's last edit (so
    it ranks the same brief), not failed, and when done, on the same catalogue version."""
    method = other_method(run.method)
    comparison = MethodComparison(
        run=None, method=method, method_label=RunMethod(method).label, shared_top=None
    )
    if brief_edited_since(run):
        return comparison
    other = (
        Run.objects.filter(
            brief_id=run.brief_id, method=method, created_at__gte=run.brief.updated_at
        )
        .exclude(status=JobStatus.FAILED)
        .order_by("-created_at", "-id")
        .first()
    )
    if other is None:
        return comparison
    if other.status == JobStatus.DONE and other.catalogue_version != run.catalogue_version:
        return comparison
    shared = None
    if other.status == JobStatus.DONE and run.status == JobStatus.DONE:
        shared = len(_top_sites(run) & _top_sites(other))
    return MethodComparison(
        run=other, method=method, method_label=RunMethod(method).label, shared_top=shared
    )


def _top_sites(run: Run) -> set[int]:
    return set(
        Result.objects.filter(
            run=run, eligible=True, rank__lte=TOP_COMPARED, site__isnull=False
        ).values_list("site_id", flat=True)
    )


def ranked_page(run: Run, number: Any, comparison: MethodComparison | None = None) -> Page:
    """A page of the run's eligible sites, by rank; its `object_list` holds RankedSites."""
    brief = run.brief
    capacity = "max_volume_l" if brief.batch_unit == "L" else "max_batch_kg"
    ranked = (
        Result.objects.of_run(run)
        .filter(eligible=True)
        .select_related("site__provider")
        .only(
            "run_id",
            "rank",
            "score",
            "site_name",
            "provider_name",
            "breakdown",
            "parts",
            "eligible",
            "site__country",
            "site__compliance_score",
            "site__source",
            "site__provider__slug",
        )
        .prefetch_related(
            "site__phases",
            Prefetch(
                "site__capabilities",
                queryset=SiteCapability.objects.filter(term_id=brief.modality_id).only(
                    "site_id", capacity
                ),
                to_attr="modality_capabilities",
            ),
            Prefetch(
                "site__certifications",
                queryset=Certification.objects.valid_on(timezone.localdate())
                .only("site_id", "kind")
                .order_by("kind"),
                to_attr="valid_certifications",
            ),
        )
        .order_by("rank")
    )
    # Paginated over Results, the page then holds a RankedSite for each.
    page: Page[Any] = Paginator(ranked, RESULTS_PER_PAGE).get_page(number)
    results: list[Result] = list(page.object_list)
    other_ranks = _other_ranks(comparison, results)
    page.object_list = [
        _ranked_site(
            result,
            other_ranks.get(result.site_id) if result.site_id is not None else None,
            _site_facts(result, brief.batch_unit, brief.batch_size),
        )
        for result in results
    ]
    return page


@dataclass(frozen=True)
class ExclusionFilter:
    """One choice above the excluded sites: all of them, or those one constraint removed."""

    constraint: str  # "" for all
    label: str
    count: int
    selected: bool


def exclusion_filters(run: Run, selected: str) -> list[ExclusionFilter]:
    """All, then each funnel step that removed sites, nearest misses first. A step's `removed`
    counts the sites whose first failed constraint it is: those it lists."""
    steps = [step for step in reversed(run.funnel) if step["removed"]]
    return [
        ExclusionFilter("", "All", run.excluded or 0, not selected),
        *(
            ExclusionFilter(
                step["constraint"],
                step["label"][:1].upper() + step["label"][1:],
                step["removed"],
                step["constraint"] == selected,
            )
            for step in steps
        ),
    ]


def excluded_results(run: Run, constraint: str = "") -> QuerySet[Result]:
    """The run's excluded sites: those `constraint` removed, by site name, or all of them with
    the nearest misses first (the constraints late in the funnel), each group by site name."""
    excluded = Result.objects.of_run(run).filter(eligible=False)
    if constraint:
        return excluded.filter(excluded_by=constraint).order_by("site_name", "id")
    order = [step["constraint"] for step in run.funnel]
    return excluded.annotate(
        funnel_position=Case(
            *(When(excluded_by=name, then=Value(i)) for i, name in enumerate(order)),
            default=Value(-1),
        )
    ).order_by("-funnel_position", "site_name", "id")


def excluded_page(run: Run, number: Any, constraint: str = "") -> Page:
    excluded = (
        excluded_results(run, constraint)
        .select_related("site__provider")
        .only(
            "run_id",
            "eligible",
            "site_name",
            "provider_name",
            "reason",
            "parts",
            "site__provider__slug",
        )
    )
    return Paginator(excluded, EXCLUDED_PER_PAGE).get_page(number)


def stored_verdict(part: dict[str, Any]) -> str:
    """A breakdown part's verdict: as the run stored it, or for a run stored before verdicts
    were, from its sub-score (1 meets, 0 does not, partly between) and its sentence (which says
    "unknown" where the site gives no data, and "Not asked." where the brief is silent)."""
    if "verdict" in part:
        return str(part["verdict"])
    sentence = part.get("sentence", "")
    if not sentence or sentence == "Not asked.":
        return ""
    if "unknown" in sentence:
        return UNKNOWN
    sub_score = float(part["sub_score"])
    return MEETS if sub_score >= 1 else DOES_NOT if sub_score <= 0 else PARTLY


def _site_facts(result: Result, unit: str, batch: float | None) -> SiteFacts | None:
    site = result.site
    if site is None:
        return None
    capacity = "max_volume_l" if unit == "L" else "max_batch_kg"
    maxima = [
        getattr(c, capacity)
        for c in getattr(site, "modality_capabilities", [])
        if getattr(c, capacity) is not None
    ]
    return SiteFacts(
        maximum=max(maxima) if maxima else None,
        unit=unit,
        batch=batch,
        phases=tuple(phase.name for phase in site.phases.all()),
        certificates=tuple(
            dict.fromkeys(c.get_kind_display() for c in getattr(site, "valid_certifications", []))
        ),
        compliance=site.compliance_score,
    )


def _ranked_site(
    result: Result, other_rank: int | None, facts: SiteFacts | None = None
) -> RankedSite:
    lines = [
        BreakdownLine(
            criterion=part["criterion"],
            sub_score=float(part["sub_score"]),
            weight=float(part["weight"]),
            must_have=bool(part.get("must_have", False)),
            sentence=part.get("sentence", ""),
            verdict=stored_verdict(part),
        )
        for part in result.breakdown or ()
    ]
    site = result.site
    country = site.country.code if site is not None and site.country else ""
    return RankedSite(
        result=result,
        provider_slug=site.provider.slug if site is not None else "",
        country=country,
        country_name=countries.name(country) if country else "",
        lines=tuple(lines),
        other_rank=other_rank,
        facts=facts,
    )


def _other_ranks(
    comparison: MethodComparison | None, results: list[Result]
) -> dict[int, int | None]:
    if comparison is None or not comparison.done:
        return {}
    site_ids = [result.site_id for result in results if result.site_id is not None]
    return dict(
        Result.objects.filter(run=comparison.run, site_id__in=site_ids, eligible=True).values_list(
            "site_id", "rank"
        )
    )
