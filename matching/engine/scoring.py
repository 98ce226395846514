"""The matching engine: scores every site of the catalogue index against one brief.

Pure Python and NumPy (no ORM, no Celery): `score_catalogue` computes, vectorised over all sites,
a sub-score in [0, 1] per criterion (matching/engine/criteria.py, CRITERIA), excludes the sites
failing a must-have, and ranks the rest; `explain` writes the sentences, only for the sites asked.

Sub-scores (a criterion the brief does not ask about scores 1 everywhere and weighs 0):

- capability: 0 without the brief's modality; else the share of the requested dosage forms,
  services and technologies the site offers (1 when none is requested).
- phase: 1 if the site serves the phase, 0.4 if only a neighbouring one, 0.1 if only phases
  further away, 0 if it lists none (matching/engine/scales.py, the published scale).
- scale: the site's maximum for the brief's modality in the brief's unit (kg or L) against the
  batch: 1 when it makes the batch in one run, 0.4-0.8 when it would need two, below 0.2 when
  three or more; 0.5 when the site gives no maximum (matching/engine/scales.py).
- markets: the share of target markets whose authority the site stands well with
  (matching/index.py documents "stands well").
- certifications: the share of the required kinds the site holds valid.
- compliance: the compliance score / 100 (the score's own fixed 0-100 scale, published at
  /methodology/); unknown is 0.5, never as good as a clean record.
- containment: 1 if the site's lowest demonstrated OEL is at or below the brief's, else 0.
- controlled_substances: 1 if the site is registered for the brief's DEA schedule, else 0.
- geography: 1 in a preferred country or region, 0.5 elsewhere, 0 in an excluded country.
- development: 1 if the provider is a CDMO (development offered), else 0.
- availability: 1 if the site has capacity free by the brief's needed-by date; later, 1 less
  1/AVAILABILITY_LATE_DAYS per day late, down to 0 at AVAILABILITY_LATE_DAYS (a year) late;
  0.5 (NEUTRAL) when the site does not say. Asked only when the brief gives a needed-by date.

A site *fails* a criterion when:

- capability: it lacks the modality or any requested dosage form, service or technology;
- scale: it gives a maximum below the batch, or none in the brief's unit (scale unknown);
- compliance: its record is unknown or scores below COMPLIANCE_FLOOR;
- geography: it is not in a preferred country or region;
- every other criterion: its sub-score is below 1.

Each item of the brief's dosage forms, services, technologies, target markets and required
certifications may be a must-have of its own (BriefCriteria.must_have_items): a site fails it when
it does not offer the term, does not stand well with the market's authority, or holds no valid
certificate of the kind. The item's criterion still scores every item, must-have or not.

A failed must-have excludes the site. Sites in an excluded country are always excluded (the
EXCLUDED_COUNTRIES rule), must-have or not. The score is the weighted mean of the sub-scores,
x 100; with method="topsis" it is the TOPSIS closeness on the same fixed scale (ideal 1 and
anti-ideal 0 on every criterion: matching/engine/mcda.py), x 100. No sub-score is rescaled to the
catalogue or to the eligible sites, so a site's score depends on the site and the brief alone:
adding or removing other sites never changes it, nor reorders the rest.

A site with no modality on record is *not profiled*: what it makes is not known (a site
of FDA's establishment registrations is listed by its registered operations until a curator
profiles it). It is excluded, and the funnel counts it apart (the NOT_PROFILED step, before the
modality, which then counts only profiled sites that do not make the brief's modality), rather
than as a site that fails the modality.

The exclusion funnel takes the constraints in order (NOT_PROFILED when a site is not profiled,
the modality, EXCLUDED_COUNTRIES, then the must-haves in CRITERIA order, each criterion's item
must-haves after it, one step per item): each step's `removed` counts the sites it removes
among those the previous steps left, so the steps add up to the excluded total;
`removed_alone` counts every site failing it, whatever the others say. The relaxation
suggestion is the must-have whose removal
admits the most sites: those failing it and no other constraint.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from core.quantities import format_quantity
from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, CatalogueIndex
from matching.engine.criteria import (
    CRITERIA,
    CRITERION_LABELS,
    ITEM_LISTS,
    BriefCriteria,
    item_constraint,
    split_item_constraint,
)
from matching.engine.mcda import topsis
from matching.engine.scales import (
    PHASE_ADJACENT,
    PHASE_FAR,
    PHASE_NONE,
    PHASE_SERVED,
    SCALE_UNKNOWN,
    runs_needed,
    scale_subscore,
)

# A compliance must-have excludes unknown records and scores below this.
COMPLIANCE_FLOOR = 50.0
# The sub-score of a site that gives no scale, or whose compliance record is unknown.
NEUTRAL = 0.5
# Availability: a site free this many days after the needed-by date scores 0 (linearly between).
AVAILABILITY_LATE_DAYS = 365
# Pseudo-constraints, always applied and never offered for relaxation: the brief's modality
# (a site that does not make it is no candidate: DESIGN.md's hard constraints) and its
# excluded countries.
MODALITY = "modality"
EXCLUDED_COUNTRIES = "excluded_countries"
# Not a requirement of the brief: the sites with no modality on record (module docstring).
NOT_PROFILED = "not_profiled"
HARD_CONSTRAINT_LABELS = {
    NOT_PROFILED: "not profiled",
    MODALITY: "modality",
    EXCLUDED_COUNTRIES: "excluded countries",
}

Method = Literal["weighted", "topsis"]
_COLUMN = {name: column for column, name in enumerate(CRITERIA)}


@dataclass(frozen=True)
class FunnelStep:
    """How many sites one constraint removes (module docstring: the funnel)."""

    constraint: str  # a criterion name, an item must-have (item_constraint) or a hard constraint
    removed: int
    removed_alone: int
    relaxable: bool


@dataclass(frozen=True)
class Relaxation:
    """The one must-have whose removal would admit the most sites."""

    criterion: str  # the constraint: a criterion name or an item must-have (item_constraint)
    admitted: int
    # What the must-have asks, in a few words ("EU GMP", "phase 2"); the criterion if unset.
    requirement: str = ""

    def __str__(self) -> str:
        sites = "site" if self.admitted == 1 else "sites"
        what = self.requirement or CRITERION_LABELS[self.criterion]
        return f"drop the {what} must-have: +{self.admitted:,} {sites}"


@dataclass(frozen=True)
class CriterionExplanation:
    criterion: str
    subscore: float
    weight: float  # the weight in the mean: 0 when the brief does not ask
    must_have: bool
    failed: bool
    sentence: str


@dataclass(frozen=True, eq=False)
class MatchOutcome:
    """One brief scored against the whole index; arrays are indexed by the index's rows."""

    criteria: BriefCriteria
    index: CatalogueIndex
    method: Method
    weights: NDArray[np.float64]  # per criterion, as used in the mean
    subscores: NDArray[np.float64]  # sites x CRITERIA
    fails: NDArray[np.bool_]  # sites x CRITERIA: fails the criterion (must-have or not)
    scores: NDArray[np.float64]  # 0-100 for eligible sites, NaN for excluded ones
    eligible: NDArray[np.bool_]
    ranking: NDArray[np.intp]  # rows of the eligible sites, best first, ties by site id
    constraints: tuple[str, ...]  # the funnel's constraints, in order
    failures: NDArray[np.bool_]  # sites x constraints
    funnel: tuple[FunnelStep, ...]
    relaxation: Relaxation | None

    @property
    def eligible_site_ids(self) -> NDArray[np.int64]:
        return self.index.site_ids[self.ranking]

    @property
    def excluded_rows(self) -> NDArray[np.intp]:
        return np.flatnonzero(~self.eligible)

    @property
    def excluded_site_ids(self) -> NDArray[np.int64]:
        return self.index.site_ids[~self.eligible]

    def failed_constraints(self, row: int) -> list[str]:
        return [c for c, failed in zip(self.constraints, self.failures[row], strict=True) if failed]

    def first_failed(self, row: int) -> str | None:
        failed = self.failed_constraints(row)
        return failed[0] if failed else None

    def exclusion_reason(self, row: int) -> str | None:
        """Why the site is excluded, naming its first failed constraint; None if it is not."""
        constraint = self.first_failed(row)
        if constraint is None:
            return None
        return self._reason(constraint, row)

    def exclusion_reasons(self, rows: NDArray[np.intp]) -> list[str | None]:
        """`exclusion_reason` of each of `rows`, for a whole run at once: the same sentences,
        with those that do not depend on the site (modality) or only on its country written
        once each."""
        failures = self.failures[rows]
        first = failures.argmax(axis=1).tolist()
        failed = _any_per_row(failures).tolist()
        written: dict[tuple[str, str], str] = {}
        reasons: list[str | None] = []
        for row, column, excluded in zip(rows.tolist(), first, failed, strict=True):
            if not excluded:
                reasons.append(None)
                continue
            constraint = self.constraints[column]
            if constraint in (MODALITY, NOT_PROFILED):
                key = (constraint, "")
            elif constraint == EXCLUDED_COUNTRIES:
                key = (constraint, str(self.index.countries[row]))
            elif _SITE_FREE_ITEM_REASON.get(constraint.partition(":")[0], False):
                key = (constraint, "")
            else:
                reasons.append(self._reason(constraint, row))
                continue
            if key not in written:
                written[key] = self._reason(constraint, row)
            reasons.append(written[key])
        return reasons

    def _reason(self, constraint: str, row: int) -> str:
        if constraint == NOT_PROFILED:
            return "Not profiled: no capability on record says what it makes."
        if constraint == MODALITY:
            modality = self.index.label(self.criteria.modality)
            return f"Modality: does not make {modality}, the brief's modality."
        if constraint == EXCLUDED_COUNTRIES:
            country = self.index.label(str(self.index.countries[row]))
            return f"Excluded country: is in {country}, which the brief excludes."
        item = split_item_constraint(constraint)
        if item is not None:
            list_name, code = item
            sentence = _item_sentence(self, list_name, code, row)
            return f"Must-have {_ITEM_NOUNS[list_name]}: {sentence}."
        label = CRITERION_LABELS[constraint].capitalize()
        return f"Must-have {label}: {_SENTENCES[constraint](self, row)}."

    def constraint_label(self, constraint: str) -> str:
        """The constraint as the funnel names it: "modality", "phase", "EU GMP certificate"."""
        if constraint in HARD_CONSTRAINT_LABELS:
            return HARD_CONSTRAINT_LABELS[constraint]
        if split_item_constraint(constraint) is not None:
            return requirement(constraint, self.criteria, self.index)
        return CRITERION_LABELS[constraint]

    def row_of(self, site_id: int) -> int:
        rows = np.flatnonzero(self.index.site_ids == site_id)
        if not len(rows):
            raise KeyError(site_id)
        return int(rows[0])


def score_catalogue(
    criteria: BriefCriteria, index: CatalogueIndex, method: Method = "weighted"
) -> MatchOutcome:
    """Score every site of `index` against `criteria`, exclude, rank, and count the funnel."""
    if method not in ("weighted", "topsis"):
        raise ValueError(f"Unknown method {method!r}: weighted or topsis.")
    n = index.site_count
    subscores = np.ones((n, len(CRITERIA)), dtype=np.float64)
    fails = np.zeros((n, len(CRITERIA)), dtype=bool)
    asked = np.array([criteria.is_asked(name) for name in CRITERIA])
    for name in CRITERIA:
        if asked[_COLUMN[name]]:
            sub, fail = _SCORERS[name](criteria, index)
            subscores[:, _COLUMN[name]] = sub
            fails[:, _COLUMN[name]] = fail

    weights = np.array([criteria.weight(name) for name in CRITERIA]) * asked
    if weights.sum() <= 0:
        # Every asked criterion weighs 0 (validate() refuses this): weigh them equally rather
        # than divide by zero.
        weights = asked.astype(np.float64)

    profiled = _profiled(index)
    hard = {
        NOT_PROFILED: ~profiled,
        MODALITY: profiled & ~_has_modality(criteria, index),
        EXCLUDED_COUNTRIES: np.isin(index.countries, list(criteria.excluded_countries)),
    }
    items = criteria.item_must_haves()
    for list_name, item in items:
        hard[item_constraint(list_name, item)] = _item_fails(list_name, item, criteria, index)
    constraints = (
        ((NOT_PROFILED,) if not profiled.all() else ())
        + (MODALITY,)
        + ((EXCLUDED_COUNTRIES,) if criteria.excluded_countries else ())
        + tuple(
            constraint
            for name in CRITERIA
            for constraint in (
                *((name,) if name in criteria.must_haves else ()),
                *(item_constraint(*pair) for pair in items if ITEM_LISTS[pair[0]] == name),
            )
        )
    )
    failures = np.column_stack(
        [hard[c] if c in hard else fails[:, _COLUMN[c]] for c in constraints]
    ).reshape(n, len(constraints))
    eligible = ~_any_per_row(failures)

    scores = np.full(n, np.nan)
    rows = np.flatnonzero(eligible)
    if method == "weighted":
        # Accumulated criterion by criterion, not by a matrix product: BLAS may sum a row in
        # another order depending on how many rows it is given, and a site's score must be the
        # same bit for bit whatever other sites are eligible (no rank reversal, even of ties).
        total = np.zeros(len(rows))
        for column in np.flatnonzero(weights):
            total += subscores[rows, column] * weights[column]
        scores[rows] = np.clip(total / weights.sum() * 100, 0, 100)
    elif len(rows):
        used = weights > 0
        scores[rows] = topsis(subscores[rows][:, used], weights[used]).closeness * 100
    ranking = rows[np.lexsort((index.site_ids[rows], -scores[rows]))]

    funnel, relaxation = _funnel(constraints, failures)
    if relaxation is not None:
        relaxation = replace(
            relaxation, requirement=requirement(relaxation.criterion, criteria, index)
        )
    return MatchOutcome(
        criteria=criteria,
        index=index,
        method=method,
        weights=weights,
        subscores=subscores,
        fails=fails,
        scores=scores,
        eligible=eligible,
        ranking=ranking,
        constraints=constraints,
        failures=failures,
        funnel=funnel,
        relaxation=relaxation,
    )


def explain(outcome: MatchOutcome, row: int) -> list[CriterionExplanation]:
    """One sentence per criterion for the site in row `row` of the index."""
    return explain_rows(outcome, [row])[0]


def explain_rows(outcome: MatchOutcome, rows: list[int]) -> list[list[CriterionExplanation]]:
    """`explain` for each of `rows` (a whole run's): what does not depend on the site (weights,
    must-haves, which criteria are asked) is worked out once, and each sentence once per
    distinct set of the facts it reads (`explanation_columns`)."""
    columns = explanation_columns(outcome, rows)
    subscores = outcome.subscores[rows].tolist()
    fails = outcome.fails[rows].tolist()
    return [
        [
            CriterionExplanation(
                criterion=column.criterion,
                subscore=subscores[position][number],
                weight=column.weight,
                must_have=column.must_have,
                failed=fails[position][number],
                sentence=column.sentences[position],
            )
            for number, column in enumerate(columns)
        ]
        for position in range(len(rows))
    ]


@dataclass(frozen=True)
class ExplanationColumn:
    """One criterion's explanations for a list of rows: what is the same for every site, and a
    sentence per row."""

    criterion: str
    weight: float
    must_have: bool
    sentences: list[str]


def explanation_columns(outcome: MatchOutcome, rows: list[int]) -> list[ExplanationColumn]:
    """Per criterion (CRITERIA order), the sentence of each of `rows`.

    A catalogue repeats itself: thousands of sites hold the same certificates, serve the same
    phases, sit in the same country. So the rows are grouped by the facts a criterion's sentence
    reads (`_SENTENCE_FACTS`) and the sentence is written once per group, then shared: a run
    writes a few hundred sentences, not one per site and criterion."""
    criteria = outcome.criteria
    at = np.asarray(rows, dtype=np.intp)
    columns = []
    for column, name in enumerate(CRITERIA):
        if not criteria.is_asked(name) or not len(at):
            sentences = [_NOT_ASKED] * len(at)
        else:
            write = _SENTENCES[name]
            first, group = _groups(_SENTENCE_FACTS[name](outcome, at))
            written = [_sentence(write(outcome, int(at[position]))) for position in first]
            sentences = [written[g] for g in group.tolist()]
        columns.append(
            ExplanationColumn(
                criterion=name,
                weight=float(outcome.weights[column]),
                must_have=name in criteria.must_haves,
                sentences=sentences,
            )
        )
    return columns


_NOT_ASKED = "Not asked."


def _sentence(text: str) -> str:
    return text.rstrip(".") + "."


def _groups(facts: list[NDArray[Any]]) -> tuple[list[int], NDArray[np.intp]]:
    """Rows grouped by equal facts (each array: one value, or one row of values, per row):
    the first position of each group, and each row's group. Equal bytes are equal facts."""
    count = len(facts[0])
    group = np.zeros(count, dtype=np.int64)
    for fact in facts:
        values = np.ascontiguousarray(fact).reshape(count, -1)
        if not values.shape[1]:
            continue
        as_bytes = values.view(np.dtype((np.void, values.dtype.itemsize * values.shape[1])))
        _, codes = np.unique(as_bytes.reshape(count), return_inverse=True)
        # Below count * count: the codes are renumbered after each fact.
        _, group = np.unique(
            group * (int(codes.max()) + 1) + codes.reshape(count), return_inverse=True
        )
    _, first, group = np.unique(group, return_index=True, return_inverse=True)
    return first.tolist(), group.reshape(count)


def _funnel(
    constraints: tuple[str, ...], failures: NDArray[np.bool_]
) -> tuple[tuple[FunnelStep, ...], Relaxation | None]:
    remaining = np.ones(len(failures), dtype=bool)
    failing_only_this = failures & (failures.sum(axis=1) == 1)[:, None]
    steps = []
    best: Relaxation | None = None
    for column, constraint in enumerate(constraints):
        failed = failures[:, column]
        relaxable = constraint not in HARD_CONSTRAINT_LABELS
        steps.append(
            FunnelStep(
                constraint=constraint,
                removed=int((remaining & failed).sum()),
                removed_alone=int(failed.sum()),
                relaxable=relaxable,
            )
        )
        remaining &= ~failed
        admitted = int(failing_only_this[:, column].sum())
        if relaxable and admitted > 0 and (best is None or admitted > best.admitted):
            best = Relaxation(criterion=constraint, admitted=admitted)
    return tuple(steps), best


def requirement(criterion: str, criteria: BriefCriteria, index: CatalogueIndex) -> str:
    """What the brief's must-have on `criterion` asks, in a few words: "EU GMP", "phase 2",
    "US and EU markets"; the criterion's name when there is nothing more specific to say.
    An item must-have (item_constraint) names its item: "EU GMP certificate", "US market"."""
    item = split_item_constraint(criterion)
    if item is not None:
        list_name, code = item
        return f"{code} market" if list_name == "target_markets" else index.label(code)
    if criterion == "capability":
        # The modality is a hard constraint that dropping this must-have never relaxes: what
        # the must-have adds is the requested forms, services and technologies.
        terms = _requested_terms(criteria)
        return (
            _listing([index.label(slug) for slug in terms]) if 0 < len(terms) <= 3 else "capability"
        )
    if criterion == "phase" and criteria.phase:
        return index.label(criteria.phase)
    if criterion == "scale" and criteria.batch_size:
        return f"{format_quantity(criteria.batch_size)} {criteria.batch_unit} scale"
    if criterion == "markets" and criteria.target_markets:
        markets = "market" if len(criteria.target_markets) == 1 else "markets"
        return f"{_listing(list(criteria.target_markets))} {markets}"
    if criterion == "certifications" and criteria.required_certifications:
        return _listing([index.label(kind) for kind in criteria.required_certifications])
    if criterion == "containment" and criteria.max_oel_ug_m3:
        return f"containment to {format_quantity(criteria.max_oel_ug_m3)} µg/m³"
    if criterion == "controlled_substances" and criteria.dea_schedule:
        return f"DEA schedule {criteria.dea_schedule}"
    if criterion == "availability" and criteria.needed_by:
        return f"capacity by {criteria.needed_by.isoformat()}"
    return CRITERION_LABELS[criterion]


# --- Sub-scores: (criteria, index) -> (sub-score per site, fails per site) -----------------------

Scored = tuple[NDArray[np.float64], NDArray[np.bool_]]


def _columns(vocabulary: tuple[str, ...], wanted: tuple[str, ...]) -> list[int]:
    position = {slug: column for column, slug in enumerate(vocabulary)}
    return [position[slug] for slug in wanted if slug in position]


def _requested_terms(criteria: BriefCriteria) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys((*criteria.dosage_forms, *criteria.services, *criteria.technologies))
    )


def _has_modality(criteria: BriefCriteria, index: CatalogueIndex) -> NDArray[np.bool_]:
    modality = _columns(index.term_slugs, (criteria.modality,))
    if not modality:
        return np.zeros(index.site_count, dtype=bool)
    return index.capabilities[:, modality[0]]


def _profiled(index: CatalogueIndex) -> NDArray[np.bool_]:
    """Which sites have a modality on record (module docstring: not profiled)."""
    modalities = _columns(index.term_slugs, index.modality_slugs)
    return _any_per_row(index.capabilities[:, modalities])


def _capability(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    n = index.site_count
    has_modality = _has_modality(criteria, index)
    requested = _requested_terms(criteria)
    if requested:
        # A requested term the vocabulary does not know is offered by no site.
        covered = index.capabilities[:, _columns(index.term_slugs, requested)].sum(axis=1)
        share = covered / len(requested)
    else:
        share = np.ones(n)
    sub = np.where(has_modality, share, 0.0)
    return sub, sub < 1


def _item_fails(
    list_name: str, item: str, criteria: BriefCriteria, index: CatalogueIndex
) -> NDArray[np.bool_]:
    """Which sites fail the must-have on one item of one of the brief's lists (ITEM_LISTS)."""
    if list_name == "target_markets":
        column = _market_authority_columns(replace(criteria, target_markets=(item,)), index)[0]
        if column is None:
            return np.ones(index.site_count, dtype=bool)
        return cast("NDArray[np.bool_]", index.standing[:, column] != STANDING_GOOD)
    if list_name == "required_certifications":
        vocabulary, held = index.certification_kinds, index.certifications
    else:
        vocabulary, held = index.term_slugs, index.capabilities
    columns = _columns(vocabulary, (item,))
    # An item the vocabulary does not know is held by no site.
    return ~held[:, columns[0]] if columns else np.ones(index.site_count, dtype=bool)


def _any_per_row(matrix: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Whether each row of a 2-D matrix holds a True. (NumPy types a reduction along an axis
    as maybe a scalar: it cannot tell the matrix's dimensions.)"""
    return cast("NDArray[np.bool_]", matrix.any(axis=1))


def _bit_set(mask: NDArray[np.uint32], bit: int) -> NDArray[np.bool_]:
    return (mask >> np.uint32(bit)) & np.uint32(1) == 1


def _phase(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    n = index.site_count
    if criteria.phase not in index.phase_slugs:
        return np.zeros(n), np.ones(n, dtype=bool)
    bit = index.phase_slugs.index(criteria.phase)
    adjacent = np.zeros(n, dtype=bool)
    for neighbour in (bit - 1, bit + 1):
        if 0 <= neighbour < len(index.phase_slugs):
            adjacent |= _bit_set(index.phase_mask, neighbour)
    sub = np.select(
        [_bit_set(index.phase_mask, bit), adjacent, index.phase_mask > 0],
        [PHASE_SERVED, PHASE_ADJACENT, PHASE_FAR],
        default=PHASE_NONE,
    )
    return sub, sub < 1


def _site_maximum(criteria: BriefCriteria, index: CatalogueIndex) -> NDArray[np.float64]:
    column = _columns(index.modality_slugs, (criteria.modality,))
    if not column:
        return np.full(index.site_count, np.nan)
    maxima = index.max_volume_l if criteria.batch_unit == "L" else index.max_batch_kg
    return maxima[:, column[0]]


def _scale(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    # Scale is scored only when the brief asks it, with a batch size.
    assert criteria.batch_size is not None
    maximum = _site_maximum(criteria, index)
    batch = float(criteria.batch_size)
    given = ~np.isnan(maximum)
    ratio = np.where(given, maximum, 0.0) / batch
    # An unknown scale scores neutrally but does not pass a scale must-have: the sponsor asked
    # for a site shown to handle the batch (as containment asks for a demonstrated OEL).
    return np.where(given, scale_subscore(ratio), SCALE_UNKNOWN), ~given | (maximum < batch)


def _market_authority_columns(criteria: BriefCriteria, index: CatalogueIndex) -> list[int | None]:
    position = {authority: column for column, authority in enumerate(index.authorities)}
    return [position.get(index.market_authorities.get(m, "")) for m in criteria.target_markets]


def _markets(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    good = np.zeros(index.site_count)
    for column in _market_authority_columns(criteria, index):
        if column is not None:
            good += index.standing[:, column] == STANDING_GOOD
    sub = good / len(criteria.target_markets)
    return sub, sub < 1


def _certifications(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    required = tuple(dict.fromkeys(criteria.required_certifications))
    held = index.certifications[:, _columns(index.certification_kinds, required)].sum(axis=1)
    sub = held / len(required)
    return sub, sub < 1


def _compliance(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    score = index.compliance
    known = ~np.isnan(score)
    sub = np.where(known, np.clip(np.where(known, score, 0.0), 0, 100) / 100, NEUTRAL)
    return sub, ~known | (np.where(known, score, 0.0) < COMPLIANCE_FLOOR)


def _containment(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    oel = index.oel_ug_m3
    contained = ~np.isnan(oel) & (np.where(np.isnan(oel), np.inf, oel) <= criteria.max_oel_ug_m3)
    return contained.astype(np.float64), ~contained


def _controlled_substances(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    if criteria.dea_schedule in index.dea_codes:
        held = _bit_set(index.dea_mask, index.dea_codes.index(criteria.dea_schedule))
    else:
        held = np.zeros(index.site_count, dtype=bool)
    return held.astype(np.float64), ~held


def _preferred(criteria: BriefCriteria, index: CatalogueIndex) -> NDArray[np.bool_]:
    return np.isin(index.countries, list(criteria.preferred_countries)) | np.isin(
        index.regions, list(criteria.preferred_regions)
    )


def _geography(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    preferred = _preferred(criteria, index)
    excluded = np.isin(index.countries, list(criteria.excluded_countries))
    sub = np.where(excluded, 0.0, np.where(preferred, 1.0, NEUTRAL))
    return sub, ~preferred


def _development(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    return index.provider_is_cdmo.astype(np.float64), ~index.provider_is_cdmo


def _days_late(criteria: BriefCriteria, index: CatalogueIndex) -> NDArray[np.float64]:
    """Days between the needed-by date and the day each site has capacity free (<= 0: in
    time), NaN when the site does not say."""
    # Scored only when the brief asks it, with a needed-by date.
    assert criteria.needed_by is not None
    if index.available_from is None:
        return np.full(index.site_count, np.nan)
    return index.available_from - criteria.needed_by.toordinal()


def _availability(criteria: BriefCriteria, index: CatalogueIndex) -> Scored:
    late = _days_late(criteria, index)
    known = ~np.isnan(late)
    on_scale = np.clip(1 - np.where(known, late, 0.0) / AVAILABILITY_LATE_DAYS, 0.0, 1.0)
    sub = np.where(known, on_scale, NEUTRAL)
    # Unknown does not pass an availability must-have: the sponsor asked for capacity shown
    # to be free in time.
    return sub, sub < 1


_SCORERS: dict[str, Callable[[BriefCriteria, CatalogueIndex], Scored]] = {
    "capability": _capability,
    "phase": _phase,
    "scale": _scale,
    "markets": _markets,
    "certifications": _certifications,
    "compliance": _compliance,
    "containment": _containment,
    "controlled_substances": _controlled_substances,
    "geography": _geography,
    "development": _development,
    "availability": _availability,
}


# --- Sentences: (outcome, row) -> one sentence, written only for the sites shown -----------------


def _listing(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _capability_sentence(outcome: MatchOutcome, row: int) -> str:
    criteria, index = outcome.criteria, outcome.index
    offered = {index.term_slugs[column] for column in np.flatnonzero(index.capabilities[row])}
    modality = index.label(criteria.modality)
    if criteria.modality not in offered:
        return f"offers no {modality} capability"
    requested = _requested_terms(criteria)
    missing = [index.label(slug) for slug in requested if slug not in offered]
    if not requested:
        return f"offers {modality}"
    if not missing:
        return (
            f"offers {modality} and all {len(requested)} requested forms, services and technologies"
        )
    covered = len(requested) - len(missing)
    return (
        f"offers {modality} and {covered} of {len(requested)} requested; lacks {_listing(missing)}"
    )


def _phase_sentence(outcome: MatchOutcome, row: int) -> str:
    index, phase = outcome.index, outcome.criteria.phase
    # The sentence is written only for an asked criterion: the brief names a phase.
    assert phase is not None
    served = [p for bit, p in enumerate(index.phase_slugs) if _bit_set(index.phase_mask[row], bit)]
    if phase in served:
        return f"serves {index.label(phase)}"
    if not served:
        return f"lists no phases served, so not {index.label(phase)}"
    serves = _listing([index.label(p) for p in served])
    if outcome.subscores[row, _COLUMN["phase"]] == PHASE_ADJACENT:
        return f"does not serve {index.label(phase)}, only a neighbouring phase (serves {serves})"
    return f"does not serve {index.label(phase)} nor a neighbouring phase (serves {serves})"


def _scale_sentence(outcome: MatchOutcome, row: int) -> str:
    criteria = outcome.criteria
    # The sentence is written only for an asked criterion: the brief gives a batch size.
    assert criteria.batch_size is not None
    unit = criteria.batch_unit
    maximum = float(_site_maximum(criteria, outcome.index)[row])
    batch = f"{format_quantity(criteria.batch_size)} {unit}"
    most = format_quantity(maximum)
    if np.isnan(maximum):
        modality = outcome.index.label(criteria.modality)
        return f"gives no maximum in {unit} for {modality}: scale unknown"
    if maximum >= criteria.batch_size:
        return f"handles up to {most} {unit}, enough for a {batch} batch"
    if maximum <= 0:
        return f"gives a maximum of {most} {unit}: cannot make a {batch} batch"
    runs = runs_needed(maximum, criteria.batch_size)
    share = maximum / criteria.batch_size
    percent = f"{share:.0%}" if share >= 0.01 else "under 1%"
    return (
        f"handles up to {most} {unit}, only {percent} of the {batch} batch: "
        f"it would take {runs:,} runs to make one batch"
    )


def _markets_sentence(outcome: MatchOutcome, row: int) -> str:
    criteria, index = outcome.criteria, outcome.index
    parts = []
    for market, column in zip(
        criteria.target_markets, _market_authority_columns(criteria, index), strict=True
    ):
        authority = index.market_authorities.get(market, "")
        standing = index.standing[row, column] if column is not None else 0
        if standing == STANDING_GOOD:
            parts.append(f"in good standing with {index.label(authority)} for {market}")
        elif standing == STANDING_ADVERSE:
            parts.append(f"has a recent adverse record from {index.label(authority)} for {market}")
        else:
            parts.append(
                f"has no recent record with {index.label(authority or market)} for {market}"
            )
    return "; ".join(parts)


def _certifications_sentence(outcome: MatchOutcome, row: int) -> str:
    criteria, index = outcome.criteria, outcome.index
    held = {
        k
        for k, has in zip(index.certification_kinds, index.certifications[row], strict=True)
        if has
    }
    required = list(dict.fromkeys(criteria.required_certifications))
    must = set(criteria.must_have_items.get("required_certifications", ()))

    def named(kind: str) -> str:
        return index.label(kind) + (", a must-have" if kind in must else "")

    missing = [named(kind) for kind in required if kind not in held]
    if not missing:
        held_labels = "; ".join(named(kind) for kind in required)
        return f"holds every required certification valid ({held_labels})"
    return f"holds no valid {_listing(missing)}"


def _compliance_sentence(outcome: MatchOutcome, row: int) -> str:
    score = outcome.index.compliance[row]
    if np.isnan(score):
        return "has no inspection in five years: compliance unknown, scored as neutral"
    if score < COMPLIANCE_FLOOR:
        return f"has a compliance score of {score:.0f}/100, below {COMPLIANCE_FLOOR:.0f}"
    return f"has a compliance score of {score:.0f}/100"


def _containment_sentence(outcome: MatchOutcome, row: int) -> str:
    # The sentence is written only for an asked criterion: the brief gives an OEL.
    assert outcome.criteria.max_oel_ug_m3 is not None
    oel = outcome.index.oel_ug_m3[row]
    asked = f"{format_quantity(outcome.criteria.max_oel_ug_m3)} µg/m³"
    if np.isnan(oel):
        return f"has demonstrated no containment level; the brief needs {asked}"
    verb = "contains" if oel <= outcome.criteria.max_oel_ug_m3 else "only contains"
    return f"{verb} down to {format_quantity(oel)} µg/m³; the brief needs {asked}"


def _controlled_substances_sentence(outcome: MatchOutcome, row: int) -> str:
    code = outcome.criteria.dea_schedule
    # The sentence is written only for an asked criterion: the brief names a DEA schedule.
    assert code is not None
    label = outcome.index.label(code)
    if outcome.subscores[row, _COLUMN["controlled_substances"]] == 1:
        return f"is registered for DEA {label}"
    return f"is not registered for DEA {label}"


def _geography_sentence(outcome: MatchOutcome, row: int) -> str:
    index = outcome.index
    code, region = str(index.countries[row]), str(index.regions[row])
    country = index.label(code)
    if code in outcome.criteria.excluded_countries:
        return f"is in {country}, which the brief excludes"
    if code in outcome.criteria.preferred_countries:
        return f"is in {country}, a preferred country"
    if region in outcome.criteria.preferred_regions:
        return f"is in {country}, in the preferred region {index.label(region)}"
    return f"is in {country}, outside the preferred countries and regions"


def _development_sentence(outcome: MatchOutcome, row: int) -> str:
    if outcome.index.provider_is_cdmo[row]:
        return "belongs to a CDMO, which offers development"
    return "belongs to a CMO, which offers no development"


def _availability_sentence(outcome: MatchOutcome, row: int) -> str:
    needed_by = outcome.criteria.needed_by
    # The sentence is written only for an asked criterion: the brief gives a needed-by date.
    assert needed_by is not None
    late = float(_days_late(outcome.criteria, outcome.index)[row])
    needed = f"the brief needs it by {needed_by.isoformat()}"
    if np.isnan(late):
        return f"does not say when it has capacity free; {needed}: scored as neutral"
    free = datetime.date.fromordinal(int(needed_by.toordinal() + late)).isoformat()
    if late <= 0:
        return f"has capacity free from {free}; {needed}"
    return f"has capacity free only from {free}, {late:.0f} days late; {needed}"


# An item must-have's noun in its exclusion reason ("Must-have certificate: ...").
_ITEM_NOUNS = {
    "dosage_forms": "dosage form",
    "services": "service",
    "technologies": "technology",
    "target_markets": "market",
    "required_certifications": "certificate",
}
# Whether an item must-have's reason is the same for every site failing it (written once a run).
_SITE_FREE_ITEM_REASON = {name: name != "target_markets" for name in ITEM_LISTS}


def _item_sentence(outcome: MatchOutcome, list_name: str, item: str, row: int) -> str:
    """Why the site in `row` fails the must-have on `item`: "holds no valid EU GMP certificate"."""
    index = outcome.index
    label = index.label(item)
    if list_name == "target_markets":
        one_market = replace(outcome.criteria, target_markets=(item,))
        return _markets_sentence(replace(outcome, criteria=one_market), row)
    if list_name == "required_certifications":
        return f"holds no valid {label}"
    if list_name == "dosage_forms":
        return f"does not make {label}"
    return f"does not offer {label}"


_SENTENCES: dict[str, Callable[[MatchOutcome, int], str]] = {
    "capability": _capability_sentence,
    "phase": _phase_sentence,
    "scale": _scale_sentence,
    "markets": _markets_sentence,
    "certifications": _certifications_sentence,
    "compliance": _compliance_sentence,
    "containment": _containment_sentence,
    "controlled_substances": _controlled_substances_sentence,
    "geography": _geography_sentence,
    "development": _development_sentence,
    "availability": _availability_sentence,
}


# What each criterion's sentence reads of a site, vectorised over rows: two sites with equal
# facts get the same sentence (`explanation_columns`). A sentence function that reads a new
# fact must name it here; tests/matching/test_explanations.py checks the two agree.
_SENTENCE_FACTS: dict[str, Callable[[MatchOutcome, NDArray[np.intp]], list[NDArray[Any]]]] = {
    "capability": lambda o, at: [
        o.index.capabilities[at][
            :,
            _columns(o.index.term_slugs, (o.criteria.modality, *_requested_terms(o.criteria))),
        ]
    ],
    "phase": lambda o, at: [o.index.phase_mask[at], o.subscores[at, _COLUMN["phase"]]],
    "scale": lambda o, at: [_site_maximum(o.criteria, o.index)[at]],
    "markets": lambda o, at: [
        o.index.standing[at][
            :, [c for c in _market_authority_columns(o.criteria, o.index) if c is not None]
        ]
    ],
    "certifications": lambda o, at: [o.index.certifications[at]],
    "compliance": lambda o, at: [o.index.compliance[at]],
    "containment": lambda o, at: [o.index.oel_ug_m3[at]],
    "controlled_substances": lambda o, at: [o.subscores[at, _COLUMN["controlled_substances"]]],
    "geography": lambda o, at: [o.index.countries[at], o.index.regions[at]],
    "development": lambda o, at: [o.index.provider_is_cdmo[at]],
    "availability": lambda o, at: [_days_late(o.criteria, o.index)[at]],
}
