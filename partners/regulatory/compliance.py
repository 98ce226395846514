"""The published compliance score of a manufacturing site: a pure function of its regulator record.

Plain Python over plain records, no ORM, so the score can be tested, published and reproduced on
its own; `partners/regulatory/stored_scores.py` loads the records and stores the result on each
site.

The formula (the names are the module's constants; /methodology/ publishes it from FORMULA):

    score = BASE + the points of every record that counts, clamped to [0, 100]

A record's points are its weight times a decay with its age, rounded to one decimal:

    points = weight * 0.5 ** (age / HALF_LIFE_YEARS),  age = days before as_of / 365.25 (years)

so a record weighs half as much after HALF_LIFE_YEARS, a quarter after twice that. The weights
are INSPECTION_WEIGHTS by an inspection's classification (NAI lifts, VAI lowers a little, OAI
lowers a lot) and ACTION_WEIGHTS by an enforcement action's type (warning letter, import alert,
EU statement of non-compliance, injunction, seizure: all lower a lot).

- One inspection counts once: FDA's export has a row per project area, and the rows sharing an
  authority and inspection id are one inspection, classified by its worst row.
- NAI inspections lift the score only if they ended in the WINDOW_YEARS before as_of, and together
  by at most NAI_CAP points: a clean record must be recent, and no number of clean inspections
  makes up for a recent OAI.
- Every other record counts for HORIZON_YEARS: bad news is remembered longer than good news.
- Records dated after as_of do not count.
- A site with no inspection (any authority, any classification) ending in the WINDOW_YEARS before
  as_of has no score: its state is "unknown", shown as such and never as good.

Why the properties hold, by construction: every weight but NAI's is negative, and an NAI lift is
never negative, so adding an OAI or an enforcement action only adds a negative line (or turns an
NAI inspection into an OAI one); the decay falls with age, so an older record weighs less; records
are deduplicated, grouped and summed in a fixed order, so the order they come in does not matter.
An OAI that makes an "unknown" site scorable scores it below BASE: the site had no inspection in
the window, so nothing lifts it, and the OAI itself is in the window, so it weighs at least
OAI * 0.5 ** (WINDOW_YEARS / HALF_LIFE_YEARS).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from core.dates import years_before

# The score of a site whose record in the window is neither clean nor troubled.
BASE = 75.0
# Points at age zero of one inspection, by its classification (FDA's NAI, VAI, OAI).
INSPECTION_WEIGHTS: dict[str, float] = {
    "NAI": 8.0,
    "VAI": -5.0,
    "OAI": -40.0,
}
# Points at age zero of one enforcement action, by its type.
ACTION_WEIGHTS: dict[str, float] = {
    "warning-letter": -35.0,
    "import-alert": -35.0,
    "eu-non-compliance": -35.0,
    "injunction": -35.0,
    "seizure": -35.0,
}
# A record weighs half as much after this many years.
HALF_LIFE_YEARS = 3.0
# NAI inspections together lift the score by at most this many points.
NAI_CAP = 25.0
# A site needs an inspection ending in this many years before as_of to be scored; NAI inspections
# lift the score for this long.
WINDOW_YEARS = 5
# Records older than this many years do not count.
HORIZON_YEARS = 10
DAYS_PER_YEAR = 365.25
MIN_SCORE, MAX_SCORE = 0.0, 100.0

# The formula as /methodology/ publishes it: (expression, what it applies to). Each {NAME} is one
# of the constants above; the page prints it once with the names and once with their values, so
# the published formula cannot drift from the numbers the code uses.
FORMULA = (
    (
        "score = clamp({BASE} + Σ points, {MIN_SCORE}, {MAX_SCORE})",
        "the sum over every record that counts, rounded to one decimal",
    ),
    (
        "points = round(weight \N{MULTIPLICATION SIGN} 0.5 ^ (age ÷ {HALF_LIFE_YEARS}), 1)",
        "each VAI or OAI inspection and each enforcement action of the last {HORIZON_YEARS} years",
    ),
    (
        "points = round(min({NAI_CAP}, "
        "Σ weight \N{MULTIPLICATION SIGN} 0.5 ^ (age ÷ {HALF_LIFE_YEARS})), 1)",
        "all NAI inspections of the last {WINDOW_YEARS} years together",
    ),
    (
        "age = (as_of \N{MINUS SIGN} date) in days ÷ {DAYS_PER_YEAR}",
        "a record's age in years on the day the score is computed",
    ),
)

SCORED: Final = "scored"
UNKNOWN: Final = "unknown"

# Worst last: the classification of an inspection reported in several rows is its worst row's.
SEVERITY = ("NAI", "VAI", "OAI")
NAI = "NAI"

ACTION_LABELS = {
    "warning-letter": "warning letter",
    "import-alert": "import alert",
    "eu-non-compliance": "EU statement of non-compliance",
    "injunction": "injunction",
    "seizure": "seizure",
}

MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True, slots=True)
class InspectionEvent:
    """One row of an authority's inspection record (FDA: one row per project area)."""

    authority: str
    classification: str
    end_date: datetime.date
    inspection_id: str = ""
    project_area: str = ""

    def __post_init__(self) -> None:
        if self.classification not in INSPECTION_WEIGHTS:
            raise ValueError(f"Unknown inspection classification {self.classification!r}.")


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """An enforcement action: a warning letter, import alert, EU non-compliance, and the like."""

    authority: str
    action_type: str
    action_date: datetime.date
    case_id: str = ""

    def __post_init__(self) -> None:
        if self.action_type not in ACTION_WEIGHTS:
            raise ValueError(f"Unknown regulatory action type {self.action_type!r}.")


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One sentence of a score's explanation: the points a record (or group) added, and which.

    `points` is None for a note that changes nothing (why a site is unknown, what did not count).
    The points of a scored site's lines add up to its score minus BASE, unless it was clamped.
    """

    points: float | None
    text: str

    def __str__(self) -> str:
        if self.points is None:
            return self.text
        return f"{signed(self.points)}: {self.text}"

    @property
    def shown_points(self) -> str:
        """The points as the explanation shows them (see `signed`), or "" for a note."""
        return "" if self.points is None else signed(self.points)


@dataclass(frozen=True, slots=True)
class ComplianceResult:
    """A site's compliance score as of a date: 0 to 100 when scored, None when unknown."""

    score: float | None
    state: Literal["scored", "unknown"]
    lines: tuple[ExplanationLine, ...]

    @property
    def scored(self) -> bool:
        return self.state == "scored"


def compute_compliance(
    inspections: Iterable[InspectionEvent],
    actions: Iterable[ActionEvent],
    as_of: datetime.date,
) -> ComplianceResult:
    """Score a site's inspection and action history as of a date (see the module docstring)."""
    window_start = years_before(as_of, WINDOW_YEARS)
    horizon_start = years_before(as_of, HORIZON_YEARS)
    inspection_rows = list(inspections)
    action_rows = list(actions)

    # Rows are dropped before they are grouped, so a future or forgotten row can never change
    # the classification or date of an inspection that counts.
    future = len({_inspection_key(row) for row in inspection_rows if row.end_date > as_of})
    future += len({_action_key(row) for row in action_rows if row.action_date > as_of})
    past_inspections = _group_inspections(row for row in inspection_rows if row.end_date <= as_of)
    past_actions = _dedupe_actions(row for row in action_rows if row.action_date <= as_of)

    latest = max((inspection.end_date for inspection in past_inspections), default=None)
    recently_inspected = latest is not None and latest >= window_start

    ranked: list[tuple[tuple, ExplanationLine]] = []
    clean: list[_Inspection] = []
    forgotten = stale_clean = 0
    for inspection in past_inspections:
        if inspection.end_date < horizon_start:
            forgotten += 1
        elif inspection.classification == NAI:
            if inspection.end_date >= window_start:
                clean.append(inspection)
            else:
                stale_clean += 1
        else:
            points = weigh(
                INSPECTION_WEIGHTS[inspection.classification], as_of, inspection.end_date
            )
            text = (
                f"{inspection.authority} {inspection.classification} inspection"
                f"{_cite(inspection.inspection_id)} ended {inspection.end_date.isoformat()}"
                f" ({describe_age(as_of, inspection.end_date)})"
            )
            ranked.append((_rank(points, inspection.end_date, text), ExplanationLine(points, text)))
    for action in past_actions:
        if action.action_date < horizon_start:
            forgotten += 1
            continue
        points = weigh(ACTION_WEIGHTS[action.action_type], as_of, action.action_date)
        text = (
            f"{action.authority} {ACTION_LABELS[action.action_type]}{_cite(action.case_id)}"
            f" dated {action.action_date.isoformat()} ({describe_age(as_of, action.action_date)})"
        )
        ranked.append((_rank(points, action.action_date, text), ExplanationLine(points, text)))
    if clean:
        points, text = _clean_record(clean, as_of)
        ranked.append((_rank(points, clean[0].end_date, text), ExplanationLine(points, text)))
    ranked.sort(key=lambda pair: pair[0])
    record_lines = [line for _, line in ranked]

    notes = _not_counted(forgotten, stale_clean, future, as_of, window_start, horizon_start)
    if not recently_inspected:
        since = (
            f"No inspection since {latest.isoformat()}"
            if latest is not None
            else "No inspection on record"
        )
        unknown = ExplanationLine(
            None,
            f"{since}: not enough recent history to score (a score needs an inspection ending "
            f"on or after {window_start.isoformat()})",
        )
        return ComplianceResult(None, UNKNOWN, (unknown, *record_lines, *notes))

    # The score is the sum of the points shown, so the explanation adds up to the score.
    total = BASE + sum(line.points for line in record_lines if line.points is not None)
    score = round(min(MAX_SCORE, max(MIN_SCORE, total)), 1)
    if score != round(total, 1):
        clamped = f"Clamped to {score:.1f}: the record sums to {signed(round(total, 1))}"
        notes.insert(0, ExplanationLine(None, clamped))
    return ComplianceResult(score, SCORED, (*record_lines, *notes))


def decay(as_of: datetime.date, day: datetime.date) -> float:
    """The share of its weight a record dated `day` still carries on `as_of` (1 when new)."""
    age_years = (as_of - day).days / DAYS_PER_YEAR
    return 0.5 ** (age_years / HALF_LIFE_YEARS)


def weigh(weight: float, as_of: datetime.date, day: datetime.date) -> float:
    """A record's points: its weight, decayed with its age, rounded to one decimal."""
    return round(weight * decay(as_of, day), 1)


def describe_age(as_of: datetime.date, day: datetime.date) -> str:
    days = (as_of - day).days
    if days == 0:
        return "today"
    if days < 31:
        return f"{days} day{'s' if days > 1 else ''} ago"
    if days < 365:
        months = max(1, round(days / (DAYS_PER_YEAR / 12)))
        return f"{months} month{'s' if months > 1 else ''} ago"
    return f"{days / DAYS_PER_YEAR:.1f} years ago"


def signed(points: float) -> str:
    """Points as the explanation shows them: +6.3, 0.0, and a real minus sign (U+2212) for -28.4."""
    if points > 0:
        return f"+{points:.1f}"
    if points < 0:
        return f"{MINUS}{-points:.1f}"
    return "0.0"


# --- Counting each record once -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Inspection:
    """One inspection, however many project-area rows reported it."""

    authority: str
    inspection_id: str
    end_date: datetime.date
    classification: str


def _inspection_key(row: InspectionEvent) -> tuple[str, str, str]:
    # Without an id, one authority's inspections ending the same day are taken to be one.
    if row.inspection_id:
        return (row.authority, row.inspection_id, "")
    return (row.authority, "", row.end_date.isoformat())


def _group_inspections(rows: Iterable[InspectionEvent]) -> list[_Inspection]:
    """One inspection per authority and id: its worst classification, its latest end date.

    Worst and latest, so that an added row can only make an inspection weigh more against the
    site, never less (an added OAI row never raises a score).
    """
    grouped: dict[tuple[str, str, str], _Inspection] = {}
    for row in rows:
        key = _inspection_key(row)
        seen = grouped.get(key)
        if seen is None:
            grouped[key] = _Inspection(
                row.authority, row.inspection_id, row.end_date, row.classification
            )
            continue
        worst = max(seen.classification, row.classification, key=SEVERITY.index)
        grouped[key] = _Inspection(
            seen.authority, seen.inspection_id, max(seen.end_date, row.end_date), worst
        )
    return [grouped[key] for key in sorted(grouped)]


def _action_key(row: ActionEvent) -> tuple[str, str, str]:
    # A case id names one action; without one, the same type by the same authority the same day.
    return (row.authority, row.action_type, row.case_id or row.action_date.isoformat())


def _dedupe_actions(rows: Iterable[ActionEvent]) -> list[ActionEvent]:
    """Each action once; an action recorded twice under one case id counts at its latest date."""
    latest: dict[tuple[str, str, str], ActionEvent] = {}
    for row in rows:
        key = _action_key(row)
        if key not in latest or row.action_date > latest[key].action_date:
            latest[key] = row
    return [latest[key] for key in sorted(latest)]


# --- Explaining ----------------------------------------------------------------------------


def _clean_record(clean: list[_Inspection], as_of: datetime.date) -> tuple[float, str]:
    """The lift of the NAI inspections in the window: one line for all of them, capped."""
    clean = sorted(
        clean, key=lambda row: (row.end_date, row.authority, row.inspection_id), reverse=True
    )
    lifts = [INSPECTION_WEIGHTS[NAI] * decay(as_of, inspection.end_date) for inspection in clean]
    uncapped = sum(lifts)
    points = round(min(NAI_CAP, uncapped), 1)
    if len(clean) == 1:
        (inspection,) = clean
        text = (
            f"{inspection.authority} NAI inspection{_cite(inspection.inspection_id)} ended "
            f"{inspection.end_date.isoformat()} ({describe_age(as_of, inspection.end_date)})"
        )
    else:
        cited = "; ".join(
            f"{inspection.authority}{_cite(inspection.inspection_id)} ended "
            f"{inspection.end_date.isoformat()} ({signed(round(lift, 1))})"
            for inspection, lift in zip(clean, lifts, strict=True)
        )
        text = f"{len(clean)} NAI inspections in the last {WINDOW_YEARS} years: {cited}"
    if uncapped > NAI_CAP:
        text += f"; capped at {NAI_CAP:.1f} (uncapped {signed(round(uncapped, 1))})"
    return points, text


def _not_counted(
    forgotten: int,
    stale_clean: int,
    future: int,
    as_of: datetime.date,
    window_start: datetime.date,
    horizon_start: datetime.date,
) -> list[ExplanationLine]:
    notes = []
    if forgotten:
        notes.append(
            f"Not counted: {_records(forgotten)} older than {HORIZON_YEARS} years "
            f"(before {horizon_start.isoformat()})"
        )
    if stale_clean:
        inspections = "inspection" if stale_clean == 1 else "inspections"
        notes.append(
            f"Not counted: {stale_clean} NAI {inspections} that ended before "
            f"{window_start.isoformat()}; clean inspections lift the score for {WINDOW_YEARS} years"
        )
    if future:
        notes.append(f"Not counted: {_records(future)} dated after {as_of.isoformat()}")
    return [ExplanationLine(None, note) for note in notes]


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


def _cite(identifier: str) -> str:
    return f" {identifier}" if identifier else ""


def _rank(points: float, day: datetime.date, text: str) -> tuple:
    # Heaviest first, then newest; the text (which names the record) settles ties, so the lines
    # come out in one order whatever order the records came in.
    return (-abs(points), -day.toordinal(), text)
