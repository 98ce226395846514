"""What a brief asks of a site, as plain data the matching engine reads (DESIGN.md, "Matching").

No Django here: the engine and its tests build a `BriefCriteria` directly; `brief_criteria`
builds one from a brief, saved (`Brief.to_criteria`) or still a bound form (the live preview).
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The criteria, in the order the engine's matrices, funnels and explanations use.
CRITERIA = (
    "capability",
    "phase",
    "scale",
    "markets",
    "certifications",
    "compliance",
    "containment",
    "controlled_substances",
    "geography",
    "development",
    "availability",
)
# Each criterion's name in a sentence ("drop the markets must-have"); the pages capitalise it
# (matching.choices.Criterion). Defined here alone.
CRITERION_LABELS = {criterion: criterion.replace("_", " ") for criterion in CRITERIA}
MIN_WEIGHT = 0
MAX_WEIGHT = 5
DEFAULT_WEIGHT = 3
BATCH_UNITS = ("kg", "L")
# The brief's lists whose items are each a must-have or a nice-to-have on their own
# (BriefCriteria.must_have_items), and the criterion whose sub-score counts them.
ITEM_LISTS = {
    "dosage_forms": "capability",
    "services": "capability",
    "technologies": "capability",
    "target_markets": "markets",
    "required_certifications": "certifications",
}


def item_constraint(list_name: str, item: str) -> str:
    """The funnel's name for one item must-have: "required_certifications:eu-gmp"."""
    return f"{list_name}:{item}"


def split_item_constraint(constraint: str) -> tuple[str, str] | None:
    """(list name, item) of an item must-have's constraint name; None for any other."""
    list_name, colon, item = constraint.partition(":")
    return (list_name, item) if colon and list_name in ITEM_LISTS else None


def default_weights() -> dict[str, int]:
    """Every criterion at the default weight: a new dict at each call, so that each brief (this
    is the Brief model's field default too) gets its own."""
    return dict.fromkeys(CRITERIA, DEFAULT_WEIGHT)


@dataclass(frozen=True)
class BriefCriteria:
    """A sponsor's needs: what to match on, how much each criterion weighs, which must hold."""

    modality: str
    dosage_forms: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    phase: str | None = None
    batch_size: float | None = None
    batch_unit: str = "kg"
    target_markets: tuple[str, ...] = ()  # keys of partners.choices.MARKET_AUTHORITY
    required_certifications: tuple[str, ...] = ()  # partners.choices.CertificationKind values
    max_oel_ug_m3: float | None = None  # the site must contain at or below this OEL
    dea_schedule: str | None = None
    preferred_regions: tuple[str, ...] = ()
    preferred_countries: tuple[str, ...] = ()
    excluded_countries: tuple[str, ...] = ()
    development_needed: bool = False
    needed_by: datetime.date | None = None  # when the first batch is needed
    # A criterion missing from the mapping weighs DEFAULT_WEIGHT.
    weights: Mapping[str, float] = field(default_factory=default_weights)
    must_haves: frozenset[str] = frozenset()
    # List name (ITEM_LISTS) -> the items of that list a site must have; the list's other items
    # are nice-to-haves, counted in the criterion's sub-score only.
    must_have_items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def item_must_haves(self) -> tuple[tuple[str, str], ...]:
        """(list name, item) of every item must-have, in ITEM_LISTS order then the list's own;
        an item named as a must-have but absent from its list is left out (validate says so)."""
        return tuple(
            (list_name, item)
            for list_name in ITEM_LISTS
            for item in dict.fromkeys(getattr(self, list_name))
            if item in self.must_have_items.get(list_name, ())
        )

    def weight(self, criterion: str) -> float:
        return float(self.weights.get(criterion, DEFAULT_WEIGHT))

    def is_asked(self, criterion: str) -> bool:
        """Whether the brief says anything the criterion can tell sites apart on.

        Capability (the modality is required) and the compliance record are always asked.
        Excluded countries alone do not make geography asked: they are a hard rule, not a
        preference, and every site left after it would score the same.
        """
        return {
            "capability": True,
            "phase": self.phase is not None,
            "scale": self.batch_size is not None,
            "markets": bool(self.target_markets),
            "certifications": bool(self.required_certifications),
            "compliance": True,
            "containment": self.max_oel_ug_m3 is not None,
            "controlled_substances": self.dea_schedule is not None,
            "geography": bool(self.preferred_regions or self.preferred_countries),
            "development": self.development_needed,
            "availability": self.needed_by is not None,
        }[criterion]

    def validate(self) -> dict[str, list[str]]:
        """Field name -> problems; empty when the criteria can be matched."""
        errors: dict[str, list[str]] = {}

        def add(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        if not self.modality:
            add("modality", "A modality is required.")
        if self.batch_unit not in BATCH_UNITS:
            add("batch_unit", f"The batch unit must be one of {', '.join(BATCH_UNITS)}.")
        if self.batch_size is not None and not self.batch_size > 0:
            add("batch_size", "The batch size must be positive.")
        if self.max_oel_ug_m3 is not None and not self.max_oel_ug_m3 > 0:
            add("max_oel_ug_m3", "The OEL must be a positive number of µg/m³.")
        for name in sorted(set(self.weights) - set(CRITERIA)):
            add("weights", f"Unknown criterion {name!r}.")
        for name, weight in self.weights.items():
            if name in CRITERIA and not MIN_WEIGHT <= weight <= MAX_WEIGHT:
                add(
                    "weights",
                    f"The weight of {name} must be between {MIN_WEIGHT} and {MAX_WEIGHT}.",
                )
        for name in sorted(self.must_haves - set(CRITERIA)):
            add("must_haves", f"Unknown criterion {name!r}.")
        for list_name, items in self.must_have_items.items():
            if list_name not in ITEM_LISTS:
                add("must_have_items", f"Unknown list {list_name!r}: use {', '.join(ITEM_LISTS)}.")
                continue
            for item in items:
                if item not in getattr(self, list_name):
                    add(
                        "must_have_items",
                        f"{item!r} is a must-have of {list_name} but not one of its items.",
                    )
        both = sorted(set(self.preferred_countries) & set(self.excluded_countries))
        if both:
            add("excluded_countries", f"Both preferred and excluded: {', '.join(both)}.")
        if not any(self.weight(name) > 0 for name in CRITERIA if self.is_asked(name)):
            add("weights", "At least one criterion the brief asks about must carry weight.")
        return errors


# A brief's many-to-many term fields; the rest of its fields map one to one.
TERM_SETS = ("dosage_forms", "services", "technologies")


def brief_criteria(
    brief: Any, term_sets: Mapping[str, Iterable[Any]] | None = None
) -> BriefCriteria:
    """The criteria of a brief (a `matching.models.Brief`), saved or not; terms are read by slug.

    A saved brief's term sets are read through `brief.<field>.all()` (prefetched when the
    caller prefetched them). An unsaved one has no many-to-many rows yet, so the caller (the
    bound brief form) passes the chosen terms as `term_sets`, keyed by the names in TERM_SETS.
    """
    if term_sets is None:
        term_sets = {name: getattr(brief, name).all() for name in TERM_SETS}

    def slugs(name: str) -> tuple[str, ...]:
        return tuple(sorted(term.slug for term in term_sets[name]))

    return BriefCriteria(
        modality=brief.modality.slug,
        dosage_forms=slugs("dosage_forms"),
        services=slugs("services"),
        technologies=slugs("technologies"),
        phase=brief.phase or None,
        batch_size=brief.batch_size,
        batch_unit=brief.batch_unit,
        target_markets=tuple(brief.target_markets),
        required_certifications=tuple(brief.required_certifications),
        max_oel_ug_m3=brief.max_oel_ug_m3,
        dea_schedule=brief.dea_schedule or None,
        preferred_regions=tuple(brief.preferred_regions),
        preferred_countries=tuple(brief.preferred_countries),
        excluded_countries=tuple(brief.excluded_countries),
        development_needed=brief.development_needed,
        needed_by=getattr(brief, "needed_by", None),
        weights={name: float(weight) for name, weight in brief.weights.items()},
        must_haves=frozenset(brief.must_haves),
        must_have_items={
            name: tuple(items)
            for name, items in (getattr(brief, "must_have_items", None) or {}).items()
        },
    )
