"""Check one line of a catalogue file against the format and the vocabulary: the checked
entries the writer takes, or every problem found in the line.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from partners.importers.catalogue.parsing import (
    ACTION_FIELDS,
    ACTION_REQUIRED,
    CAPABILITY_FIELDS,
    CERTIFICATION_FIELDS,
    CERTIFICATION_REQUIRED,
    INSPECTION_FIELDS,
    INSPECTION_REQUIRED,
    PROVIDER_FIELDS,
    PROVIDER_REQUIRED,
    SITE_FIELDS,
    SITE_LISTS,
    SITE_REQUIRED,
    Invalid,
    Parser,
    describe,
    entry_action_key,
    entry_certification_key,
    entry_inspection_key,
    reject_duplicate_keys,
    unknown,
)
from partners.models import DeaSchedule, Phase, Term


class LineRejected(Exception):
    """A line that cannot be imported, with every problem found in it (`path: reason`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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


# -- Checking one line -------------------------------------------------------------------------


class LineChecker:
    """Checks one line against the format and the vocabulary, collecting every problem in it."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.problems: list[str] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(f"{path}: {reason}" if path else reason)

    def provider(self, text: str) -> ProviderEntry | None:
        try:
            obj = json.loads(text, object_pairs_hook=reject_duplicate_keys)
        except json.JSONDecodeError as error:
            self.add("", f"invalid JSON: {error.msg} (column {error.colno})")
            return None
        except Invalid as error:
            self.add("", f"invalid JSON: {error}")
            return None
        if not isinstance(obj, dict):
            self.add("", f"expected a JSON object (one provider per line), got {describe(obj)}")
            return None
        fields = self.fields(obj, "", PROVIDER_FIELDS, PROVIDER_REQUIRED, extra=("sites",))
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
                key = entry_inspection_key(fields)
                if key in inspections:
                    self.add(
                        f"{site.path}.inspections[{index}]",
                        f"describes the same inspection as {inspections[key]}",
                    )
                inspections.setdefault(key, f"{site.path}.inspections[{index}]")

    def site(self, obj: dict[str, Any], path: str) -> SiteEntry:
        fields = self.fields(obj, path, SITE_FIELDS, SITE_REQUIRED, extra=SITE_LISTS)
        capabilities = None
        if "capabilities" in obj:
            capabilities = []
            seen: dict[str, str] = {}
            for cap_path, cap in self.objects(obj, "capabilities", path, "capability") or []:
                slug = self.vocabulary_value(
                    cap, "slug", cap_path, list(self.vocabulary.term_ids), "capability"
                )
                cap_fields = self.fields(cap, cap_path, CAPABILITY_FIELDS, (), extra=("slug",))
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
                CERTIFICATION_FIELDS,
                CERTIFICATION_REQUIRED,
                entry_certification_key,
                check=self.certification_dates,
            ),
            inspections=self.records(
                obj,
                "inspections",
                path,
                "inspection",
                INSPECTION_FIELDS,
                INSPECTION_REQUIRED,
                entry_inspection_key,
            ),
            actions=self.records(
                obj, "actions", path, "action", ACTION_FIELDS, ACTION_REQUIRED, entry_action_key
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
                self.add(f"{prefix}{key}", unknown("key", key, known))
        for key in required:
            if key not in obj:
                self.add(f"{prefix}{key}", "is required but missing")
        cleaned: dict[str, Any] = {}
        for key, (name, parse) in spec.items():
            if key not in obj:
                continue
            try:
                cleaned[name] = parse(obj[key])
            except Invalid as error:
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
            self.add(prefix, f"expected a list of {what} objects, got {describe(items)}")
            return []
        listed = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                listed.append((f"{prefix}[{index}]", item))
            else:
                self.add(f"{prefix}[{index}]", f"expected a {what} object, got {describe(item)}")
        return listed

    def vocabulary_value(
        self, obj: dict[str, Any], key: str, path: str, known: Sequence[str], what: str
    ) -> str | None:
        if key not in obj:
            self.add(f"{path}.{key}", "is required but missing")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"expected a {what} slug, got {describe(value)}")
            return None
        if value not in known:
            self.add(f"{path}.{key}", unknown(what, value, known))
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
            self.add(f"{path}.{key}", f"expected a list of {what}s, got {describe(values)}")
            return set()
        codes = set()
        for index, value in enumerate(values):
            item_path = f"{path}.{key}[{index}]"
            if not isinstance(value, str):
                self.add(item_path, f"expected a {what} as text, got {describe(value)}")
            elif value not in known:
                self.add(item_path, unknown(what, value, known))
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
