"""The published method by which match runs rank sites, as /methodology/ranking/ shows it.

Every number here is read from the engine's own constants at the moment the page is drawn
(matching/engine/scales.py, criteria.py, scoring.py, mcda.py, stability.py, smaa.py and
matching/acceptability.py), never copied: change a constant and the page follows.
"""

import math
from typing import Any

import numpy as np

from matching import acceptability
from matching.engine import criteria, scales, scoring, smaa, stability

# How each list whose items can be must-haves on their own is named in a sentence.
ITEM_LIST_LABELS = {
    "dosage_forms": "dosage forms",
    "services": "services",
    "technologies": "technologies",
    "target_markets": "target markets",
    "required_certifications": "required certifications",
}


def _share(value: float) -> str:
    """A sub-score as the page prints it: up to three decimals, no trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _scale_examples() -> list[dict[str, Any]]:
    """A site's sub-score at a few maximum / batch ratios, computed by the engine's function."""
    ratios = (1.0, 0.9, 0.75, scales.SCALE_TWO_RUNS_FROM, 0.25, 0.1)
    scores = scales.scale_subscore(np.array(ratios, dtype=np.float64))
    return [
        {
            "maximum": round(2000 * ratio),
            "runs": scales.runs_needed(2000 * ratio, 2000),
            "score": _share(float(score)),
        }
        for ratio, score in zip(ratios, scores, strict=True)
    ]


def _availability_examples() -> list[dict[str, Any]]:
    late_days = scoring.AVAILABILITY_LATE_DAYS
    return [
        {"days": days, "score": _share(max(0.0, min(1.0, 1 - max(days, 0) / late_days)))}
        for days in sorted({0, 30, 90, 180, late_days} & set(range(late_days + 1)))
    ]


def _around_variation() -> float:
    """How much each weight of the "around" sampling varies, as a share of itself, when every
    criterion is weighed equally: the coefficient of variation of a Dirichlet marginal with
    mean 1/n and total concentration AROUND_CONCENTRATION x n, sqrt((n - 1) / (k n + 1))."""
    n = len(criteria.CRITERIA)
    return math.sqrt((n - 1) / (smaa.AROUND_CONCENTRATION * n + 1))


def describe_ranking_methodology() -> dict[str, Any]:
    """What the ranking page states, every figure read from the engine's code."""
    return {
        "criteria": [criteria.CRITERION_LABELS[name] for name in criteria.CRITERIA],
        "weights": {
            "min": criteria.MIN_WEIGHT,
            "max": criteria.MAX_WEIGHT,
            "default": criteria.DEFAULT_WEIGHT,
        },
        "phase": {
            "served": _share(scales.PHASE_SERVED),
            "adjacent": _share(scales.PHASE_ADJACENT),
            "far": _share(scales.PHASE_FAR),
            "none": _share(scales.PHASE_NONE),
        },
        "scale": {
            "full": _share(scales.SCALE_FULL),
            "two_runs_from": _share(scales.SCALE_TWO_RUNS_FROM),
            "two_runs_low": _share(scales.SCALE_TWO_RUNS_LOW),
            "two_runs_high": _share(scales.SCALE_TWO_RUNS_HIGH),
            "many_runs_high": _share(scales.SCALE_MANY_RUNS_HIGH),
            "unknown": _share(scales.SCALE_UNKNOWN),
            "examples": _scale_examples(),
        },
        "availability": {
            "late_days": scoring.AVAILABILITY_LATE_DAYS,
            "examples": _availability_examples(),
        },
        "neutral": _share(scoring.NEUTRAL),
        "compliance_floor": _share(scoring.COMPLIANCE_FLOOR),
        "item_lists": [
            {
                "label": ITEM_LIST_LABELS.get(name, name.replace("_", " ")),
                "criterion": criteria.CRITERION_LABELS[criterion],
            }
            for name, criterion in criteria.ITEM_LISTS.items()
        ],
        "stability": {
            "top": stability.TOP,
            "top_order": stability.TOP_ORDER,
            "grid_step": _share(stability.GRID_STEP),
            "precision": _share(stability.PRECISION),
        },
        "acceptability": {
            "ranks": list(smaa.RANKS),
            "concentration": _share(smaa.AROUND_CONCENTRATION),
            "criteria_count": len(criteria.CRITERIA),
            "variation": f"{_around_variation():.2f}",
            "default_samples": acceptability.DEFAULT_SAMPLES,
            "min_samples": acceptability.MIN_SAMPLES,
            "max_samples": acceptability.MAX_SAMPLES,
            "top_sites": acceptability.TOP_SITES,
        },
    }
