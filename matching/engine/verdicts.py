"""Per requirement, whether a site meets what the brief states: meets, partly, does not, unknown.

A buyer reads these on each result row (matching/results.py) rather than sub-scores. They come
from the same data the sub-scores do (matching/engine/scoring.py), vectorised over the rows asked:

- a criterion the brief does not ask about has no verdict ("");
- unknown: the site gives no data to judge by: no maximum for the modality (scale), no phase
  served (phase), no date capacity is free from (availability), no recent record with any
  target market's authority (markets), no inspection in five years (compliance), no
  demonstrated containment level (containment);
- phase: meets when the site serves the brief's phase, partly when only a neighbouring one,
  else does not;
- scale: meets when the site's maximum reaches the batch, partly when it reaches PARTLY_SCALE of
  it (the batch in two runs), else does not;
- compliance: meets at or above the floor (COMPLIANCE_FLOOR), else does not;
- geography: meets in a preferred country or region, else does not;
- every other criterion, from its sub-score: 1 meets, 0 does not, in between partly (some of the
  requested forms, markets or certifications; an adjacent phase).
"""

import numpy as np
from numpy.typing import NDArray

from matching.engine.catalogue import STANDING_NONE
from matching.engine.criteria import CRITERIA
from matching.engine.scoring import (
    COMPLIANCE_FLOOR,
    MatchOutcome,
    _bit_set,
    _market_authority_columns,
    _preferred,
    _site_maximum,
)

MEETS = "meets"
PARTLY = "partly"
DOES_NOT = "does not"
UNKNOWN = "unknown"
VERDICTS = (MEETS, PARTLY, DOES_NOT, UNKNOWN)
# A site reaching this share of the batch fits it partly: it could make it in two runs.
PARTLY_SCALE = 0.5

_CODES = np.array(["", MEETS, PARTLY, DOES_NOT, UNKNOWN], dtype=object)
_NONE, _MEETS, _PARTLY, _DOES_NOT, _UNKNOWN = range(5)


def verdict_rows(outcome: MatchOutcome, rows: list[int]) -> list[list[str]]:
    """For each of `rows` (rows of the index), a verdict per criterion, in CRITERIA order."""
    return _CODES[verdict_codes(outcome, np.asarray(rows, dtype=np.intp))].tolist()


def verdict_codes(outcome: MatchOutcome, rows: NDArray[np.intp]) -> NDArray[np.int8]:
    """rows x CRITERIA: 0 not asked, 1 meets, 2 partly, 3 does not, 4 unknown."""
    criteria, index = outcome.criteria, outcome.index
    sub = outcome.subscores[rows]
    codes = np.where(sub >= 1, _MEETS, np.where(sub <= 0, _DOES_NOT, _PARTLY)).astype(np.int8)
    column = {name: position for position, name in enumerate(CRITERIA)}

    def judge(name: str, meets: NDArray[np.bool_], partly: NDArray[np.bool_] | None = None) -> None:
        fit = np.where(meets, _MEETS, _DOES_NOT)
        if partly is not None:
            fit = np.where(~meets & partly, _PARTLY, fit)
        codes[:, column[name]] = fit

    def unknown(name: str, mask: NDArray[np.bool_]) -> None:
        codes[mask, column[name]] = _UNKNOWN

    if criteria.batch_size is not None:
        maximum = _site_maximum(criteria, index)[rows]
        given = ~np.isnan(maximum)
        reach = np.where(given, maximum, 0.0) / float(criteria.batch_size)
        judge("scale", given & (reach >= 1), given & (reach >= PARTLY_SCALE))
        unknown("scale", ~given)
    if criteria.phase in index.phase_slugs:
        bit = index.phase_slugs.index(criteria.phase)
        mask = index.phase_mask[rows]
        adjacent = np.zeros(len(rows), dtype=bool)
        for neighbour in (bit - 1, bit + 1):
            if 0 <= neighbour < len(index.phase_slugs):
                adjacent |= _bit_set(mask, neighbour)
        judge("phase", _bit_set(mask, bit), adjacent)
        unknown("phase", mask == 0)
    if criteria.target_markets:
        recorded = np.zeros(len(rows), dtype=bool)
        for authority in _market_authority_columns(criteria, index):
            if authority is not None:
                recorded |= index.standing[rows, authority] != STANDING_NONE
        unknown("markets", ~recorded)
    compliance = index.compliance[rows]
    known = ~np.isnan(compliance)
    judge("compliance", known & (np.where(known, compliance, 0.0) >= COMPLIANCE_FLOOR))
    unknown("compliance", ~known)
    if criteria.max_oel_ug_m3 is not None:
        unknown("containment", np.isnan(index.oel_ug_m3[rows]))
    if criteria.preferred_regions or criteria.preferred_countries:
        judge("geography", _preferred(criteria, index)[rows])
    available_from = getattr(index, "available_from", None)
    if "availability" in column and available_from is not None:
        unknown("availability", np.isnan(available_from[rows]))

    asked = np.array([criteria.is_asked(name) for name in CRITERIA])
    codes[:, ~asked] = _NONE
    return codes
