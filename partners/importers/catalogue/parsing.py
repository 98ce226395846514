"""The catalogue importer's value parsers and field tables: which keys each object may give,
and how each JSON value becomes a model field value (or Invalid, with the reason).
"""

import datetime
import difflib
import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import models
from django_countries import countries
from django_countries.fields import Country

from partners.choices import (
    ActionType,
    Authority,
    CertificationKind,
    CertificationStatus,
    Classification,
    DataSource,
    Provenance,
    ProviderKind,
    VerificationStatus,
)
from partners.duns import normalize_duns
from partners.fei import normalize_fei
from partners.importers.catalogue.format import action_key, certification_key, inspection_key
from partners.models import Certification, Inspection, Provider, RegulatoryAction, Site


class Invalid(ValueError):
    """A value the format does not allow; the message is the reason shown to the curator."""


# -- Parsers: a JSON value in, a model field value out, or Invalid with the reason -------------

Parser = Callable[[Any], Any]


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def unknown(what: str, value: str, known: Sequence[str]) -> str:
    """'unknown X 'v'', with the closest known values, and all of them when they are few."""
    by_lower = {k.lower(): k for k in known}
    scored = sorted(
        ((difflib.SequenceMatcher(None, value.lower(), k).ratio(), k) for k in by_lower),
        reverse=True,
    )
    # Only the best few: 'phase 2' suggests phase2, not every phase that shares "phase".
    best = scored[0][0] if scored else 0
    close = [k for score, k in scored if score >= max(0.6, best - 0.1)][:3]
    hints = []
    if close:
        hints.append(f"did you mean {' or '.join(repr(by_lower[c]) for c in close)}?")
    listed = sorted(known)
    if len(listed) <= 12:
        hints.append(f"known: {', '.join(listed)}")
    elif not close:
        hints.append(f"known: {', '.join(listed[:12])}, ... {len(listed)} in all")
    return f"unknown {what} {value!r} ({' '.join(hints)})"


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise Invalid(f"the key {key!r} appears twice in one object")
        obj[key] = value
    return obj


def _max_length(model: type[models.Model], name: str) -> int | None:
    # The file's values fill the model's own columns, never a relation's reverse side.
    return cast("models.Field[Any, Any]", model._meta.get_field(name)).max_length


def _text(max_length: int | None = None, *, required: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise Invalid(f"expected text, got {describe(value)}")
        if required and not value.strip():
            raise Invalid("must not be empty")
        if max_length is not None and len(value) > max_length:
            raise Invalid(f"is {len(value)} characters long; at most {max_length} fit")
        return value

    return parse


def _choice(known: Sequence[str], what: str, *, default: str | None = None) -> Parser:
    """One of `known`; null means `default`, or "" (none) when the field may be blank."""

    def parse(value: Any) -> str:
        if value is None or value == "":
            if default is None:
                raise Invalid(f"must not be empty (expected a {what})")
            return default
        if not isinstance(value, str):
            raise Invalid(f"expected a {what} as text, got {describe(value)}")
        if value not in known:
            raise Invalid(unknown(what, value, known))
        return value

    return parse


def _slug(value: Any) -> str:
    value = _text(_max_length(Provider, "slug"), required=True)(value)
    try:
        validate_slug(value)
    except ValidationError:
        raise Invalid(
            f"{value!r} is not a slug (lower-case letters, digits, hyphens and underscores)"
        ) from None
    return value


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(dict(countries))


# Codes people write that ISO 3166 spells differently.
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


def _country(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"expected an ISO 3166 country code such as 'DE', got {describe(value)}")
    code = value.strip().upper()
    if code in _country_codes():
        return code
    hint = _COUNTRY_ALIASES.get(code) or countries.by_name(value.strip())
    if hint:
        hint_text = f"did you mean {hint!r} for {Country(hint).name}?"
    else:
        hint_text = "expected an ISO 3166 alpha-2 code such as 'DE' or 'US'"
    raise Invalid(f"unknown country code {value!r} ({hint_text})")


_URL = URLValidator()


def _url(value: Any) -> str:
    value = _text(_max_length(Provider, "website"))(value)
    if value:
        try:
            _URL(value)
        except ValidationError:
            raise Invalid(f"{value!r} is not a web address (expected https://...)") from None
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise Invalid(f"expected a date as YYYY-MM-DD, got {describe(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{value!r} is not a day of the calendar") from None


def _required_date(value: Any) -> datetime.date:
    parsed = _date(value)
    if parsed is None:
        raise Invalid("must not be empty (expected a date as YYYY-MM-DD)")
    return parsed


def _datetime(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    example = "2024-03-02T10:15:00+00:00"
    if not isinstance(value, str):
        raise Invalid(f"expected a date and time such as {example}, got {describe(value)}")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"expected a date and time such as {example}, got {value!r}") from None
    if parsed.tzinfo is None:
        # A naive time is ambiguous by up to a day; the regulator's own offset is what we keep.
        raise Invalid(f"{value!r} needs a UTC offset (such as {example})")
    return parsed


def _positive_number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"expected a number, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise Invalid("is too large") from None
    if not math.isfinite(number):
        raise Invalid("expected a finite number")
    if number <= 0:
        raise Invalid(f"must be greater than zero, got {value}")
    return number


_FEI_CHARACTERS = re.compile(r"[0-9 \-]+")


def _fei(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"expected an FEI number as text, got {describe(value)}")
    if isinstance(value, str) and not _FEI_CHARACTERS.fullmatch(value):
        raise Invalid(f"{value!r} is not an FEI number (digits, such as '3001234567')")
    fei = normalize_fei(value)
    if not fei:
        raise Invalid(f"{value!r} is not an FEI number (digits, such as '3001234567')")
    limit = _max_length(Site, "fei_number")
    if limit is not None and len(fei) > limit:
        raise Invalid(f"{value!r} is too long for an FEI number (at most {limit} digits)")
    return fei


_DUNS_CHARACTERS = re.compile(r"[0-9 \-]+")
_DUNS_EXAMPLE = "nine digits, such as '150483782'"


def _duns(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"expected a DUNS number as text ({_DUNS_EXAMPLE}), got {describe(value)}")
    if isinstance(value, str) and not _DUNS_CHARACTERS.fullmatch(value):
        raise Invalid(f"{value!r} is not a DUNS number ({_DUNS_EXAMPLE})")
    duns = normalize_duns(value)
    if not duns:
        raise Invalid(f"{value!r} is not a DUNS number (all zeros; {_DUNS_EXAMPLE})")
    if len(duns) > 9:
        raise Invalid(f"{value!r} is not a DUNS number ({len(duns)} digits; {_DUNS_EXAMPLE})")
    return duns


def _operations(value: Any) -> list[str]:
    """The operations FDA registers an establishment for, as FDA words them, in its order."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"expected a list of operations as text, got {describe(value)}")
    operations: list[str] = []
    for index, operation in enumerate(value):
        if not isinstance(operation, str) or not operation.strip():
            raise Invalid(f"item {index}: expected an operation as text, got {describe(operation)}")
        if operation in operations:
            raise Invalid(f"item {index}: the operation {operation!r} is listed twice")
        operations.append(operation)
    return operations


def _boolean(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {describe(value)}")
    return value


_source = _choice(DataSource.values, "source", default=DataSource.CURATED)


# Per object: file key -> (model field name, parser); keys listed separately are required.
PROVIDER_FIELDS: dict[str, tuple[str, Parser]] = {
    "name": ("name", _text(_max_length(Provider, "name"), required=True)),
    "slug": ("slug", _slug),
    "kind": ("kind", _choice(ProviderKind.values, "provider kind")),
    "country": ("country", _country),
    "website": ("website", _url),
    "description": ("description", _text(_max_length(Provider, "description"))),
    "verification_status": (
        "verification_status",
        _choice(
            VerificationStatus.values, "verification status", default=VerificationStatus.UNVERIFIED
        ),
    ),
    "verified_on": ("verified_on", _date),
    "registrant_duns": ("registrant_duns", _duns),
    "source": ("source", _source),
}
PROVIDER_REQUIRED = ("name", "slug", "kind", "country")

SITE_FIELDS: dict[str, tuple[str, Parser]] = {
    "name": ("name", _text(_max_length(Site, "name"), required=True)),
    "country": ("country", _country),
    "city": ("city", _text(_max_length(Site, "city"))),
    "fei_number": ("fei_number", _fei),
    "duns_number": ("duns_number", _duns),
    "registered_operations": ("registered_operations", _operations),
    "source": ("source", _source),
    "ancillary_only": ("ancillary_only", _boolean),
    "oel_ug_m3": ("oel_ug_m3", _positive_number),
    "capacity_available_from": ("capacity_available_from", _date),
}
SITE_REQUIRED = ("name", "country")
SITE_LISTS = (
    "phases",
    "dea_schedules",
    "capabilities",
    "certifications",
    "inspections",
    "actions",
)

CAPABILITY_FIELDS: dict[str, tuple[str, Parser]] = {
    "max_batch_kg": ("max_batch_kg", _positive_number),
    "max_volume_l": ("max_volume_l", _positive_number),
    "provenance": (
        "provenance",
        _choice(Provenance.values, "provenance", default=Provenance.SELF_REPORTED),
    ),
}

CERTIFICATION_FIELDS: dict[str, tuple[str, Parser]] = {
    "kind": ("kind", _choice(CertificationKind.values, "certification kind")),
    "authority": ("authority", _choice(Authority.values, "authority", default="")),
    "reference": ("reference", _text(_max_length(Certification, "reference"))),
    "issued_on": ("issued_on", _date),
    "valid_until": ("valid_until", _date),
    "status": (
        "status",
        _choice(
            CertificationStatus.values, "certification status", default=CertificationStatus.ACTIVE
        ),
    ),
    "source": ("source", _text(_max_length(Certification, "source"))),
    "retrieved_at": ("retrieved_at", _datetime),
}
CERTIFICATION_REQUIRED = ("kind",)


def _record_fields(model: type[models.Model]) -> dict[str, tuple[str, Parser]]:
    """The fields inspections and actions share (RegulatorRecord)."""
    return {
        "authority": ("authority", _choice(Authority.values, "authority")),
        "product_type": ("product_type", _text(_max_length(model, "product_type"))),
        "legal_name": ("legal_name", _text(_max_length(model, "legal_name"))),
        "source": ("source", _text(_max_length(model, "source"))),
        "retrieved_at": ("retrieved_at", _datetime),
    }


INSPECTION_FIELDS: dict[str, tuple[str, Parser]] = {
    **_record_fields(Inspection),
    "inspection_id": (
        "inspection_id",
        _text(_max_length(Inspection, "inspection_id"), required=True),
    ),
    "end_date": ("end_date", _required_date),
    "classification": (
        "classification",
        _choice(Classification.values, "inspection classification"),
    ),
    "project_area": ("project_area", _text(_max_length(Inspection, "project_area"))),
}
INSPECTION_REQUIRED = ("authority", "inspection_id", "end_date", "classification")

ACTION_FIELDS: dict[str, tuple[str, Parser]] = {
    **_record_fields(RegulatoryAction),
    "type": ("action_type", _choice(ActionType.values, "action type")),
    "date": ("action_date", _required_date),
    "case_id": ("case_id", _text(_max_length(RegulatoryAction, "case_id"))),
}
ACTION_REQUIRED = ("authority", "type", "date")


# -- Natural keys of checked entries (model field names, as the parsers give them) -------------


def entry_certification_key(fields: dict[str, Any]) -> tuple:
    return certification_key(fields["kind"], fields.get("reference", ""), fields.get("issued_on"))


def entry_inspection_key(fields: dict[str, Any]) -> tuple:
    return inspection_key(
        fields["authority"], fields["inspection_id"], fields.get("project_area", "")
    )


def entry_action_key(fields: dict[str, Any]) -> tuple:
    return action_key(
        fields["authority"], fields["action_type"], fields.get("case_id", ""), fields["action_date"]
    )
