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

from matching.choices import MAX_WEIGHT, MIN_WEIGHT, Criterion
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


def validate_market_codes(value: object) -> None:
    _unknown(_codes(value, "market codes"), MARKET_AUTHORITY, "market")


def validate_certification_kinds(value: object) -> None:
    _unknown(_codes(value, "certification kinds"), CertificationKind.values, "certification kind")


def validate_regions(value: object) -> None:
    _unknown(_codes(value, "regions"), Region.values, "region")


def validate_country_codes(value: object) -> None:
    codes = _codes(value, "ISO 3166 country codes")
    unknown = [code for code in codes if not countries.alpha2(code) or code != code.upper()]
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


def brief_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Messages for the rules across fields, keyed by the field each belongs beside.

    `values` holds a brief's already-valid fields by name; a missing field is not checked.
    """
    errors: dict[str, list[str]] = {}
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
