"""Rank acceptability of a done run: how often each of its top sites stays on top when the
weights are not the brief's (SMAA-2, matching/engine/smaa.py does the sampling and ranking).

    analysis = start_analysis(run, user, sampling="uniform", samples=10_000, seed=0)  # QUEUED
    tasks.send_acceptability(analysis.pk)                         # the task, after commit

`execute_analysis(analysis_id)` runs one (the Celery task matching.tasks.execute_acceptability
calls it), and is safe to deliver twice: it claims the analysis with a conditional update
(QUEUED -> RUNNING, or RUNNING whose heartbeat is stale -> RUNNING again, one more attempt), so a
second delivery finds it claimed, running or done and returns. Every chunk writes `progress` and
`heartbeat_at` guarded by the attempt, and the result is stored by the same guarded update that
sets DONE: the same seed gives the same result, so a rerun writes the same row.

What is ranked: the run's eligible sites, read in one query from their stored breakdowns
(criterion, sub_score, weight), on the criteria the brief weighs (weight > 0), by the run's method.
The result names the run's top TOP_SITES sites and any other site that ranks first under some
weighting, each with its share of weightings ranking it first, in the top three, in the top ten,
and, for the leaders, their central weights.
"""

import datetime
import logging
import time
from typing import Any, cast

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone

from core.choices import JobStatus
from matching.engine import smaa
from matching.engine.criteria import CRITERION_LABELS
from matching.models import Acceptability, Result, Run
from matching.stored_results import breakdown_of, keys

logger = logging.getLogger(__name__)

MIN_SAMPLES = 100
MAX_SAMPLES = 1_000_000
MAX_SEED = 2**31 - 1
DEFAULT_SAMPLES = 10_000
# The run's top sites the result lists (more are listed when they lead under some weighting).
TOP_SITES = 20
# 1,000,000 weightings over 20,000 eligible sites take minutes; these stop one that hangs.
SOFT_TIME_LIMIT = 15 * 60
TIME_LIMIT = 16 * 60
MAX_ATTEMPTS = 3
# Progress is written at most this often (and on every whole percent).
PROGRESS_EVERY = 1.0


def stale_after() -> datetime.timedelta:
    """A RUNNING analysis whose heartbeat is older than this belongs to a dead worker."""
    return datetime.timedelta(seconds=max(settings.MATCHING_RUN_STALE_SECONDS, 2 * 60))


def latest_for(run: Run) -> Acceptability | None:
    """The run's newest analysis, which its page shows."""
    return Acceptability.objects.filter(run=run).order_by("-created_at", "-id").first()


def analysis_errors(sampling: str, samples: object, seed: object) -> dict[str, str]:
    """What is wrong with the asked sampling, samples and seed, by field (None: already
    refused as not a number, nothing more to say)."""
    errors = {}
    if sampling not in Acceptability.Sampling.values:
        errors["sampling"] = f"Unknown sampling “{sampling}”: uniform or around."
    if samples is not None and (
        not isinstance(samples, int) or not MIN_SAMPLES <= samples <= MAX_SAMPLES
    ):
        errors["samples"] = f"Between {MIN_SAMPLES:,} and {MAX_SAMPLES:,} weightings."
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        errors["seed"] = f"A whole number from 0 to {MAX_SEED:,}."
    return errors


def start_analysis(
    run: Run,
    user: Any,
    sampling: str = Acceptability.Sampling.UNIFORM,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Acceptability:
    """Create a QUEUED analysis of a done run, or return the same one already under way. The
    caller sends it (matching.tasks.send_acceptability). Raises ValidationError naming the
    field."""
    if run.status != JobStatus.DONE:
        raise ValidationError(
            {
                "run": f"The run is {run.get_status_display().lower()}: only a done run's ranking "
                "can be analysed."
            }
        )
    # None would mean "already refused" to analysis_errors: here it is a missing number.
    errors = analysis_errors(
        sampling, "" if samples is None else samples, "" if seed is None else seed
    )
    if errors:
        raise ValidationError(errors)
    # A second click while the same analysis runs follows that one.
    active = (
        Acceptability.objects.filter(
            run=run,
            sampling=sampling,
            samples=samples,
            seed=seed,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if active is not None:
        return active
    return Acceptability.objects.create(
        run=run,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        sampling=sampling,
        samples=samples,
        seed=seed,
    )


def note_broker_down(analysis_id: int) -> None:
    """The task could not be sent: the analysis stays QUEUED saying so; starting it again (the
    same sampling, samples and seed) sends it again."""
    Acceptability.objects.filter(pk=analysis_id, status=JobStatus.QUEUED).update(
        error="The task queue is unavailable just now: start the analysis again in a minute."
    )


class _TakenOver(Exception):
    """The analysis is no longer this attempt's: another worker took it over, or it is gone."""


def execute_analysis(analysis_id: int) -> bool:
    """Compute the analysis, unless it is gone, done, or running elsewhere. Returns whether this
    call computed it (to the end, or to a failure it recorded). Never raises for a failure."""
    now = timezone.now()
    claimed = (
        Acceptability.objects.filter(pk=analysis_id)
        .filter(
            Q(status=JobStatus.QUEUED)
            | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - stale_after())
        )
        .update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=0,
            error="",
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    analysis = Acceptability.objects.select_related("run").filter(pk=analysis_id).first()
    if analysis is None:
        return False
    attempt = analysis.attempts
    if attempt > MAX_ATTEMPTS:
        _fail(
            analysis_id,
            attempt,
            f"stopped: the workers computing it stopped {MAX_ATTEMPTS} times; start it again.",
        )
        return True
    try:
        result = analyse(analysis, _progress_writer(analysis_id, attempt))
    except _TakenOver:
        return False
    except SoftTimeLimitExceeded:
        _fail(
            analysis_id,
            attempt,
            f"stopped: it took longer than {SOFT_TIME_LIMIT // 60} minutes; try fewer weightings.",
        )
        return True
    except Exception as error:  # anything unexpected must still end it, not leave it running
        logger.exception("Acceptability analysis %s failed", analysis_id)
        _fail(
            analysis_id,
            attempt,
            f"it stopped on an unexpected error ({type(error).__name__}: {error}); start it again.",
        )
        return True
    finished = timezone.now()
    stored = Acceptability.objects.filter(
        pk=analysis_id, status=JobStatus.RUNNING, attempts=attempt
    ).update(
        status=JobStatus.DONE,
        progress=100,
        result=result,
        error="",
        heartbeat_at=finished,
        finished_at=finished,
    )
    return bool(stored)


def subscore_matrix(run: Run) -> tuple[list[dict[str, Any]], list[str], np.ndarray, np.ndarray]:
    """The run's eligible sites by rank (id, names, rank), the criteria the brief weighs, their
    sub-scores (sites x criteria) and the brief's weights of them: one query, and one more for
    the run's key when its rows are compact."""
    stored = list(
        Result.objects.filter(run=run, eligible=True)
        .order_by("rank", "id")
        .values_list("site_id", "site_name", "provider_name", "rank", "breakdown", "parts")
    )
    # A run's compact rows are read with its key (matching/stored_results.py).
    key = keys([run.pk]).get(run.pk) if any(row[5] is not None for row in stored) else None
    rows = [(*row[:4], breakdown_of(key, row[5], row[4])) for row in stored]
    sites = [
        {"site_id": site_id, "site_name": site_name, "provider_name": provider, "rank": rank}
        for site_id, site_name, provider, rank, _ in rows
    ]
    if not rows:
        return sites, [], np.empty((0, 0)), np.empty(0)
    first = rows[0][4]
    weighed = [part["criterion"] for part in first if part["weight"] > 0]
    # Every weight 0 (the run weighed the asked criteria equally): all criteria, equally.
    criteria = weighed or [part["criterion"] for part in first]
    weight_of = {part["criterion"]: part["weight"] for part in first}
    weights = np.array([weight_of[name] if weighed else 1.0 for name in criteria], dtype=float)
    columns = {name: column for column, name in enumerate(criteria)}
    matrix = np.empty((len(rows), len(criteria)))
    for row, (*_, breakdown) in enumerate(rows):
        for part in breakdown:
            column = columns.get(part["criterion"])
            if column is not None:
                matrix[row, column] = part["sub_score"]
    return sites, criteria, matrix, weights


def analyse(analysis: Acceptability, progress: smaa.Progress | None = None) -> dict[str, Any]:
    """The analysis's result as stored: shares per listed site and the leaders' central
    weights."""
    run = analysis.run
    sites, criteria, matrix, weights = subscore_matrix(run)
    base = {
        "method": run.method,
        "sampling": analysis.sampling,
        "samples": analysis.samples,
        "seed": analysis.seed,
        "eligible": len(sites),
        "criteria": [
            {"criterion": name, "label": CRITERION_LABELS[name].capitalize(), "weight": weight}
            for name, weight in zip(criteria, weights.tolist(), strict=True)
        ],
    }
    if not sites:
        return base | {"sites": []}
    outcome = smaa.rank_acceptability(
        matrix,
        weights,
        method=cast(smaa.Method, run.method),
        sampling=cast(smaa.Sampling, analysis.sampling),
        samples=analysis.samples,
        seed=analysis.seed,
        progress=progress,
    )
    first, top3, top10 = (outcome.share(rank) for rank in smaa.RANKS)
    central = outcome.central_weights()
    listed = sorted(set(range(min(TOP_SITES, len(sites)))) | set(np.flatnonzero(first).tolist()))
    return base | {
        "sites": [
            sites[row]
            | {
                "first": round(float(first[row]), 6),
                "top3": round(float(top3[row]), 6),
                "top10": round(float(top10[row]), 6),
                "central_weights": (
                    {
                        name: round(float(value), 4)
                        for name, value in zip(criteria, central[row].tolist(), strict=True)
                    }
                    if first[row] > 0
                    else None
                ),
            }
            for row in listed
        ]
    }


def _progress_writer(analysis_id: int, attempt: int) -> smaa.Progress:
    """A progress callback writing the percent and the heartbeat at most every PROGRESS_EVERY
    seconds or whole percent; stops the work if the analysis is no longer this attempt's."""
    written = {"percent": 0, "at": time.monotonic()}

    def report(done: int, total: int) -> None:
        percent = min(99, done * 100 // total)
        now = time.monotonic()
        if percent == written["percent"] and now - written["at"] < PROGRESS_EVERY:
            return
        updated = Acceptability.objects.filter(
            pk=analysis_id, status=JobStatus.RUNNING, attempts=attempt
        ).update(progress=percent, heartbeat_at=timezone.now())
        if not updated:
            raise _TakenOver
        written.update(percent=percent, at=now)

    return report


def _fail(analysis_id: int, attempt: int, error: str) -> None:
    Acceptability.objects.filter(pk=analysis_id, status=JobStatus.RUNNING, attempts=attempt).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )


def as_table(analysis: Acceptability | None) -> dict[str, Any] | None:
    """A done analysis's result as its page shows it: shares as percentages with one decimal,
    the leaders (sites first under some weighting, most often first) with their central weights
    beside the brief's own."""
    if analysis is None or analysis.status != JobStatus.DONE or not analysis.result:
        return None
    result = analysis.result
    criteria = result["criteria"]
    total = sum(part["weight"] for part in criteria) or 1.0

    def percent(share: float) -> str:
        return f"{share * 100:.1f} %"

    sites = [
        site
        | {
            "first_pct": percent(site["first"]),
            "top3_pct": percent(site["top3"]),
            "top10_pct": percent(site["top10"]),
        }
        for site in sorted(result["sites"], key=lambda site: site["rank"])
    ]
    leaders = [
        site
        | {"weights": [percent(site["central_weights"][part["criterion"]]) for part in criteria]}
        for site in sorted(sites, key=lambda site: (-site["first"], site["rank"]))
        if site["central_weights"]
    ]
    return {
        "sites": sites,
        "leaders": leaders,
        "criteria": criteria,
        "brief_weights": [percent(part["weight"] / total) for part in criteria],
        "eligible": result["eligible"],
    }
