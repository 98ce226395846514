"""The fixed, published scales on which phase and scale are scored, and the rule that every
sub-score keeps its own fixed scale.

Every sub-score is in [0, 1] on a scale set here or in scoring.py once and for all: none is ever
rescaled to the catalogue or to the sites a brief leaves eligible (no min-max, no percentile, no
"best site = 1"). A site's sub-scores therefore depend on the site and the brief alone, never on
which other sites exist, and a partial fit reads the same in every run.

Phase (the brief names one phase; phases in the order preclinical, phase 1, phase 2, phase 3,
commercial):

- serves the phase: PHASE_SERVED = 1.0;
- serves a neighbouring phase, not this one: PHASE_ADJACENT = 0.4;
- serves only phases two or more steps away: PHASE_FAR = 0.1;
- lists no phase served: PHASE_NONE = 0.0.

Scale (the site's maximum batch or volume for the brief's modality, against the batch asked;
ratio = maximum / batch, and what it means is how many runs one batch would need):

- ratio >= 1, one run makes the batch: SCALE_FULL = 1.0;
- 1/2 <= ratio < 1, two runs: from SCALE_TWO_RUNS_LOW = 0.4 at 1/2, rising linearly towards
  SCALE_TWO_RUNS_HIGH = 0.8 just below 1;
- ratio < 1/2, three runs or more: from 0 rising linearly towards SCALE_MANY_RUNS_HIGH = 0.2 just
  below 1/2 (a 200 L site for a 2,000 L batch: 0.04);
- no maximum given for the modality in the brief's unit: SCALE_UNKNOWN = 0.5.
"""

import numpy as np
from numpy.typing import NDArray

# Phase. A neighbouring phase is the same kind of GMP work one step up or down in scale and
# regulatory stage: a site could take the job after a transfer, but has not shown it, so it
# earns less than half a full fit. A site serving only distant phases (commercial-only for a
# phase 2 brief) is no fit in practice; 0.1 rather than 0 because it still shows GMP
# manufacture of some phase, which a site listing none does not.
PHASE_SERVED = 1.0
PHASE_ADJACENT = 0.4
PHASE_FAR = 0.1
PHASE_NONE = 0.0

# Scale. Below the batch, a site would have to split it: two runs per batch mean a second
# process validation and twice the batch records, so even a site just short of the batch scores
# well below one that makes it in one run (at most 0.8); three runs or more is a different
# process altogether (at most 0.2). Within each band more capacity still scores more.
SCALE_FULL = 1.0
SCALE_TWO_RUNS_FROM = 0.5  # the ratio from which two runs make the batch
SCALE_TWO_RUNS_LOW = 0.4
SCALE_TWO_RUNS_HIGH = 0.8
SCALE_MANY_RUNS_HIGH = 0.2
# A site that gives no maximum: neither shown to make the batch nor shown not to. Half, as for
# an unknown compliance record; it never passes a scale must-have.
SCALE_UNKNOWN = 0.5


def scale_subscore(ratio: NDArray[np.float64]) -> NDArray[np.float64]:
    """The scale sub-score of each maximum / batch ratio (>= 0), on the fixed scale above."""
    two_runs = SCALE_TWO_RUNS_LOW + (SCALE_TWO_RUNS_HIGH - SCALE_TWO_RUNS_LOW) * (
        ratio - SCALE_TWO_RUNS_FROM
    ) / (1 - SCALE_TWO_RUNS_FROM)
    many_runs = SCALE_MANY_RUNS_HIGH * ratio / SCALE_TWO_RUNS_FROM
    return np.where(
        ratio >= 1, SCALE_FULL, np.where(ratio >= SCALE_TWO_RUNS_FROM, two_runs, many_runs)
    )


def runs_needed(maximum: float, batch: float) -> int:
    """How many runs of at most `maximum` make one batch of `batch` (both > 0, one unit)."""
    return int(np.ceil(batch / maximum))
