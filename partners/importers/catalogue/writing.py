"""Write one checked line of a catalogue file: make the database agree with it, saving only
the rows that differ.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django_countries.fields import Country

from partners.importers.catalogue.checking import (
    CapabilityEntry,
    LineRejected,
    ProviderEntry,
    SiteEntry,
    Vocabulary,
)
from partners.importers.catalogue.format import action_key, certification_key, inspection_key
from partners.importers.catalogue.ownership import (
    LISTED_RECORDS,
    FeiOwners,
    describe_record,
    moved_by_holders,
    site_owners,
)
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
    # Regulator records the linking rule leaves with no site once the line is written (their
    # FEI is shared now, and their legal name matches none of its sites).
    unlinked: int = 0


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
        existing: list[Site] = []
        if provider is not None:
            existing = list(
                provider.sites.prefetch_related(
                    "phases",
                    "dea_schedules",
                    "capabilities__term",
                    "certifications",
                )
            )
        matches = self.match_sites(existing, entry.sites)
        # Who owns which regulator records before anything is written: the sites' FEIs and
        # names, and the provider's name, decide it under the linking rule.
        before = FeiOwners(self.feis_in_play(existing, matches))
        if provider is None:
            provider = Provider(slug=entry.slug)
        if self.upsert(provider, entry.fields):
            outcome.provider = "created" if created else "updated"
        written = [
            (*self.write_site(provider, site, site_entry), site_entry)
            for site_entry, site in matches
        ]
        # Saving a site relinks the records of its FEI: look the line's records up after.
        inspections = self.inspections_named_in(entry.sites)
        actions = self.actions_named_in(written)
        # Nothing saved, nothing that the rule reads changed: spare reading the holders again.
        saved = outcome.provider != "unchanged" or any(
            status != "unchanged" for _, status, _ in written
        )
        after = FeiOwners(before.feis) if saved else before
        problems, outcome.unlinked = self.check_owners(
            provider, written, inspections, actions, before, after
        )
        if problems:
            raise LineRejected(problems)
        for site_index, (site, status, site_entry) in enumerate(written):
            records_changed = self.write_site_records(
                site, site_entry, inspections, actions, site_index, after, outcome.records
            )
            if status == "unchanged" and records_changed:
                status = "updated"
            outcome.sites[status] += 1
        sites_changed = outcome.sites["created"] or outcome.sites["updated"]
        if outcome.provider == "unchanged" and sites_changed:
            outcome.provider = "updated"
        return outcome

    def match_sites(
        self, existing: list[Site], entries: list[SiteEntry]
    ) -> list[tuple[SiteEntry, Site | None]]:
        """Each site of the line with the stored site it describes, None for a new one."""
        by_duns = {site.duns_number: site for site in existing if site.duns_number}
        # An FEI finds a site only where one of the provider's sites has it: two establishments
        # of one FEI are told apart by their DUNS numbers, or their names.
        holders = Counter(site.fei_number for site in existing if site.fei_number)
        by_fei = {site.fei_number: site for site in existing if holders[site.fei_number] == 1}
        by_name = {site.name: site for site in existing}
        matched: dict[int, str] = {}
        matches: list[tuple[SiteEntry, Site | None]] = []
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
            matches.append((entry, site))
        return matches

    def feis_in_play(
        self, existing: list[Site], matches: list[tuple[SiteEntry, Site | None]]
    ) -> set[str]:
        """The FEIs whose records the line may touch: its sites' FEIs, old and new, and those
        of the records it names."""
        feis = {site.fei_number for site in existing}
        for entry, site in matches:
            feis.add(entry.fields.get("fei_number", site.fei_number if site else ""))
        named = [fields for entry, _ in matches for fields in entry.inspections]
        if named:
            feis.update(
                Inspection.objects.filter(
                    authority__in={fields["authority"] for fields in named},
                    inspection_id__in={fields["inspection_id"] for fields in named},
                )
                .order_by()
                .values_list("fei_number", flat=True)
                .distinct()
            )
        if existing and any(entry.actions for entry, _ in matches):
            feis.update(
                RegulatoryAction.objects.filter(site__in=existing)
                .order_by()
                .values_list("fei_number", flat=True)
                .distinct()
            )
        return feis - {""}

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

    def actions_named_in(
        self, written: list[tuple[Site, str, SiteEntry]]
    ) -> dict[tuple[int, int], RegulatoryAction]:
        """The existing actions a line names, by (site index, action index): an action of the
        site; else one of the site's FEI with the same case id (FDA's key); else, of the site's
        FEI, one the linking rule left with no site (an FEI shared since)."""
        if not any(entry.actions for _, _, entry in written):
            return {}
        feis = {site.fei_number for site, _, _ in written} - {""}
        candidates = RegulatoryAction.objects.filter(
            Q(site__in=[site for site, _, _ in written]) | Q(fei_number__in=feis)
        ).order_by("pk")
        by_key: dict[tuple, list[RegulatoryAction]] = {}
        for action in candidates:
            key = action_key(
                action.authority, action.action_type, action.case_id, action.action_date
            )
            by_key.setdefault(key, []).append(action)
        found: dict[tuple[int, int], RegulatoryAction] = {}
        taken: set[int] = set()
        for site_index, (site, _, entry) in enumerate(written):
            for action_index, fields in enumerate(entry.actions):
                same_key = [
                    a for a in by_key.get(entry_action_key(fields), []) if a.pk not in taken
                ]
                fei = site.fei_number
                action = next((a for a in same_key if a.site_id == site.pk), None) or next(
                    (
                        a
                        for a in same_key
                        if fei
                        and a.fei_number == fei
                        and (fields.get("case_id") or a.site_id is None)
                    ),
                    None,
                )
                if action is not None:
                    found[site_index, action_index] = action
                    taken.add(action.pk)
        return found

    def check_owners(
        self,
        provider: Provider,
        written: list[tuple[Site, str, SiteEntry]],
        inspections: dict[tuple, Inspection],
        actions: dict[tuple[int, int], RegulatoryAction],
        before: FeiOwners,
        after: FeiOwners,
    ) -> tuple[list[str], int]:
        """Every record the line would move to or from another provider, as problems, and how
        many records the linking rule now leaves with no site."""
        # (path, the record as the line writes it, its owner before the line, its owner after)
        claims: list[tuple[str, models.Model, int | None, int | None]] = []

        def claim(
            path: str,
            model: type[Inspection] | type[RegulatoryAction],
            stored: Inspection | RegulatoryAction | None,
            fields: dict[str, Any],
            site: Site,
        ) -> None:
            was = None
            if stored is not None and stored.fei_number in before.feis:
                was = before.site_for(stored.fei_number, stored.legal_name, stored.site_id)
            elif stored is not None:  # no FEI, or one the line does not touch
                was = stored.site_id
            legal_name = fields.get("legal_name", stored.legal_name if stored else "")
            becomes = after.site_for(site.fei_number, legal_name, site.pk)
            fei = stored.fei_number if stored is not None else site.fei_number
            shown = model(**fields, fei_number=fei)
            claims.append((path, shown, was, becomes))

        for site_index, (site, _, entry) in enumerate(written):
            for index, fields in enumerate(entry.inspections):
                stored = inspections.get(entry_inspection_key(fields))
                claim(f"{entry.path}.inspections[{index}]", Inspection, stored, fields, site)
            for index, fields in enumerate(entry.actions):
                stored_action = actions.get((site_index, index))
                claim(
                    f"{entry.path}.actions[{index}]", RegulatoryAction, stored_action, fields, site
                )
        owners = site_owners(
            [site_id for _, _, was, becomes in claims for site_id in (was, becomes)],
            before,
            after,
        )
        problems = []
        # Records of the line the rule leaves with no site, counted with the others below.
        left_unlinked = sum(1 for _, _, was, becomes in claims if was and becomes is None)
        for path, record, was, becomes in claims:
            if was is not None and owners[was].provider_id != provider.pk:
                problems.append(
                    f"{path}: {describe_record(record)} belongs to {owners[was]}; a catalogue "
                    "line does not move regulator records between providers"
                )
            elif becomes is not None and owners[becomes].provider_id != provider.pk:
                problems.append(
                    f"{path}: {describe_record(record)} would belong to {owners[becomes]} under "
                    "the FEI linking rule (the sites sharing the FEI are told apart by the "
                    "record's legal name); a catalogue line writes only its own provider's "
                    "regulator records"
                )
        named: dict[type[models.Model], set[int]] = {
            Inspection: {i.pk for i in inspections.values() if i.pk},
            RegulatoryAction: {a.pk for a in actions.values()},
        }
        if len(problems) > LISTED_RECORDS:
            more = len(problems) - LISTED_RECORDS
            problems = [*problems[:LISTED_RECORDS], f"... and {more} more such records"]
        moved, unlinked = moved_by_holders(before, after, named)
        return problems + moved, unlinked + left_unlinked

    def write_site_records(
        self,
        site: Site,
        entry: SiteEntry,
        inspections: dict[tuple, Inspection],
        actions: dict[tuple[int, int], RegulatoryAction],
        site_index: int,
        owners: FeiOwners,
        records: Counter,
    ) -> bool:
        """Capabilities, certifications, inspections and actions; True when any was written."""
        changed = False
        if entry.capabilities is not None:
            changed |= self.write_capabilities(site, entry.capabilities, records)
        changed |= self.write_certifications(site, entry.certifications, records)
        for fields in entry.inspections:
            key = entry_inspection_key(fields)
            if key not in inspections:
                inspections[key] = Inspection()
            changed |= self.write_record(site, inspections[key], fields, owners, records)
        for index, fields in enumerate(entry.actions):
            action = actions.get((site_index, index)) or RegulatoryAction()
            changed |= self.write_record(site, action, fields, owners, records)
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

    def write_record(
        self,
        site: Site,
        record: Inspection | RegulatoryAction,
        fields: dict[str, Any],
        owners: FeiOwners,
        records: Counter,
    ) -> bool:
        """An inspection or action of the site, linked where the linking rule puts it (which
        `RegulatorRecord.save` applies too): saying so spares saving an unchanged record."""
        created = record.pk is None
        legal_name = fields.get("legal_name", record.legal_name)
        linked = {
            **fields,
            "fei_number": site.fei_number,
            "site_id": owners.site_for(site.fei_number, legal_name, site.pk),
        }
        if not self.upsert(record, linked):
            return False
        kind = "inspections" if isinstance(record, Inspection) else "actions"
        records[kind, "added" if created else "updated"] += 1
        return True
