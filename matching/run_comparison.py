"""Two runs of the same brief compared: which sites entered the ranking, left it or moved, and why.

    comparison = compare_runs(run_a, run_b)   # either order: the earlier run is `before`

What changed between the runs, for the whole ranking: the catalogue version, the ranking
method, and the brief as the runs stored it (each eligible result's breakdown keeps every
criterion's weight and must-have flag, so a weight or must-have changed between the runs is
read from the runs themselves, even after later edits). For each site:

- moved: its rank differs; why is the criterion whose sub-score changed most, or, when none did,
  the weights that changed, or sites entering or leaving above it;
- entered: eligible in the later run only; why is the reason the earlier run excluded it, or
  that the earlier run did not score it (not in the catalogue then);
- left: eligible in the earlier run only; why is the reason the later run excludes it, or that
  it is no longer in the catalogue.

The whole ranking is compared, but the lists are cut to SHOWN sites each (entered and left by
rank, moved by how far), with the full counts; the breakdowns and reasons are read only for the
sites shown, so the page costs a fixed number of queries whatever the catalogue's size.
"""

from dataclasses import dataclass, field
from typing import Literal

from core.choices import JobStatus
from matching.engine.criteria import CRITERIA, CRITERION_LABELS
from matching.models import Result, Run

# Sites listed per kind of change.
SHOWN = 50
# A sub-score change smaller than this is rounding, not a change.
EPSILON = 1e-6

Change = Literal["entered", "left", "moved"]


class ComparisonError(ValueError):
    """The two runs cannot be compared; the message says why."""


@dataclass(frozen=True)
class SiteChange:
    """One site whose place differs between the runs."""

    change: Change
    site_id: int | None
    site_name: str
    provider_name: str
    rank_before: int | None
    rank_after: int | None
    score_before: float | None
    score_after: float | None
    why: str
    # The criterion behind `why`, when one is (its sub-score changed most).
    criterion: str | None = None

    @property
    def places(self) -> int | None:
        """Places gained (positive) or lost (negative); None unless ranked in both."""
        if self.rank_before is None or self.rank_after is None:
            return None
        return self.rank_before - self.rank_after

    @property
    def distance(self) -> int:
        """How many places it moved, up or down."""
        return abs(self.places or 0)


@dataclass
class RunComparison:
    before: Run
    after: Run
    catalogue_changed: bool
    method_changed: bool
    # What changed in the brief between the runs, in sentences ("phase weight 3 → 5").
    brief_changes: list[str]
    # The brief was saved between the two runs (its last save falls between them).
    brief_edited_between: bool
    entered_count: int = 0
    left_count: int = 0
    moved_count: int = 0
    unchanged_count: int = 0
    entered: list[SiteChange] = field(default_factory=list)
    left: list[SiteChange] = field(default_factory=list)
    moved: list[SiteChange] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why the rankings differ, for the whole ranking, in sentences."""
        reasons = list(self.brief_changes)
        if self.brief_edited_between and not self.brief_changes:
            reasons.append("The brief was edited between the two runs.")
        if self.method_changed:
            reasons.append(
                f"The ranking method changed: {self.before.get_method_display()} → "
                f"{self.after.get_method_display()}."
            )
        if self.catalogue_changed:
            reasons.append(
                "The catalogue changed between the runs (version "
                f"{self.before.catalogue_version[:12] or '—'} → "
                f"{self.after.catalogue_version[:12] or '—'}): sites, capabilities, "
                "certificates or inspections were added or updated."
            )
        return reasons


def compare_runs(a: Run, b: Run) -> RunComparison:
    """Compare two done runs of one brief; raises ComparisonError when they cannot be."""
    if a.pk == b.pk:
        raise ComparisonError("Choose two different runs to compare.")
    if a.brief_id != b.brief_id:
        raise ComparisonError(
            f"Run {a.pk} and run {b.pk} are of different briefs: only two runs of the same "
            "brief can be compared."
        )
    for run in (a, b):
        if run.status != JobStatus.DONE:
            raise ComparisonError(
                f"Run {run.pk} is {run.get_status_display().lower()}: only done runs can be "
                "compared."
            )
    before, after = sorted((a, b), key=lambda run: (run.created_at, run.pk))

    ranked = _ranked(before, after)
    ranks_before, ranks_after = ranked[before.pk], ranked[after.pk]
    entered_ids = [site for site in ranks_after if site not in ranks_before]
    left_ids = [site for site in ranks_before if site not in ranks_after]
    both = [site for site in ranks_after if site in ranks_before]
    moved_ids = [site for site in both if ranks_before[site][0] != ranks_after[site][0]]

    entered_ids.sort(key=lambda site: ranks_after[site][0])
    left_ids.sort(key=lambda site: ranks_before[site][0])
    moved_ids.sort(
        key=lambda site: (
            -abs(ranks_before[site][0] - ranks_after[site][0]),
            ranks_after[site][0],
        )
    )
    shown = {
        "entered": entered_ids[:SHOWN],
        "left": left_ids[:SHOWN],
        "moved": moved_ids[:SHOWN],
    }
    rows = _rows(before, after, {site for ids in shown.values() for site in ids})
    weights_before, must_before = _stored_brief(before, rows)
    weights_after, must_after = _stored_brief(after, rows)
    changes = _brief_changes(weights_before, weights_after, must_before, must_after)
    weight_changed = [
        CRITERION_LABELS[c]
        for c in CRITERIA
        if c in weights_before and c in weights_after and weights_before[c] != weights_after[c]
    ]

    comparison = RunComparison(
        before=before,
        after=after,
        catalogue_changed=before.catalogue_version != after.catalogue_version,
        method_changed=before.method != after.method,
        brief_changes=changes,
        brief_edited_between=before.created_at < before.brief.updated_at <= after.created_at,
        entered_count=len(entered_ids),
        left_count=len(left_ids),
        moved_count=len(moved_ids),
        unchanged_count=len(both) - len(moved_ids),
    )
    for site in shown["entered"]:
        old = rows.get((before.pk, site))
        why = (
            f"Excluded in run {before.pk}: {old.reason}"
            if old is not None and not old.eligible
            else f"Not in the catalogue when run {before.pk} was made."
        )
        comparison.entered.append(_change("entered", site, None, rows.get((after.pk, site)), why))
    for site in shown["left"]:
        new = rows.get((after.pk, site))
        why = (
            f"Excluded in run {after.pk}: {new.reason}"
            if new is not None and not new.eligible
            else "No longer in the catalogue."
        )
        comparison.left.append(_change("left", site, rows.get((before.pk, site)), None, why))
    for site in shown["moved"]:
        old, new = rows.get((before.pk, site)), rows.get((after.pk, site))
        criterion, why = _why_moved(old, new, weight_changed, comparison)
        comparison.moved.append(_change("moved", site, old, new, why, criterion))
    return comparison


def _ranked(before: Run, after: Run) -> dict[int, dict[int, tuple[int, float]]]:
    """Per run, each eligible site's (rank, score), in one query."""
    ranked: dict[int, dict[int, tuple[int, float]]] = {before.pk: {}, after.pk: {}}
    for run_id, site_id, rank, score in (
        Result.objects.filter(run__in=(before, after), eligible=True, site__isnull=False)
        .order_by()
        .values_list("run_id", "site_id", "rank", "score")
    ):
        # An eligible result always has its rank and score.
        ranked[run_id][site_id] = (rank or 0, score or 0.0)
    return ranked


def _rows(before: Run, after: Run, sites: set[int]) -> dict[tuple[int, int | None], Result]:
    """The result rows of the sites shown, in both runs (one query), plus one eligible row of
    each run whose breakdown gives the brief's weights and must-haves as the run used them."""
    rows: dict[tuple[int, int | None], Result] = {
        (row.run_id, row.site_id): row
        for row in Result.objects.filter(run__in=(before, after), site_id__in=sites).order_by()
    }
    for run in (before, after):
        if not any(key[0] == run.pk and row.eligible for key, row in rows.items()):
            first = (
                Result.objects.filter(run=run, eligible=True)
                .order_by("rank")
                .only("run_id", "site_id", "eligible", "breakdown", "parts")
            ).first()
            if first is not None:
                rows[(run.pk, first.site_id)] = first
    return rows


def _stored_brief(
    run: Run, rows: dict[tuple[int, int | None], Result]
) -> tuple[dict[str, float], set[str]]:
    """The weights and must-haves the run used, read from one of its eligible rows."""
    for (run_id, _), row in rows.items():
        if run_id == run.pk and row.eligible and row.breakdown:
            weights = {}
            must = set()
            for part in row.breakdown:
                if isinstance(part, dict) and part.get("criterion") in CRITERIA:
                    weights[part["criterion"]] = float(part.get("weight") or 0)
                    if part.get("must_have"):
                        must.add(part["criterion"])
            return weights, must
    return {}, set()


def _brief_changes(
    weights_before: dict[str, float],
    weights_after: dict[str, float],
    must_before: set[str],
    must_after: set[str],
) -> list[str]:
    changes = []
    for criterion in CRITERIA:
        label = CRITERION_LABELS[criterion]
        if criterion in weights_before and criterion in weights_after:
            old, new = weights_before[criterion], weights_after[criterion]
            if old != new:
                if old == 0:
                    changes.append(f"The brief now states {label} (weight {new:g}).")
                elif new == 0:
                    changes.append(f"The brief no longer counts {label} (weight {old:g} → 0).")
                else:
                    changes.append(f"The {label} weight changed: {old:g} → {new:g}.")
        if criterion in must_after and criterion not in must_before:
            changes.append(f"{label.capitalize()} became a must-have.")
        elif criterion in must_before and criterion not in must_after:
            changes.append(f"{label.capitalize()} is no longer a must-have.")
    return changes


def _sub_scores(row: Result | None) -> dict[str, float]:
    if row is None or not row.breakdown:
        return {}
    return {
        part["criterion"]: float(part.get("sub_score") or 0)
        for part in row.breakdown
        if isinstance(part, dict) and part.get("criterion") in CRITERIA
    }


def _why_moved(
    old: Result | None,
    new: Result | None,
    weight_changed: list[str],
    comparison: RunComparison,
) -> tuple[str | None, str]:
    before, after = _sub_scores(old), _sub_scores(new)
    deltas = [(abs(after[c] - before[c]), c) for c in CRITERIA if c in before and c in after]
    delta, criterion = max(deltas, default=(0.0, ""))
    if delta > EPSILON:
        label = CRITERION_LABELS[criterion].capitalize()
        return criterion, f"{label} sub-score {before[criterion]:.2f} → {after[criterion]:.2f}."
    if weight_changed:
        return (
            None,
            f"Its sub-scores are unchanged; the weights changed ({', '.join(weight_changed)}).",
        )
    if comparison.method_changed:
        return None, "Its sub-scores are unchanged; the ranking method changed."
    return None, "Its sub-scores are unchanged; sites entered or left the ranking around it."


def _change(
    change: Change,
    site: int,
    old: Result | None,
    new: Result | None,
    why: str,
    criterion: str | None = None,
) -> SiteChange:
    named = new or old
    return SiteChange(
        change=change,
        site_id=site,
        site_name=named.site_name if named else f"Site {site}",
        provider_name=named.provider_name if named else "",
        rank_before=old.rank if old is not None and old.eligible else None,
        rank_after=new.rank if new is not None and new.eligible else None,
        score_before=old.score if old is not None and old.eligible else None,
        score_after=new.score if new is not None and new.eligible else None,
        why=why,
        criterion=criterion,
    )


def other_done_run(run: Run) -> Run | None:
    """The run to compare `run` with: the latest done run of its brief before it, else the
    latest after it; None when the brief has no other done run."""
    others = Run.objects.filter(brief_id=run.brief_id, status=JobStatus.DONE).exclude(pk=run.pk)
    earlier = others.filter(created_at__lt=run.created_at).order_by("-created_at", "-id").first()
    return earlier or others.order_by("-created_at", "-id").first()
