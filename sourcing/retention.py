"""The match runs sourcing refers to, which the runs' retention must keep (matching/retention.py):
the run a shortlist candidate was added from (its score and rank came from it), and every run a
decision record froze (the record's run and its candidates' runs, read from its snapshot, which
keeps them even after a candidate is removed). Registered in SourcingConfig.ready()."""

from collections.abc import Collection
from typing import Any

from matching.models import Run
from sourcing.models import Candidate, Decision


def referred_runs(run_ids: Collection[int]) -> set[int]:
    """The runs among `run_ids` that a candidate or a decision record refers to."""
    ids = set(run_ids)
    if not ids:
        return set()
    referred = set(
        Candidate.objects.filter(run_id__in=ids).values_list("run_id", flat=True).distinct()
    )
    # A record refers to runs of its own organisation: only those records are read.
    organisations = Run.objects.filter(pk__in=ids).values("organisation_id")
    snapshots = Decision.objects.filter(shortlist__organisation_id__in=organisations).values_list(
        "snapshot", flat=True
    )
    for snapshot in snapshots.iterator():
        referred.update(snapshot_runs(snapshot))
    return referred & ids


def snapshot_runs(snapshot: Any) -> set[int]:
    """The run ids a decision record's snapshot names (sourcing/decisions.py writes it)."""
    if not isinstance(snapshot, dict):
        return set()
    found: set[int] = set()
    run = snapshot.get("run")
    if isinstance(run, dict) and isinstance(run.get("id"), int):
        found.add(run["id"])
    for candidate in snapshot.get("candidates") or []:
        if isinstance(candidate, dict) and isinstance(candidate.get("run_id"), int):
            found.add(candidate["run_id"])
    return found
