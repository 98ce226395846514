"""The rules a brief must satisfy, shared by the model, the HTML form and the API serializer.

Each field validator raises Django's `ValidationError` with a message naming the bad value and
why; `brief_errors` checks the rules that involve more than one field and returns messages keyed
by the field they belong beside. The form and the serializer both call it, so a sponsor reads
the same sentence in the page and in the API's 400.
"""

from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

from django.core.exceptions import ValidationError
from django_countries import countries

from matching.choices import DEFAULT_WEIGHT, MAX_WEIGHT, MIN_WEIGHT, Criterion
from matching.engine.criteria import CRITERION_LABELS, ITEM_LISTS
from partners.choices import MARKET_AUTHORITY, CertificationKind, Region


def _codes(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"Enter a list of {what}.", code="not_a_list")
    return value


def _unknown(values: Iterable[str], known: Iterable[str], what: str) -> None:
    known = set(known)
    unknown = [value for value in values if value not in known]
    if unknown:
        listed = ", ".join(f"“{value}”" for value in unknown)
        raise ValidationError(
            f"Unknown {what}: {listed}. Use one of: {', '.join(sorted(known))}.",
            code="unknown",
        )


def validate_positive(value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValidationError(f"Enter a number greater than 0; got {value:g}.", code="not_positive")


# Physically sensible ranges. A batch: from a gram (a first toxicology batch of a potent
# compound) to 100,000 kg or L, four times the largest single-use and stainless bioreactors
# (about 25,000 L) and above the largest API reactors (tens of cubic metres). An OEL: from
# 0.001 µg/m³ (1 ng/m³, beyond the most potent compounds handled: OEB 6 is below 0.1) to
# 100,000 µg/m³ (100 mg/m³, far above the nuisance-dust limits of OEB 1). A value outside is a
# typing slip (a unit mixed up, a missing decimal point), which would otherwise be scored.
BATCH_SIZE_RANGE = (0.001, 100_000.0)
OEL_RANGE = (0.001, 100_000.0)


def _within(value: float | None, bounds: tuple[float, float], what: str, unit: str) -> None:
    low, high = bounds
    if value is None or low <= value <= high:
        return
    span = f"from {low:g} to {high:,g} {unit}"
    if not value > 0:
        message = f"{what} must be greater than 0 ({span}); got {value:g}."
    else:
        message = f"{what} must be {span}; got {value:g}."
    raise ValidationError(message, code="out_of_range")


def validate_batch_size(value: float | None) -> None:
    """A batch from BATCH_SIZE_RANGE's low to its high, in kg or L (either unit)."""
    _within(value, BATCH_SIZE_RANGE, "The batch size", "kg or L")


def validate_oel(value: float | None) -> None:
    """An OEL within OEL_RANGE, in µg/m³."""
    _within(value, OEL_RANGE, "The OEL", "µg/m³")


def validate_market_codes(value: object) -> None:
    _unknown(_codes(value, "market codes"), MARKET_AUTHORITY, "market")


def validate_certification_kinds(value: object) -> None:
    _unknown(_codes(value, "certification kinds"), CertificationKind.values, "certification kind")


def validate_regions(value: object) -> None:
    _unknown(_codes(value, "regions"), Region.values, "region")


def _is_country_code(code: str) -> bool:
    # Two ASCII capitals first: django-countries reads a digit string as a numeric code, and
    # int() refuses a unicode digit ("²".isdigit() is true) with a ValueError.
    return (
        len(code) == 2
        and code.isascii()
        and code.isalpha()
        and code.isupper()
        and bool(countries.alpha2(code))
    )


def validate_country_codes(value: object) -> None:
    codes = _codes(value, "ISO 3166 country codes")
    unknown = [code for code in codes if not _is_country_code(code)]
    if unknown:
        listed = ", ".join(f"“{code}”" for code in unknown)
        raise ValidationError(
            f"Unknown country code: {listed}. Use two-letter ISO 3166 codes such as DE or US.",
            code="unknown",
        )


def validate_must_haves(value: object) -> None:
    _unknown(_codes(value, "criterion names"), Criterion.values, "criterion")


def validate_weights(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            'Enter an object of criterion name → weight, e.g. {"phase": 5}.', code="not_a_dict"
        )
    _unknown(value, Criterion.values, "criterion")
    for criterion, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, Real):
            raise ValidationError(
                f"The weight of {criterion} must be a number from {MIN_WEIGHT} to {MAX_WEIGHT}; "
                f"got {weight!r}.",
                code="not_a_number",
            )
        if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise ValidationError(
                f"The weight of {criterion} must be from {MIN_WEIGHT} to {MAX_WEIGHT}; "
                f"got {weight:g}.",
                code="out_of_range",
            )


# What each must-have tests, by the brief's fields: a must-have whose fields are all empty has
# nothing to test, and would pass every site (or, for some, fail every site) silently.
# Capability (the modality) and compliance (the record) are always tested.
MUST_HAVE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "phase": (("phase",), "no phase"),
    "scale": (("batch_size",), "no batch size"),
    "markets": (("target_markets",), "no target market"),
    "certifications": (("required_certifications",), "no required certification"),
    "containment": (("max_oel_ug_m3",), "no OEL to contain"),
    "controlled_substances": (("dea_schedule",), "no DEA schedule"),
    "geography": (("preferred_regions", "preferred_countries"), "no preferred region or country"),
    "development": (("development_needed",), "no need for development"),
    "availability": (("needed_by",), "no needed-by date"),
}
# The criteria a brief always states, whatever its fields.
ALWAYS_STATED = ("capability", "compliance")


def _stated(values: Mapping[str, Any]) -> set[str]:
    """The criteria the brief states something for (BriefCriteria.is_asked, from field values)."""
    stated = set(ALWAYS_STATED)
    for criterion, (fields, _) in MUST_HAVE_NEEDS.items():
        if any(values.get(name) not in (None, "", [], (), False) for name in fields):
            stated.add(criterion)
    return stated


# The brief's lists whose items may each be a must-have (matching/engine/criteria.py, ITEM_LISTS),
# as a sentence names them.
ITEM_LIST_LABELS = {
    "dosage_forms": "dosage forms",
    "services": "services",
    "technologies": "technologies",
    "target_markets": "target markets",
    "required_certifications": "required certifications",
}


def validate_must_have_items(value: object) -> None:
    """An object of list name → the items of that list that are must-haves."""
    example = '{"required_certifications": ["eu-gmp"], "target_markets": ["US"]}'
    if not isinstance(value, dict):
        raise ValidationError(
            f"Enter an object of list name → must-have items, e.g. {example}.", code="not_a_dict"
        )
    _unknown(value, ITEM_LIST_LABELS, "list")
    for list_name, items in value.items():
        _codes(items, f"{ITEM_LIST_LABELS[list_name]} (the must-have items of {list_name})")


def _item_code(item: Any) -> str:
    """A list's item as must_have_items names it: a term by its slug, anything else as it is."""
    return str(getattr(item, "slug", item))


def must_have_item_errors(values: Mapping[str, Any]) -> list[str]:
    """A message for each must-have item that is not an item of its list, naming the list."""
    messages = []
    for list_name, items in (values.get("must_have_items") or {}).items():
        listed = {_item_code(item) for item in values.get(list_name) or ()}
        label = ITEM_LIST_LABELS.get(list_name, list_name)
        for item in items:
            if item not in listed:
                messages.append(
                    f"“{item}” is a must-have of {list_name} but not one of the brief's {label}: "
                    f"add it to {list_name} or drop the must-have."
                )
    return messages


# The criteria a must-have on which is a must-have on every item of the lists it scores.
CRITERION_ITEM_LISTS = {
    criterion: tuple(name for name, of in ITEM_LISTS.items() if of == criterion)
    for criterion in dict.fromkeys(ITEM_LISTS.values())
}


def per_item_must_haves(values: Mapping[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """`must_haves` and `must_have_items` with a must-have on capability, markets or
    certifications turned into a must-have on each item of its lists (the form a brief keeps)."""
    must_haves = list(values.get("must_haves") or [])
    items = {name: list(codes) for name, codes in (values.get("must_have_items") or {}).items()}
    for criterion in must_haves:
        for list_name in CRITERION_ITEM_LISTS.get(criterion, ()):
            kept = items.setdefault(list_name, [])
            kept += [
                code
                for code in dict.fromkeys(_item_code(item) for item in values.get(list_name) or ())
                if code not in kept
            ]
    must_haves = [name for name in must_haves if name not in CRITERION_ITEM_LISTS]
    return must_haves, {name: codes for name, codes in items.items() if codes}


def brief_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Messages for the rules across fields, keyed by the field each belongs beside.

    `values` holds a brief's already-valid fields by name; a missing field is not checked
    (the must-haves are checked when `must_haves` is given, the weights when `weights` is).
    """
    errors: dict[str, list[str]] = {}
    if "must_haves" in values:
        stated = _stated(values)
        for criterion in values.get("must_haves") or []:
            if criterion not in MUST_HAVE_NEEDS or criterion in stated:
                continue
            # A field that did not validate (a form leaves it out) is reported on its own.
            if all(name in values for name in MUST_HAVE_NEEDS[criterion][0]):
                label = CRITERION_LABELS.get(criterion, criterion).capitalize()
                errors.setdefault("must_haves", []).append(
                    f"{label} is a must-have, but the brief states {MUST_HAVE_NEEDS[criterion][1]}"
                    ": there is nothing to test a site on. State it, or untick the must-have."
                )
    weights = values.get("weights")
    if isinstance(weights, Mapping) and weights:
        stated = _stated(values)
        if not any(
            (weights.get(criterion, DEFAULT_WEIGHT) or 0) > 0
            for criterion in Criterion.values
            if criterion in stated
        ):
            listed = ", ".join(CRITERION_LABELS.get(c, c) for c in Criterion.values if c in stated)
            errors.setdefault("weights", []).append(
                "Every criterion the brief states weighs 0, so no site could score above another:"
                f" give at least one of them ({listed}) a weight from 1 to {MAX_WEIGHT}."
            )
    for message in must_have_item_errors(values):
        errors.setdefault("must_have_items", []).append(message)
    preferred = values.get("preferred_countries") or []
    excluded = values.get("excluded_countries") or []
    both = [code for code in excluded if code in set(preferred)]
    if both:
        also = "is also a preferred country" if len(both) == 1 else "are also preferred countries"
        errors.setdefault("excluded_countries", []).append(
            f"{', '.join(f'{countries.name(code) or code} ({code})' for code in both)} {also}: "
            "a country cannot be both preferred and excluded."
        )
    return errors


def stored_brief_errors(brief: Any) -> dict[str, list[str]]:
    """Every rule a saved brief (a `matching.models.Brief`) breaks, keyed by field: a brief saved
    before a rule existed may break it. Such a brief still opens and can be edited; it is not
    run until it is corrected (the brief's page says why)."""
    errors: dict[str, list[str]] = {}
    for name, validator in (("batch_size", validate_batch_size), ("max_oel_ug_m3", validate_oel)):
        try:
            validator(getattr(brief, name))
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    values = {
        name: getattr(brief, name, None)
        for name in (
            "preferred_countries",
            "excluded_countries",
            "must_haves",
            "weights",
            *{name for fields, _ in MUST_HAVE_NEEDS.values() for name in fields},
        )
    }
    for name, messages in brief_errors(values).items():
        errors.setdefault(name, []).extend(messages)
    return errors
