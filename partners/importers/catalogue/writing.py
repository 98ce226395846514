"""Write one checked line of a catalogue file: make the database agree with it, saving only
the rows that differ.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django_countries.fields import Country

from partners.importers.catalogue.checking import (
    CapabilityEntry,
    LineRejected,
    ProviderEntry,
    SiteEntry,
    Vocabulary,
)
from partners.importers.catalogue.format import action_key, certification_key, inspection_key
from partners.importers.catalogue.parsing import (
    entry_action_key,
    entry_certification_key,
    entry_inspection_key,
)
from partners.models import (
    Certification,
    Historied,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
)


def _current(instance: models.Model, name: str) -> Any:
    value = getattr(instance, name)
    # CountryField hands back a Country; the file and the parsers speak codes.
    return value.code if isinstance(value, Country) else value


@dataclass
class LineOutcome:
    provider: str = "unchanged"
    sites: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)


class CatalogueWriter:
    """Makes the database agree with one checked line, saving only the rows that differ."""

    def __init__(self, vocabulary: Vocabulary, change_reason: str) -> None:
        self.vocabulary = vocabulary
        self.change_reason = change_reason

    def save(self, instance: Historied) -> None:
        instance._change_reason = self.change_reason
        instance.save()

    def upsert(self, instance: Historied, fields: dict[str, Any]) -> bool:
        """Set `fields` on `instance` and save it if any differs; True when it was saved."""
        changed = [name for name, value in fields.items() if _current(instance, name) != value]
        for name in changed:
            setattr(instance, name, fields[name])
        if changed or instance.pk is None:
            self.save(instance)
            return True
        return False

    def write(self, entry: ProviderEntry) -> LineOutcome:
        outcome = LineOutcome()
        provider = Provider.objects.filter(slug=entry.slug).first()
        created = provider is None
        if provider is None:
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
        outcome: LineOutcome,
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
        by_duns = {site.duns_number: site for site in existing if site.duns_number}
        # An FEI finds a site only where one of the provider's sites has it: two establishments
        # of one FEI are told apart by their DUNS numbers, or their names.
        holders = Counter(site.fei_number for site in existing if site.fei_number)
        by_fei = {site.fei_number: site for site in existing if holders[site.fei_number] == 1}
        by_name = {site.name: site for site in existing}
        matched: dict[int, str] = {}
        written: list[tuple[Site, str, SiteEntry]] = []
        # First the sites themselves: saving one may link regulator records to it by its FEI,
        # which the records pass below must see.
        for entry in entries:
            duns, fei = entry.fields.get("duns_number"), entry.fields.get("fei_number")
            name = entry.fields["name"]
            site = (duns and by_duns.get(duns)) or (fei and by_fei.get(fei)) or by_name.get(name)
            if site is not None:
                if site.pk in matched:
                    raise LineRejected(
                        [f"{entry.path}: is the same site as {matched[site.pk]} ({site.name!r})"]
                    )
                matched[site.pk] = entry.path
                namesake = by_name.get(name)
                if namesake is not None and namesake.pk != site.pk:
                    known_by = (
                        f"DUNS {site.duns_number}"
                        if duns and site.duns_number == duns
                        else f"FEI {site.fei_number}"
                    )
                    raise LineRejected(
                        [
                            f"{entry.path}.name: renames the site with {known_by} to "
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
        if site is None:
            site = Site(provider=provider)
        changed = self.upsert(site, entry.fields)
        if changed and not created:
            # Saving may have relinked regulator records (a new FEI): drop what was prefetched.
            # (Django's prefetch cache, private to Model and so absent from the stubs.)
            site._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        site._change_reason = self.change_reason
        # Phases and DEA schedules are keyed by slug and code, where the stubs' `set` takes
        # only integer primary keys.
        if entry.phases is not None and entry.phases != {p.pk for p in site.phases.all()}:
            site.phases.set(entry.phases)  # type: ignore[arg-type]
            changed = True
        if entry.dea_schedules is not None and entry.dea_schedules != {
            d.pk for d in site.dea_schedules.all()
        }:
            site.dea_schedules.set(entry.dea_schedules)  # type: ignore[arg-type]
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
            if capability is None:
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
            certification = current.get(entry_certification_key(fields))
            created = certification is None
            if certification is None:
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
            key = entry_inspection_key(fields)
            inspection = existing.get(key)
            created = inspection is None
            if inspection is None:
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
            action = current.get(entry_action_key(fields))
            created = action is None
            if action is None:
                action = RegulatoryAction()
            linked = {**fields, "site_id": site.pk, "fei_number": site.fei_number}
            if self.upsert(action, linked):
                records["actions", "added" if created else "updated"] += 1
                changed = True
        return changed
