"""Briefs kept matching: re-run when the catalogue changes, at most once a day, their owners told
what changed since the run before.

    run = keep(brief, user)          # on: the baseline is the brief's latest done run
    stop_keeping(brief)              # off
    due_reruns(now)                  # the kept briefs to re-run (sourcing.tasks, every 15 min)
    run = start_rerun(kept_id)       # claimed, started outside the quota; the caller sends it
    report_rerun(run_id)             # once the run is done (sourcing/signals.py): the alert

A kept brief holds two runs, both protected from the runs' retention (`protected_runs`,
registered in SourcingConfig.ready()): `baseline_run`, the run its latest re-run is compared
with, and `last_run`, that re-run. Starting the next re-run moves the baseline on to the last
done re-run, so the pair named is always the pair the latest alert compares.

When a brief is due: kept and active, its latest re-run neither in progress nor waiting to be
reported, the catalogue version (partners/catalogue_version.py) different from the one that
re-run read, and its latest re-run started 24 hours ago or more. The beat job runs every 15
minutes, so a re-run starts at most 15 minutes after a change has made its brief due.

The re-run is a run like any other (matching/runs.py): sent after commit; with the broker down,
it stays queued and the runs' own sweep (`requeue_stale_runs`) sends it once the broker is back,
so the owners are told late, never not at all. A re-run whose report was missed (a receiver's
error) is reported by the next beat (`unreported_reruns`); the alert's key makes a second
report write nothing.
"""

import datetime
import logging
from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.choices import JobStatus
from matching import runs
from matching.choices import Role
from matching.engine.criteria import CRITERION_LABELS
from matching.models import Brief, Membership, Result, Run, RunMethod
from matching.run_comparison import (
    EPSILON,
    ComparisonError,
    RunComparison,
    SiteChange,
    compare_runs,
)
from matching.validation import stored_brief_errors
from partners.catalogue_version import current_catalogue_version
from sourcing.choices import AlertKind
from sourcing.models import Alert, KeptBrief
from sourcing.watching.alerts import AlertSpec, raise_alert

logger = logging.getLogger(__name__)

# A kept brief is re-run at most once in this time.
RERUN_INTERVAL = datetime.timedelta(hours=24)
# The places at the top of the ranking whose moves the owners are told of.
TOP = 10
IN_PROGRESS = (JobStatus.QUEUED, JobStatus.RUNNING)


# --- Keeping a brief -----------------------------------------------------------------------------


def kept_brief_of(brief: Brief) -> KeptBrief | None:
    """The brief's KeptBrief, active or not, with its two runs; None if never kept."""
    return (
        KeptBrief.objects.select_related("baseline_run", "last_run", "kept_by")
        .filter(brief=brief)
        .first()
    )


def keep(brief: Brief, user: Any) -> Run | None:
    """Keep the brief matching. Its latest done run becomes the baseline; when it has none, its
    run in progress is taken as the first, or one is started and returned for the caller to
    send (matching.tasks.send_run); it counts against the quota (quotas.QuotaExceeded, and the
    brief is not kept). Keeping a kept brief changes nothing."""
    with transaction.atomic():
        kept, _ = KeptBrief.objects.select_for_update().get_or_create(
            brief=brief, defaults={"active": False}
        )
        if kept.active:
            return None
        done = _latest(brief, [JobStatus.DONE])
        started = None
        kept.active = True
        kept.kept_by = user if getattr(user, "is_authenticated", False) else None
        if done is not None:
            kept.baseline_run, kept.last_run = done, None
            kept.catalogue_version = done.catalogue_version
        else:
            # The first run is the baseline once done (`report_rerun` tells nothing of it).
            kept.baseline_run = None
            kept.last_run = _latest(brief, IN_PROGRESS)
            kept.catalogue_version = ""
            if kept.last_run is None and not stored_brief_errors(brief):
                # A person's click: the first run counts against the organisation's limits
                # like any run it starts (quotas.QuotaExceeded, and nothing kept); only the
                # re-runs the product starts by itself are outside them.
                started = kept.last_run = runs.start_run(brief, user, _method(brief))
        kept.save()
    return started


def stop_keeping(brief: Brief) -> bool:
    """Stop re-running the brief. Its runs stay referred to until it is kept again or deleted.
    Returns whether it was kept."""
    return bool(KeptBrief.objects.filter(brief=brief, active=True).update(active=False))


def _latest(brief: Brief, statuses: Collection[str]) -> Run | None:
    return (
        Run.objects.filter(brief=brief, status__in=statuses).order_by("-created_at", "-id").first()
    )


def _method(brief: Brief) -> str:
    """The brief's first kept run ranks as its latest run did."""
    latest = Run.objects.filter(brief=brief).order_by("-created_at", "-id").first()
    return latest.method if latest is not None else RunMethod.WEIGHTED


# --- Re-running ----------------------------------------------------------------------------------


def _waiting() -> Q:
    """A kept brief whose latest re-run is in progress, or done and not yet reported (the
    version it read not yet taken as the kept brief's own)."""
    return Q(last_run__status__in=IN_PROGRESS) | (
        Q(last_run__status=JobStatus.DONE) & ~Q(last_run__catalogue_version=F("catalogue_version"))
    )


def due_reruns(now: datetime.datetime | None = None) -> list[int]:
    """The ids of the kept briefs to re-run now: active; the catalogue changed since their
    last re-run read it; that re-run 24 hours old or more, and neither in progress nor waiting
    to be reported."""
    return list(
        _due(now or timezone.now()).order_by("last_rerun_at", "pk").values_list("pk", flat=True)
    )


def _due(now: datetime.datetime) -> QuerySet[KeptBrief]:
    return (
        KeptBrief.objects.filter(active=True)
        .exclude(catalogue_version=current_catalogue_version())
        .filter(Q(last_rerun_at__isnull=True) | Q(last_rerun_at__lte=now - RERUN_INTERVAL))
        .exclude(_waiting())
    )


def start_rerun(kept_brief_id: int, now: datetime.datetime | None = None) -> Run | None:
    """Claim the kept brief's re-run and start it, outside the organisation's quota: the run to
    send (matching.tasks.send_run, after commit), or None when it is not due (any more), or the
    brief breaks a rule added since it was saved (it is not run until corrected).

    The claim is a conditional update of `last_rerun_at` from the value read: of two workers,
    one starts the run; the other's update finds the row changed and starts nothing."""
    now = now or timezone.now()
    kept = (
        _due(now)
        .select_related("brief", "last_run", "baseline_run")
        .filter(pk=kept_brief_id)
        .first()
    )
    if kept is None or stored_brief_errors(kept.brief):
        return None
    previous = kept.last_run
    baseline = (
        previous
        if previous is not None and previous.status == JobStatus.DONE
        else kept.baseline_run
    )
    # Ranked as the run it is compared with was, so that it compares like with like.
    method = baseline.method if baseline is not None else _method(kept.brief)
    with transaction.atomic():
        claimed = KeptBrief.objects.filter(
            pk=kept.pk, active=True, last_rerun_at=kept.last_rerun_at, last_run=kept.last_run_id
        ).update(last_rerun_at=now)
        if not claimed:
            return None
        run = runs.start_run(kept.brief, None, method, exempt_from_quota=True)
        KeptBrief.objects.filter(pk=kept.pk).update(baseline_run=baseline, last_run=run)
    return run


# --- Telling the owners --------------------------------------------------------------------------


def unreported_reruns() -> list[int]:
    """The done re-runs not yet reported (`report_rerun` did not run, or failed, after them)."""
    return list(
        KeptBrief.objects.filter(last_run__status=JobStatus.DONE)
        .exclude(last_run__catalogue_version=F("catalogue_version"))
        .order_by("pk")
        .values_list("last_run_id", flat=True)
    )


def report_rerun(run_id: int) -> Alert | None:
    """Once a kept brief's re-run is done: compare it with the baseline and tell the brief's
    owners what changed (an alert); None when the run is no kept brief's re-run, was reported
    already, is the first run (nothing to compare with), or nothing changed. Either way the
    re-run's catalogue version becomes the kept brief's: the catalogue it has seen."""
    with transaction.atomic():
        kept = (
            KeptBrief.objects.select_for_update()
            .select_related("brief")
            .filter(last_run_id=run_id)
            .first()
        )
        run = Run.objects.filter(pk=run_id, status=JobStatus.DONE).first()
        if kept is None or run is None or kept.catalogue_version == run.catalogue_version:
            return None
        KeptBrief.objects.filter(pk=kept.pk).update(catalogue_version=run.catalogue_version)
        baseline = (
            Run.objects.filter(pk=kept.baseline_run_id, status=JobStatus.DONE).first()
            if kept.baseline_run_id is not None
            else None
        )
        if baseline is None or not kept.active:
            return None
        try:
            comparison = compare_runs(baseline, run)
        except ComparisonError:
            logger.warning("Kept brief %s: run %s not comparable", kept.pk, run_id, exc_info=True)
            return None
        spec = rerun_alert(kept, comparison)
        if spec is None:
            return None
        alert, _ = raise_alert(spec, owners(kept))
    return alert


def owners(kept: KeptBrief) -> set[int]:
    """Who is told of a kept brief's re-run: the members of its organisation who may change its
    work (admins and members), and the member who kept it."""
    members = Membership.objects.filter(organisation_id=kept.brief.organisation_id)
    told = set(members.filter(role__in=[Role.ADMIN, Role.MEMBER]).values_list("user_id", flat=True))
    if kept.kept_by_id is not None and members.filter(user_id=kept.kept_by_id).exists():
        told.add(kept.kept_by_id)
    return told


def rerun_alert(kept: KeptBrief, comparison: RunComparison) -> AlertSpec | None:
    """The alert of a re-run: one item per site that became eligible or dropped out, and per
    move in the top ten, each with why; None when none of these happened."""
    before, after = comparison.before, comparison.after
    url = reverse("matching:run-compare", kwargs={"pk": after.pk, "other": before.pk})
    day = (after.finished_at or after.created_at or timezone.now()).date()
    moves = top_moves(comparison)
    if not (comparison.entered_count or comparison.left_count or moves):
        return None

    def item(text: str) -> dict:
        return {"text": text, "date": day.isoformat(), "source": f"Run {after.pk}", "url": url}

    items = [item(_entered(change)) for change in comparison.entered]
    if comparison.entered_count > len(comparison.entered):
        more = comparison.entered_count - len(comparison.entered)
        items.append(item(f"And {_sites(more)} more became eligible: see the comparison."))
    items += [item(_left(change)) for change in comparison.left]
    if comparison.left_count > len(comparison.left):
        more = comparison.left_count - len(comparison.left)
        items.append(item(f"And {_sites(more)} more dropped out: see the comparison."))
    items += [item(_moved(change)) for change in moves]
    counts = [
        f"{comparison.entered_count} newly eligible" if comparison.entered_count else "",
        f"{comparison.left_count} dropped out" if comparison.left_count else "",
        f"{_moves(len(moves))} in the top {TOP}" if moves else "",
    ]
    title = f"“{kept.brief.title}” re-run: {', '.join(filter(None, counts))}"
    return AlertSpec(
        key=f"brief-rerun:{after.pk}",
        kind=AlertKind.BRIEF_RERUN,
        title=title,
        items=items,
        url=url,
        occurred_on=day,
        kept_brief_id=kept.pk,
    )


def top_moves(comparison: RunComparison) -> list[SiteChange]:
    """The sites that moved into, within or out of the top ten (ranked in both runs), best
    ranked first. The comparison lists the largest moves; a top-ten move beyond them (a large
    catalogue change moves many sites) is read here, its why from the two breakdowns."""
    before, after = comparison.before, comparison.after
    listed: dict[int | None, SiteChange] = {change.site_id: change for change in comparison.moved}
    top = set(
        Result.objects.filter(run__in=(before, after), eligible=True, rank__lte=TOP)
        .exclude(site=None)
        .values_list("site_id", flat=True)
    )
    ranks: dict[tuple[int, int], int] = {
        (run_id, site_id): rank
        for run_id, site_id, rank in Result.objects.filter(
            run__in=(before, after), eligible=True, site_id__in=top
        )
        .order_by()
        .values_list("run_id", "site_id", "rank")
    }
    moved = sorted(
        (
            site
            for site in top
            if (before.pk, site) in ranks
            and (after.pk, site) in ranks
            and ranks[(before.pk, site)] != ranks[(after.pk, site)]
        ),
        key=lambda site: (min(ranks[(before.pk, site)], ranks[(after.pk, site)]), site),
    )
    missing = [site for site in moved if site not in listed]
    if missing:
        listed.update(_read_moves(comparison, missing))
    return [listed[site] for site in moved if site in listed]


def _read_moves(comparison: RunComparison, sites: list[int]) -> dict[int | None, SiteChange]:
    """The moves of these sites, read from both runs' rows (a few: the top ten's)."""
    before, after = comparison.before, comparison.after
    old = {row.site_id: row for row in Result.objects.of_run(before).filter(site_id__in=sites)}
    new = {row.site_id: row for row in Result.objects.of_run(after).filter(site_id__in=sites)}
    changes: dict[int | None, SiteChange] = {}
    for site in sites:
        if site not in old or site not in new:
            continue
        was, now = _sub_scores(old[site]), _sub_scores(new[site])
        deltas = [(abs(now[c] - was[c]), c) for c in now if c in was]
        delta, criterion = max(deltas, default=(0.0, ""))
        if delta > EPSILON:
            label = CRITERION_LABELS.get(criterion, criterion).capitalize()
            why = f"{label} sub-score {was[criterion]:.2f} → {now[criterion]:.2f}."
        else:
            why = "Its sub-scores are unchanged; sites around it moved, entered or left."
        changes[site] = SiteChange(
            change="moved",
            site_id=site,
            site_name=new[site].site_name,
            provider_name=new[site].provider_name,
            rank_before=old[site].rank,
            rank_after=new[site].rank,
            score_before=old[site].score,
            score_after=new[site].score,
            why=why,
            criterion=criterion or None,
        )
    return changes


def _sub_scores(row: Result) -> dict[str, float]:
    return {
        part["criterion"]: float(part.get("sub_score") or 0)
        for part in row.breakdown or []
        if isinstance(part, dict) and part.get("criterion")
    }


def _named(change: SiteChange) -> str:
    return (
        f"{change.site_name} ({change.provider_name})" if change.provider_name else change.site_name
    )


def _entered(change: SiteChange) -> str:
    return f"{_named(change)} became eligible, ranked {change.rank_after}. {change.why}"


def _left(change: SiteChange) -> str:
    return f"{_named(change)} dropped out (ranked {change.rank_before} before). {change.why}"


def _moved(change: SiteChange) -> str:
    way = "up" if (change.places or 0) > 0 else "down"
    return (
        f"{_named(change)} moved {way} from {change.rank_before} to {change.rank_after}. "
        f"{change.why}"
    )


def _sites(count: int) -> str:
    return f"{count} site" if count == 1 else f"{count} sites"


def _moves(count: int) -> str:
    return f"{count} move" if count == 1 else f"{count} moves"


# --- Retention -----------------------------------------------------------------------------------


def protected_runs(run_ids: Collection[int]) -> set[int]:
    """The runs among `run_ids` a kept brief compares: its baseline and its latest re-run
    (registered with matching.retention.protect_runs, so both outlive the retention period)."""
    ids = set(run_ids)
    if not ids:
        return set()
    pairs = KeptBrief.objects.filter(
        Q(baseline_run_id__in=ids) | Q(last_run_id__in=ids)
    ).values_list("baseline_run_id", "last_run_id")
    return {run for pair in pairs for run in pair if run is not None} & ids
