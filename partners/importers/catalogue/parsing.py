"""Read, check and upsert a catalogue file: JSON Lines, one provider per line (DESIGN.md).

The file is a statement about the providers it names; importing it makes the catalogue agree
with it and touches nothing else:

- a provider is matched by slug; a site by its FEI when the file gives one (falling back to the
  provider's site of the same name), else by (provider, name);
- the phases, DEA schedules and capabilities of a site in the file become exactly the file's;
- certifications, inspections and actions are upserted by their natural keys; sites and records
  the file does not mention are left alone;
- a key absent from an object leaves that field as it is (a new row takes the model's default);
  a key given as null or "" clears it. The export writes every key, so a round trip is lossless;
- a row is saved only when one of its fields changes, so importing the same file twice writes
  nothing: no `updated_at` bump, no history row.

Each line is checked completely before anything is written for it, then written in its own
savepoint, so a line is imported whole or not at all and a bad line never stops the good ones.
An atomic import runs every line in one transaction and rolls it all back if any line is rejected.
"""

import datetime
import difflib
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import DataError, IntegrityError, models, transaction
from django_countries import countries
from django_countries.fields import Country

from partners.choices import (
    ActionType,
    Authority,
    CertificationKind,
    CertificationStatus,
    Classification,
    Provenance,
    ProviderKind,
    VerificationStatus,
)
from partners.fei import normalize_fei
from partners.models import (
    Certification,
    DeaSchedule,
    Inspection,
    Phase,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)

# The format: every key of each object, in the order the export writes them.
PROVIDER_KEYS = (
    "name",
    "slug",
    "kind",
    "country",
    "website",
    "description",
    "verification_status",
    "verified_on",
    "sites",
)
SITE_KEYS = (
    "name",
    "country",
    "city",
    "fei_number",
    "phases",
    "oel_ug_m3",
    "dea_schedules",
    "capacity_available_from",
    "capabilities",
    "certifications",
    "inspections",
    "actions",
)
CAPABILITY_KEYS = ("slug", "max_batch_kg", "max_volume_l", "provenance")
CERTIFICATION_KEYS = (
    "kind",
    "authority",
    "reference",
    "issued_on",
    "valid_until",
    "status",
    "source",
    "retrieved_at",
)
INSPECTION_KEYS = (
    "authority",
    "inspection_id",
    "end_date",
    "classification",
    "project_area",
    "product_type",
    "legal_name",
    "source",
    "retrieved_at",
)
ACTION_KEYS = (
    "authority",
    "type",
    "date",
    "case_id",
    "product_type",
    "legal_name",
    "source",
    "retrieved_at",
)
# Recorded on each history row the import writes, so curators see where a change came from.
DEFAULT_CHANGE_REASON = "catalogue import"


class LineRejected(Exception):
    """A line that cannot be imported, with every problem found in it (`path: reason`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Invalid(ValueError):
    """A value the format does not allow; the message is the reason shown to the curator."""


@dataclass(frozen=True)
class Vocabulary:
    """The slugs a file may use, read once per import (curators can add capability terms)."""

    term_ids: dict[str, int]
    phase_slugs: list[str]
    dea_codes: list[str]

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(
            term_ids=dict(Term.objects.values_list("slug", "pk")),
            phase_slugs=list(Phase.objects.order_by("rank").values_list("slug", flat=True)),
            dea_codes=list(DeaSchedule.objects.order_by("rank").values_list("code", flat=True)),
        )


# -- What one line says, once checked ---------------------------------------------------------


@dataclass
class CapabilityEntry:
    term_slug: str
    fields: dict[str, Any]


@dataclass
class SiteEntry:
    """One site of a line; `fields` holds only the keys the file gave, as model field values."""

    path: str
    fields: dict[str, Any]
    # None: the file leaves these alone; a set or list: the site's exact phases/schedules/terms.
    phases: set[str] | None
    dea_schedules: set[str] | None
    capabilities: list[CapabilityEntry] | None
    certifications: list[dict[str, Any]]
    inspections: list[dict[str, Any]]
    actions: list[dict[str, Any]]


@dataclass
class ProviderEntry:
    slug: str
    fields: dict[str, Any]
    sites: list[SiteEntry]


# -- Parsers: a JSON value in, a model field value out, or _Invalid with the reason -------------

Parser = Callable[[Any], Any]


def _describe(value: Any) -> str:
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


def _unknown(what: str, value: str, known: Sequence[str]) -> str:
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


def _max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _text(max_length: int | None = None, *, required: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _Invalid(f"expected text, got {_describe(value)}")
        if required and not value.strip():
            raise _Invalid("must not be empty")
        if max_length is not None and len(value) > max_length:
            raise _Invalid(f"is {len(value)} characters long; at most {max_length} fit")
        return value

    return parse


def _choice(known: Sequence[str], what: str, *, default: str | None = None) -> Parser:
    """One of `known`; null means `default`, or "" (none) when the field may be blank."""

    def parse(value: Any) -> str:
        if value is None or value == "":
            if default is None:
                raise _Invalid(f"must not be empty (expected a {what})")
            return default
        if not isinstance(value, str):
            raise _Invalid(f"expected a {what} as text, got {_describe(value)}")
        if value not in known:
            raise _Invalid(_unknown(what, value, known))
        return value

    return parse


def _slug(value: Any) -> str:
    value = _text(_max_length(Provider, "slug"), required=True)(value)
    try:
        validate_slug(value)
    except ValidationError:
        raise _Invalid(
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
        raise _Invalid(f"expected an ISO 3166 country code such as 'DE', got {_describe(value)}")
    code = value.strip().upper()
    if code in _country_codes():
        return code
    hint = _COUNTRY_ALIASES.get(code) or countries.by_name(value.strip())
    if hint:
        hint_text = f"did you mean {hint!r} for {Country(hint).name}?"
    else:
        hint_text = "expected an ISO 3166 alpha-2 code such as 'DE' or 'US'"
    raise _Invalid(f"unknown country code {value!r} ({hint_text})")


_URL = URLValidator()


def _url(value: Any) -> str:
    value = _text(_max_length(Provider, "website"))(value)
    if value:
        try:
            _URL(value)
        except ValidationError:
            raise _Invalid(f"{value!r} is not a web address (expected https://...)") from None
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _Invalid(f"expected a date as YYYY-MM-DD, got {_describe(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not a day of the calendar") from None


def _required_date(value: Any) -> datetime.date:
    parsed = _date(value)
    if parsed is None:
        raise _Invalid("must not be empty (expected a date as YYYY-MM-DD)")
    return parsed


def _datetime(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    example = "2024-03-02T10:15:00+00:00"
    if not isinstance(value, str):
        raise _Invalid(f"expected a date and time such as {example}, got {_describe(value)}")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"expected a date and time such as {example}, got {value!r}") from None
    if parsed.tzinfo is None:
        # A naive time is ambiguous by up to a day; the regulator's own offset is what we keep.
        raise _Invalid(f"{value!r} needs a UTC offset (such as {example})")
    return parsed


def _positive_number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"expected a number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise _Invalid("is too large") from None
    if not math.isfinite(number):
        raise _Invalid("expected a finite number")
    if number <= 0:
        raise _Invalid(f"must be greater than zero, got {value}")
    return number


_FEI_CHARACTERS = re.compile(r"[0-9 \-]+")


def _fei(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(f"expected an FEI number as text, got {_describe(value)}")
    if isinstance(value, str) and not _FEI_CHARACTERS.fullmatch(value):
        raise _Invalid(f"{value!r} is not an FEI number (digits, such as '3001234567')")
    fei = normalize_fei(value)
    if not fei:
        raise _Invalid(f"{value!r} is not an FEI number (digits, such as '3001234567')")
    limit = _max_length(Site, "fei_number")
    if len(fei) > limit:
        raise _Invalid(f"{value!r} is too long for an FEI number (at most {limit} digits)")
    return fei


# Per object: file key -> (model field name, parser); keys listed separately are required.
_PROVIDER_FIELDS: dict[str, tuple[str, Parser]] = {
    "name": ("name", _text(_max_length(Provider, "name"), required=True)),
    "slug": ("slug", _slug),
    "kind": ("kind", _choice(ProviderKind.values, "provider kind")),
    "country": ("country", _country),
    "website": ("website", _url),
    "description": ("description", _text()),
    "verification_status": (
        "verification_status",
        _choice(
            VerificationStatus.values, "verification status", default=VerificationStatus.UNVERIFIED
        ),
    ),
    "verified_on": ("verified_on", _date),
}
_PROVIDER_REQUIRED = ("name", "slug", "kind", "country")

_SITE_FIELDS: dict[str, tuple[str, Parser]] = {
    "name": ("name", _text(_max_length(Site, "name"), required=True)),
    "country": ("country", _country),
    "city": ("city", _text(_max_length(Site, "city"))),
    "fei_number": ("fei_number", _fei),
    "oel_ug_m3": ("oel_ug_m3", _positive_number),
    "capacity_available_from": ("capacity_available_from", _date),
}
_SITE_REQUIRED = ("name", "country")
_SITE_LISTS = (
    "phases",
    "dea_schedules",
    "capabilities",
    "certifications",
    "inspections",
    "actions",
)

_CAPABILITY_FIELDS: dict[str, tuple[str, Parser]] = {
    "max_batch_kg": ("max_batch_kg", _positive_number),
    "max_volume_l": ("max_volume_l", _positive_number),
    "provenance": (
        "provenance",
        _choice(Provenance.values, "provenance", default=Provenance.SELF_REPORTED),
    ),
}

_CERTIFICATION_FIELDS: dict[str, tuple[str, Parser]] = {
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
_CERTIFICATION_REQUIRED = ("kind",)


def _record_fields(model: type[models.Model]) -> dict[str, tuple[str, Parser]]:
    """The fields inspections and actions share (RegulatorRecord)."""
    return {
        "authority": ("authority", _choice(Authority.values, "authority")),
        "product_type": ("product_type", _text(_max_length(model, "product_type"))),
        "legal_name": ("legal_name", _text(_max_length(model, "legal_name"))),
        "source": ("source", _text(_max_length(model, "source"))),
        "retrieved_at": ("retrieved_at", _datetime),
    }


_INSPECTION_FIELDS: dict[str, tuple[str, Parser]] = {
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
_INSPECTION_REQUIRED = ("authority", "inspection_id", "end_date", "classification")

_ACTION_FIELDS: dict[str, tuple[str, Parser]] = {
    **_record_fields(RegulatoryAction),
    "type": ("action_type", _choice(ActionType.values, "action type")),
    "date": ("action_date", _required_date),
    "case_id": ("case_id", _text(_max_length(RegulatoryAction, "case_id"))),
}
_ACTION_REQUIRED = ("authority", "type", "date")


# -- Natural keys: how a file entry finds its row ----------------------------------------------


def certification_key(kind: str, reference: str, issued_on: datetime.date | None) -> tuple:
    """A certificate is known by its reference; one without a reference by its issue date."""
    return (kind, "reference", reference) if reference else (kind, "issued_on", issued_on)


def inspection_key(authority: str, inspection_id: str, project_area: str) -> tuple:
    return (authority, inspection_id, project_area)


def action_key(
    authority: str, action_type: str, case_id: str, action_date: datetime.date | None
) -> tuple:
    """An action is known by its case id; one without a case id by its date."""
    return (
        (authority, action_type, "case", case_id)
        if case_id
        else (authority, action_type, "date", action_date)
    )


def _entry_certification_key(fields: dict[str, Any]) -> tuple:
    return certification_key(fields["kind"], fields.get("reference", ""), fields.get("issued_on"))


def _entry_inspection_key(fields: dict[str, Any]) -> tuple:
    return inspection_key(
        fields["authority"], fields["inspection_id"], fields.get("project_area", "")
    )


def _entry_action_key(fields: dict[str, Any]) -> tuple:
    return action_key(
        fields["authority"], fields["action_type"], fields.get("case_id", ""), fields["action_date"]
    )


# -- Checking one line -------------------------------------------------------------------------


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Invalid(f"the key {key!r} appears twice in one object")
        obj[key] = value
    return obj


class _LineChecker:
    """Checks one line against the format and the vocabulary, collecting every problem in it."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.problems: list[str] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(f"{path}: {reason}" if path else reason)

    def provider(self, text: str) -> ProviderEntry | None:
        try:
            obj = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
        except json.JSONDecodeError as error:
            self.add("", f"invalid JSON: {error.msg} (column {error.colno})")
            return None
        except _Invalid as error:
            self.add("", f"invalid JSON: {error}")
            return None
        if not isinstance(obj, dict):
            self.add("", f"expected a JSON object (one provider per line), got {_describe(obj)}")
            return None
        fields = self.fields(obj, "", _PROVIDER_FIELDS, _PROVIDER_REQUIRED, extra=("sites",))
        sites = [
            self.site(site, path) for path, site in self.objects(obj, "sites", "", "site") or []
        ]
        self.repeated_in_line(sites)
        if "slug" not in fields:
            return None
        return ProviderEntry(slug=fields.pop("slug"), fields=fields, sites=sites)

    def repeated_in_line(self, sites: list[SiteEntry]) -> None:
        """A site name, or an inspection (its key is global), given twice in one line."""
        names: dict[str, str] = {}
        inspections: dict[tuple, str] = {}
        for site in sites:
            name = site.fields.get("name")
            if name in names:
                self.add(f"{site.path}.name", f"site name {name!r} is also used by {names[name]}")
            elif name:
                names[name] = site.path
            # Indexes into the file's list hold only if none of its inspections was dropped.
            if any(p.startswith(f"{site.path}.inspections[") for p in self.problems):
                continue
            for index, fields in enumerate(site.inspections):
                key = _entry_inspection_key(fields)
                if key in inspections:
                    self.add(
                        f"{site.path}.inspections[{index}]",
                        f"describes the same inspection as {inspections[key]}",
                    )
                inspections.setdefault(key, f"{site.path}.inspections[{index}]")

    def site(self, obj: dict[str, Any], path: str) -> SiteEntry:
        fields = self.fields(obj, path, _SITE_FIELDS, _SITE_REQUIRED, extra=_SITE_LISTS)
        capabilities = None
        if "capabilities" in obj:
            capabilities = []
            seen: dict[str, str] = {}
            for cap_path, cap in self.objects(obj, "capabilities", path, "capability") or []:
                slug = self.vocabulary_value(
                    cap, "slug", cap_path, list(self.vocabulary.term_ids), "capability"
                )
                cap_fields = self.fields(cap, cap_path, _CAPABILITY_FIELDS, (), extra=("slug",))
                if slug is None:
                    continue
                if slug in seen:
                    self.add(f"{cap_path}.slug", f"capability {slug!r} is also at {seen[slug]}")
                    continue
                seen[slug] = cap_path
                capabilities.append(CapabilityEntry(term_slug=slug, fields=cap_fields))
        return SiteEntry(
            path=path,
            fields=fields,
            phases=self.code_list(obj, "phases", path, self.vocabulary.phase_slugs, "phase"),
            dea_schedules=self.code_list(
                obj, "dea_schedules", path, self.vocabulary.dea_codes, "DEA schedule"
            ),
            capabilities=capabilities,
            certifications=self.records(
                obj,
                "certifications",
                path,
                "certification",
                _CERTIFICATION_FIELDS,
                _CERTIFICATION_REQUIRED,
                _entry_certification_key,
                check=self.certification_dates,
            ),
            inspections=self.records(
                obj,
                "inspections",
                path,
                "inspection",
                _INSPECTION_FIELDS,
                _INSPECTION_REQUIRED,
                _entry_inspection_key,
            ),
            actions=self.records(
                obj, "actions", path, "action", _ACTION_FIELDS, _ACTION_REQUIRED, _entry_action_key
            ),
        )

    def fields(
        self,
        obj: dict[str, Any],
        path: str,
        spec: dict[str, tuple[str, Parser]],
        required: Sequence[str],
        *,
        extra: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The model field values of the keys `obj` gives; problems for the keys it gets wrong."""
        prefix = f"{path}." if path else ""
        known = [*spec, *extra]
        for key in obj:
            if key not in known:
                self.add(f"{prefix}{key}", _unknown("key", key, known))
        for key in required:
            if key not in obj:
                self.add(f"{prefix}{key}", "is required but missing")
        cleaned: dict[str, Any] = {}
        for key, (name, parse) in spec.items():
            if key not in obj:
                continue
            try:
                cleaned[name] = parse(obj[key])
            except _Invalid as error:
                self.add(f"{prefix}{key}", str(error))
        return cleaned

    def objects(
        self, obj: dict[str, Any], key: str, path: str, what: str
    ) -> list[tuple[str, dict[str, Any]]] | None:
        """The objects listed under `key`, each with its path; None when the key is absent."""
        if key not in obj:
            return None
        prefix = f"{path}.{key}" if path else key
        items = obj[key]
        if items is None:
            return []
        if not isinstance(items, list):
            self.add(prefix, f"expected a list of {what} objects, got {_describe(items)}")
            return []
        listed = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                listed.append((f"{prefix}[{index}]", item))
            else:
                self.add(f"{prefix}[{index}]", f"expected a {what} object, got {_describe(item)}")
        return listed

    def vocabulary_value(
        self, obj: dict[str, Any], key: str, path: str, known: Sequence[str], what: str
    ) -> str | None:
        if key not in obj:
            self.add(f"{path}.{key}", "is required but missing")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"expected a {what} slug, got {_describe(value)}")
            return None
        if value not in known:
            self.add(f"{path}.{key}", _unknown(what, value, known))
            return None
        return value

    def code_list(
        self, obj: dict[str, Any], key: str, path: str, known: Sequence[str], what: str
    ) -> set[str] | None:
        if key not in obj:
            return None
        values = obj[key]
        if values is None:
            return set()
        if not isinstance(values, list):
            self.add(f"{path}.{key}", f"expected a list of {what}s, got {_describe(values)}")
            return set()
        codes = set()
        for index, value in enumerate(values):
            item_path = f"{path}.{key}[{index}]"
            if not isinstance(value, str):
                self.add(item_path, f"expected a {what} as text, got {_describe(value)}")
            elif value not in known:
                self.add(item_path, _unknown(what, value, known))
            elif value in codes:
                self.add(item_path, f"{what} {value!r} is listed twice")
            else:
                codes.add(value)
        return codes

    def records(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        what: str,
        spec: dict[str, tuple[str, Parser]],
        required: Sequence[str],
        natural_key: Callable[[dict[str, Any]], tuple],
        *,
        check: Callable[[dict[str, Any], str], None] | None = None,
    ) -> list[dict[str, Any]]:
        records = []
        seen: dict[tuple, str] = {}
        for record_path, record in self.objects(obj, key, path, what) or []:
            before = len(self.problems)
            fields = self.fields(record, record_path, spec, required)
            if check is not None and len(self.problems) == before:
                check(fields, record_path)
            if len(self.problems) > before:
                continue
            identity = natural_key(fields)
            if identity in seen:
                self.add(record_path, f"describes the same {what} as {seen[identity]}")
                continue
            seen[identity] = record_path
            records.append(fields)
        return records

    def certification_dates(self, fields: dict[str, Any], path: str) -> None:
        issued_on, valid_until = fields.get("issued_on"), fields.get("valid_until")
        if issued_on and valid_until and valid_until <= issued_on:
            self.add(
                f"{path}.valid_until",
                f"must be after issued_on ({valid_until.isoformat()} is not after "
                f"{issued_on.isoformat()})",
            )


# -- Writing one line --------------------------------------------------------------------------


def _current(instance: models.Model, name: str) -> Any:
    value = getattr(instance, name)
    # CountryField hands back a Country; the file and the parsers speak codes.
    return value.code if isinstance(value, Country) else value


@dataclass
class _LineOutcome:
    provider: str = "unchanged"
    sites: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)


class _CatalogueWriter:
    """Makes the database agree with one checked line, saving only the rows that differ."""

    def __init__(self, vocabulary: Vocabulary, change_reason: str) -> None:
        self.vocabulary = vocabulary
        self.change_reason = change_reason

    def save(self, instance: models.Model) -> None:
        instance._change_reason = self.change_reason
        instance.save()

    def upsert(self, instance: models.Model, fields: dict[str, Any]) -> bool:
        """Set `fields` on `instance` and save it if any differs; True when it was saved."""
        changed = [name for name, value in fields.items() if _current(instance, name) != value]
        for name in changed:
            setattr(instance, name, fields[name])
        if changed or instance.pk is None:
            self.save(instance)
            return True
        return False

    def write(self, entry: ProviderEntry) -> _LineOutcome:
        outcome = _LineOutcome()
        provider = Provider.objects.filter(slug=entry.slug).first()
        created = provider is None
        if created:
            provider = Provider(slug=entry.slug)
        if self.upsert(provider, entry.fields):
            outcome.provider = "created" if created else "updated"
        if entry.sites:
            self.write_sites(provider, entry.sites, outcome, new_provider=created)
        sites_changed = outcome.sites["created"] or outcome.sites["updated"]
        if outcome.provider == "unchanged" and sites_changed:
            outcome.provider = "updated"
        return outcome

    def write_sites(
        self,
        provider: Provider,
        entries: list[SiteEntry],
        outcome: _LineOutcome,
        *,
        new_provider: bool,
    ) -> None:
        existing: list[Site] = []
        if not new_provider:
            existing = list(
                provider.sites.prefetch_related(
                    "phases",
                    "dea_schedules",
                    "capabilities__term",
                    "certifications",
                    "actions",
                )
            )
        by_fei = {site.fei_number: site for site in existing if site.fei_number}
        by_name = {site.name: site for site in existing}
        matched: dict[int, str] = {}
        written: list[tuple[Site, str, SiteEntry]] = []
        # First the sites themselves: saving one may link regulator records to it by its FEI,
        # which the records pass below must see.
        for entry in entries:
            fei, name = entry.fields.get("fei_number"), entry.fields["name"]
            site = (fei and by_fei.get(fei)) or by_name.get(name)
            if site is not None:
                if site.pk in matched:
                    raise LineRejected(
                        [f"{entry.path}: is the same site as {matched[site.pk]} ({site.name!r})"]
                    )
                matched[site.pk] = entry.path
                namesake = by_name.get(name)
                if namesake is not None and namesake.pk != site.pk:
                    raise LineRejected(
                        [
                            f"{entry.path}.name: renames the site with FEI {site.fei_number} to "
                            f"{name!r}, the name of another site of this provider"
                        ]
                    )
            written.append((*self.write_site(provider, site, entry), entry))
        inspections = self.inspections_named_in(entries)
        for site, status, entry in written:
            records_changed = self.write_site_records(site, entry, inspections, outcome.records)
            if status == "unchanged" and records_changed:
                status = "updated"
            outcome.sites[status] += 1

    def write_site(
        self, provider: Provider, site: Site | None, entry: SiteEntry
    ) -> tuple[Site, str]:
        """The site's own fields and its phases and DEA schedules; the site and what happened."""
        created = site is None
        if created:
            site = Site(provider=provider)
        changed = self.upsert(site, entry.fields)
        if changed and not created:
            # Saving may have relinked regulator records (a new FEI): drop what was prefetched.
            site._prefetched_objects_cache = {}
        site._change_reason = self.change_reason
        if entry.phases is not None and entry.phases != {p.pk for p in site.phases.all()}:
            site.phases.set(entry.phases)
            changed = True
        if entry.dea_schedules is not None and entry.dea_schedules != {
            d.pk for d in site.dea_schedules.all()
        }:
            site.dea_schedules.set(entry.dea_schedules)
            changed = True
        if created:
            return site, "created"
        return site, "updated" if changed else "unchanged"

    def inspections_named_in(self, entries: list[SiteEntry]) -> dict[tuple, Inspection]:
        """The existing inspections a line names, by natural key (they may belong to any site)."""
        named = [fields for entry in entries for fields in entry.inspections]
        if not named:
            return {}
        # Authority first: the unique (authority, inspection id, project area) index serves it.
        candidates = Inspection.objects.filter(
            authority__in={fields["authority"] for fields in named},
            inspection_id__in={fields["inspection_id"] for fields in named},
        ).order_by()
        return {inspection_key(i.authority, i.inspection_id, i.project_area): i for i in candidates}

    def write_site_records(
        self,
        site: Site,
        entry: SiteEntry,
        inspections: dict[tuple, Inspection],
        records: Counter,
    ) -> bool:
        """Capabilities, certifications, inspections and actions; True when any was written."""
        changed = False
        if entry.capabilities is not None:
            changed |= self.write_capabilities(site, entry.capabilities, records)
        changed |= self.write_certifications(site, entry.certifications, records)
        changed |= self.write_inspections(site, entry.inspections, inspections, records)
        changed |= self.write_actions(site, entry.actions, records)
        return changed

    def write_capabilities(
        self, site: Site, entries: list[CapabilityEntry], records: Counter
    ) -> bool:
        current = {capability.term.slug: capability for capability in site.capabilities.all()}
        changed = False
        for entry in entries:
            capability = current.pop(entry.term_slug, None)
            created = capability is None
            if created:
                capability = SiteCapability(
                    site=site, term_id=self.vocabulary.term_ids[entry.term_slug]
                )
            if self.upsert(capability, entry.fields):
                records["capabilities", "added" if created else "updated"] += 1
                changed = True
        for capability in current.values():
            capability._change_reason = self.change_reason
            capability.delete()
            records["capabilities", "removed"] += 1
            changed = True
        return changed

    def write_certifications(
        self, site: Site, entries: list[dict[str, Any]], records: Counter
    ) -> bool:
        current: dict[tuple, Certification] = {}
        for certification in site.certifications.all():
            key = certification_key(
                certification.kind, certification.reference, certification.issued_on
            )
            current.setdefault(key, certification)
        changed = False
        for fields in entries:
            certification = current.get(_entry_certification_key(fields))
            created = certification is None
            if created:
                certification = Certification(site=site)
            if self.upsert(certification, fields):
                records["certifications", "added" if created else "updated"] += 1
                changed = True
        return changed

    def write_inspections(
        self,
        site: Site,
        entries: list[dict[str, Any]],
        existing: dict[tuple, Inspection],
        records: Counter,
    ) -> bool:
        changed = False
        for fields in entries:
            key = _entry_inspection_key(fields)
            inspection = existing.get(key)
            created = inspection is None
            if created:
                inspection = existing[key] = Inspection()
            linked = {**fields, "site_id": site.pk, "fei_number": site.fei_number}
            if self.upsert(inspection, linked):
                records["inspections", "added" if created else "updated"] += 1
                changed = True
        return changed

    def write_actions(self, site: Site, entries: list[dict[str, Any]], records: Counter) -> bool:
        current: dict[tuple, RegulatoryAction] = {}
        for action in site.actions.all():
            key = action_key(
                action.authority, action.action_type, action.case_id, action.action_date
            )
            current.setdefault(key, action)
        changed = False
        for fields in entries:
            action = current.get(_entry_action_key(fields))
            created = action is None
            if created:
                action = RegulatoryAction()
            linked = {**fields, "site_id": site.pk, "fei_number": site.fei_number}
            if self.upsert(action, linked):
                records["actions", "added" if created else "updated"] += 1
                changed = True
        return changed


# -- The import as a whole ---------------------------------------------------------------------


@dataclass
class Rejection:
    line: int
    problems: list[str]

    def messages(self) -> list[str]:
        return [f"line {self.line}: {problem}" for problem in self.problems]


@dataclass
class ImportReport:
    """What an import read and did; `rolled_back` when an atomic import wrote nothing."""

    atomic: bool = False
    lines_read: int = 0
    blank_lines: int = 0
    providers: Counter = field(default_factory=Counter)
    sites: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    rolled_back: bool = False

    def add(self, outcome: _LineOutcome) -> None:
        self.providers[outcome.provider] += 1
        self.sites.update(outcome.sites)
        self.records.update(outcome.records)

    def summary(self) -> list[str]:
        """The report's lines for standard output (rejections are listed apart)."""
        blank = f" ({self.blank_lines} blank)" if self.blank_lines else ""
        lines = [f"Lines read: {self.lines_read}{blank}."]
        if self.rolled_back:
            lines.append(
                f"Nothing was written: --atomic, and {len(self.rejections)} line(s) were rejected."
            )
            return lines

        def counts(counter: Counter, statuses: Sequence[str]) -> str:
            return ", ".join(f"{counter[status]} {status}" for status in statuses)

        statuses = ("created", "updated", "unchanged")
        lines.append(f"Providers: {counts(self.providers, statuses)}.")
        lines.append(f"Sites: {counts(self.sites, statuses)}.")
        for kind in ("capabilities", "certifications", "inspections", "actions"):
            verbs = [(verb, self.records[kind, verb]) for verb in ("added", "updated", "removed")]
            written = ", ".join(f"{count} {verb}" for verb, count in verbs if count)
            if written:
                lines.append(f"{kind.capitalize()}: {written}.")
        if self.rejections:
            lines.append(f"Rejected lines: {len(self.rejections)} (listed on standard error).")
        return lines

    def rejection_messages(self) -> list[str]:
        return [message for rejection in self.rejections for message in rejection.messages()]


class _CatalogueImport:
    def __init__(self, vocabulary: Vocabulary, report: ImportReport, change_reason: str) -> None:
        self.vocabulary = vocabulary
        self.report = report
        self.writer = _CatalogueWriter(vocabulary, change_reason)
        # FEI -> (line, provider slug) of the first line of this file that gave it.
        self.fei_owners: dict[str, tuple[int, str]] = {}

    def run(self, lines: Iterable[bytes | str]) -> None:
        for number, raw in enumerate(lines, start=1):
            self.report.lines_read += 1
            self.import_line(number, raw)

    def import_line(self, number: int, raw: bytes | str) -> None:
        try:
            entry = self.read(number, raw)
        except LineRejected as rejected:
            self.report.rejections.append(Rejection(number, rejected.problems))
            return
        if entry is None:
            self.report.blank_lines += 1
            return
        try:
            with transaction.atomic():
                outcome = self.writer.write(entry)
        except LineRejected as rejected:
            self.report.rejections.append(Rejection(number, rejected.problems))
        except (IntegrityError, DataError) as error:
            # The checks above should leave nothing for the database to refuse; if it still
            # does (a rename onto another site's name, a concurrent edit), report, don't crash.
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            self.report.rejections.append(
                Rejection(number, [f"the database refused the line: {reason}"])
            )
        else:
            self.report.add(outcome)

    def read(self, number: int, raw: bytes | str) -> ProviderEntry | None:
        """The checked line, None for a blank line; LineRejected with every problem found."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise LineRejected([f"not UTF-8 text (byte {error.start + 1})"]) from None
        text = raw.removeprefix("\ufeff") if number == 1 else raw
        if not text.strip():
            return None
        checker = _LineChecker(self.vocabulary)
        entry = checker.provider(text)
        if entry is not None:
            self.check_feis(number, entry, checker)
        if checker.problems:
            raise LineRejected(checker.problems)
        return entry

    def check_feis(self, number: int, entry: ProviderEntry, checker: _LineChecker) -> None:
        """An FEI names one site: not two in this line, nor another provider's, here or stored."""
        in_line: dict[str, str] = {}
        for site in entry.sites:
            fei = site.fields.get("fei_number")
            if not fei:
                continue
            path = f"{site.path}.fei_number"
            if fei in in_line:
                checker.add(path, f"FEI {fei} is also given for {in_line[fei]}")
                continue
            owner_line, owner_slug = self.fei_owners.setdefault(fei, (number, entry.slug))
            if owner_slug != entry.slug:
                checker.add(
                    path, f"FEI {fei} is given to provider {owner_slug!r} on line {owner_line}"
                )
                continue
            in_line[fei] = site.path
        if not in_line:
            return
        taken = (
            # Excluding "" lets the database use the partial unique index on FEIs.
            Site.objects.filter(fei_number__in=in_line)
            .exclude(fei_number="")
            .exclude(provider__slug=entry.slug)
            .order_by()
            .values_list("fei_number", "name", "provider__slug")
        )
        for fei, site_name, provider_slug in taken:
            checker.add(
                f"{in_line[fei]}.fei_number",
                f"FEI {fei} already belongs to site {site_name!r} of provider {provider_slug!r}",
            )


def import_catalogue(
    lines: Iterable[bytes | str],
    *,
    atomic: bool = False,
    change_reason: str = DEFAULT_CHANGE_REASON,
) -> ImportReport:
    """Upsert every good line of a catalogue file; see the module docstring for the rules."""
    report = ImportReport(atomic=atomic)
    run = _CatalogueImport(Vocabulary.load(), report, change_reason[:100])
    if not atomic:
        run.run(lines)
        return report
    with transaction.atomic():
        run.run(lines)
        if report.rejections:
            transaction.set_rollback(True)
            report.rolled_back = True
    return report
