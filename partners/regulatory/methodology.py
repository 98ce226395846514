"""What /methodology/ publishes: the compliance score's formula, weights and decay, and a worked
example, all read from partners/regulatory/compliance.py.

Nothing here re-implements the score. Every number the page shows is one of that module's
constants or the result of one of its functions (`decay`, `weigh`, `compute_compliance`), so the
published method cannot disagree with the score it explains.
"""

import datetime
from dataclasses import dataclass, fields

from core.dates import years_before
from partners.choices import ActionType, Classification
from partners.regulatory import compliance
from partners.regulatory.compliance import (
    ACTION_WEIGHTS,
    BASE,
    DAYS_PER_YEAR,
    FORMULA,
    HORIZON_YEARS,
    INSPECTION_WEIGHTS,
    MINUS,
    NAI,
    NAI_CAP,
    SEVERITY,
    WINDOW_YEARS,
    ActionEvent,
    ComplianceResult,
    ExplanationLine,
    InspectionEvent,
    compute_compliance,
    decay,
    describe_age,
    signed,
    weigh,
)

# The ages, in years, at which the decay table shows what a record still weighs.
DECAY_AGES = (0, 1, 2, 3, 5, 10)


def number(value: float) -> str:
    """A constant as the formula prints it: 75.0 -> "75", 365.25 -> "365.25"."""
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class FormulaStep:
    named: str  # "score = clamp(BASE + Σ points, MIN_SCORE, MAX_SCORE)"
    valued: str  # "score = clamp(75 + Σ points, 0, 100)"
    applies_to: str


@dataclass(frozen=True, slots=True)
class WeightRow:
    record: str  # "Inspection classified OAI", "Warning letter"
    code: str  # NAI / VAI / OAI, or the action type slug
    weight: float
    counts_for_years: int
    note: str

    @property
    def shown_weight(self) -> str:
        return signed(self.weight)


@dataclass(frozen=True, slots=True)
class DecayColumn:
    label: str
    weight: float
    counts_for_years: int

    @property
    def shown_weight(self) -> str:
        return signed(self.weight)


@dataclass(frozen=True, slots=True)
class DecayRow:
    years: int
    share: float  # decay(): the share of its weight a record this old still carries
    points: list[str]  # per column: one record's points, or "" once it no longer counts

    @property
    def shown_share(self) -> str:
        return f"{self.share:.1%}"


@dataclass(frozen=True, slots=True)
class ExampleRecord:
    """One row of the worked example's made-up regulator record."""

    date: datetime.date
    age: str
    authority: str
    record: str  # "Inspection, OAI" or "Warning letter"
    record_id: str
    project_area: str


@dataclass(frozen=True, slots=True)
class WorkedExample:
    as_of: datetime.date
    records: list[ExampleRecord]
    result: ComplianceResult
    record_lines: list[ExplanationLine]  # the lines with points: they add up to score - BASE
    notes: list[ExplanationLine]  # what did not count, and why
    split_inspection_id: str  # the inspection reported in two project-area rows
    base: float = BASE

    @property
    def record_points(self) -> list[float]:
        """Each record line's points, in order."""
        return [line.points for line in self.record_lines if line.points is not None]

    @property
    def total(self) -> float:
        """BASE plus every line's points: the score, unless it had to be clamped."""
        return round(BASE + sum(self.record_points), 1)

    @property
    def sum_expression(self) -> str:
        """The sum written out, "75.0 - 27.0 - 13.9 + 11.1 = 45.2" with real minus signs."""
        terms = [f"{BASE:.1f}"]
        for points in self.record_points:
            terms.append(f"{'+' if points >= 0 else MINUS} {abs(points):.1f}")
        return f"{' '.join(terms)} = {self.total:.1f}"


@dataclass(frozen=True, slots=True)
class Methodology:
    as_of: datetime.date
    constants: dict[str, str]  # the formula's constants by name, as it prints them: {"BASE": "75"}
    severity: str  # "NAI < VAI < OAI": how the rows of one inspection decide its classification
    formula: list[FormulaStep]
    weights: list[WeightRow]
    decay_columns: list[DecayColumn]
    decay_rows: list[DecayRow]
    example: WorkedExample
    inspection_inputs: list[str]  # the only fields of a record the score reads
    action_inputs: list[str]


def describe_methodology(as_of: datetime.date) -> Methodology:
    """Everything /methodology/ shows, computed on `as_of` (today, on the page)."""
    columns = decay_columns()
    return Methodology(
        as_of=as_of,
        constants={name: number(value) for name, value in constants().items()},
        severity=" < ".join(SEVERITY),
        formula=formula_steps(),
        weights=weight_rows(),
        decay_columns=columns,
        decay_rows=decay_rows(as_of, columns),
        example=worked_example(as_of),
        inspection_inputs=[field.name for field in fields(InspectionEvent)],
        action_inputs=[field.name for field in fields(ActionEvent)],
    )


def constants() -> dict[str, float]:
    """The module's constants that the formula names, by name."""
    names: tuple[str, ...] = ("BASE", "MIN_SCORE", "MAX_SCORE", "HALF_LIFE_YEARS", "NAI_CAP")
    names += ("WINDOW_YEARS", "HORIZON_YEARS", "DAYS_PER_YEAR")
    return {name: getattr(compliance, name) for name in names}


def formula_steps() -> list[FormulaStep]:
    values = {name: number(value) for name, value in constants().items()}
    names = {name: name for name in values}
    return [
        FormulaStep(
            named=expression.format(**names),
            valued=expression.format(**values),
            applies_to=applies_to.format(**values),
        )
        for expression, applies_to in FORMULA
    ]


def weight_rows() -> list[WeightRow]:
    """One row per inspection classification, in order of severity, then per action type."""
    rows = []
    for code in SEVERITY:
        is_nai = code == NAI
        rows.append(
            WeightRow(
                record=f"Inspection classified {Classification(code).label}",
                code=code,
                weight=INSPECTION_WEIGHTS[code],
                counts_for_years=WINDOW_YEARS if is_nai else HORIZON_YEARS,
                note=f"All NAI inspections together lift the score by at most {number(NAI_CAP)}"
                " points."
                if is_nai
                else "",
            )
        )
    for action_type, weight in ACTION_WEIGHTS.items():
        rows.append(
            WeightRow(
                record=ActionType(action_type).label,
                code=action_type,
                weight=weight,
                counts_for_years=HORIZON_YEARS,
                note="",
            )
        )
    return rows


def decay_columns() -> list[DecayColumn]:
    """A column per inspection classification, then one per distinct action weight (the action
    types sharing a weight share a column)."""
    columns = [
        DecayColumn(code, INSPECTION_WEIGHTS[code], WINDOW_YEARS if code == NAI else HORIZON_YEARS)
        for code in SEVERITY
    ]
    by_weight: dict[float, list[str]] = {}
    for action_type, weight in ACTION_WEIGHTS.items():
        by_weight.setdefault(weight, []).append(action_type)
    for weight, action_types in by_weight.items():
        label = (
            "Any enforcement action"
            if len(action_types) == len(ACTION_WEIGHTS)
            else ", ".join(ActionType(action_type).label for action_type in action_types)
        )
        columns.append(DecayColumn(label, weight, HORIZON_YEARS))
    return columns


def decay_rows(as_of: datetime.date, columns: list[DecayColumn]) -> list[DecayRow]:
    """What one record of each kind weighs at each of DECAY_AGES, by the module's own functions."""
    rows = []
    for years in DECAY_AGES:
        day = years_before(as_of, years)
        rows.append(
            DecayRow(
                years=years,
                share=decay(as_of, day),
                points=[
                    signed(weigh(column.weight, as_of, day))
                    if day >= years_before(as_of, column.counts_for_years)
                    else ""
                    for column in columns
                ],
            )
        )
    return rows


def worked_example(as_of: datetime.date) -> WorkedExample:
    """A small made-up record, scored by `compute_compliance` as of `as_of`.

    It shows each rule once: a recent OAI reported in two project-area rows (one inspection,
    classified by its worst row), two clean inspections summed into one capped line, a warning
    letter four years old, and an inspection too old to count.
    """

    def ago(years: float) -> datetime.date:
        return as_of - datetime.timedelta(days=round(years * DAYS_PER_YEAR))

    split = "EX-1003"
    inspections = [
        InspectionEvent("FDA", "OAI", ago(1.7), split, "Drug Quality Assurance"),
        InspectionEvent("FDA", "NAI", ago(1.7), split, "Pre-License/Pre-Approval Inspection"),
        InspectionEvent("FDA", "NAI", ago(0.6), "EX-1004", "Drug Quality Assurance"),
        InspectionEvent("EMA", "NAI", ago(2.9), "EX-2001", "GMP"),
        InspectionEvent("FDA", "VAI", ago(11.2), "EX-1001", "Drug Quality Assurance"),
    ]
    actions = [ActionEvent("FDA", "warning-letter", ago(4), "EX-580001")]
    result = compute_compliance(inspections, actions, as_of)
    records = [
        ExampleRecord(
            date=row.end_date,
            age=describe_age(as_of, row.end_date),
            authority=row.authority,
            record=f"Inspection, {row.classification}",
            record_id=row.inspection_id,
            project_area=row.project_area,
        )
        for row in inspections
    ] + [
        ExampleRecord(
            date=row.action_date,
            age=describe_age(as_of, row.action_date),
            authority=row.authority,
            record=ActionType(row.action_type).label,
            record_id=row.case_id,
            project_area="",
        )
        for row in actions
    ]
    records.sort(key=lambda record: record.date, reverse=True)  # stable: OAI row first
    return WorkedExample(
        as_of=as_of,
        records=records,
        result=result,
        record_lines=[line for line in result.lines if line.points is not None],
        notes=[line for line in result.lines if line.points is None],
        split_inspection_id=split,
    )
