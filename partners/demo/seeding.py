"""Writing the demo catalogue to the database (`manage.py seed_demo`).

`seed_catalogue` writes what `partners.demo.generator` plans with bulk inserts, skipping what an
earlier run (or an import) already put in the database, and gives the rows curators edit their
first history entry.
"""

import datetime
import random
import time
from dataclasses import dataclass, fields

from django.db import transaction

from partners.catalogue_version import bump_catalogue_version
from partners.choices import DataSource
from partners.demo.generator import (
    PlannedAction,
    PlannedCertification,
    PlannedInspection,
    PlannedSite,
    demo_fei,
    generate_catalogue,
)


@dataclass
class SeedReport:
    """What a seeding run created, and what it left alone because it was already there."""

    providers: int = 0
    sites: int = 0
    capabilities: int = 0
    certifications: int = 0
    inspections: int = 0
    actions: int = 0
    skipped_providers: int = 0
    skipped_inspections: int = 0
    skipped_actions: int = 0
    reassigned_feis: int = 0
    seconds: float = 0.0


BATCH_SIZE = 2000


def seed_catalogue(providers: int, seed: int, as_of: datetime.date) -> SeedReport:
    """Generate the demo catalogue and write what is not there yet.

    Providers whose slug exists are skipped with everything under them; an FEI some site or
    regulator record already has is replaced by a fresh one; inspection rows and actions whose
    keys are already recorded are skipped. Running twice with the same arguments adds nothing.
    """
    from partners.models import (
        Certification,
        Inspection,
        Provider,
        RegulatoryAction,
        Site,
        SiteCapability,
        Term,
    )
    from partners.regulatory.stored_scores import recompute_compliance_scores

    started = time.perf_counter()
    report = SeedReport()
    plan = generate_catalogue(providers, seed, as_of)

    existing_slugs = set(Provider.objects.values_list("slug", flat=True))
    new_providers = [provider for provider in plan if provider.slug not in existing_slugs]
    report.skipped_providers = len(plan) - len(new_providers)
    if not new_providers:
        report.seconds = time.perf_counter() - started
        return report
    new_sites = [site for provider in new_providers for site in provider.sites]
    report.reassigned_feis = _avoid_known_feis(new_sites, seed)

    term_ids = dict(Term.objects.values_list("slug", "pk"))
    known_inspections = set(
        Inspection.objects.values_list("authority", "inspection_id", "project_area")
    )
    known_actions = set(
        RegulatoryAction.objects.exclude(fei_number="")
        .exclude(case_id="")
        .values_list("authority", "fei_number", "action_type", "case_id")
    )

    with transaction.atomic():
        provider_rows = Provider.objects.bulk_create(
            [
                Provider(
                    name=provider.name,
                    slug=provider.slug,
                    kind=provider.kind,
                    country=provider.country,
                    website=provider.website,
                    description=provider.description,
                    verification_status=provider.verification_status,
                    verified_on=provider.verified_on,
                    source=DataSource.DEMO,
                )
                for provider in new_providers
            ],
            batch_size=BATCH_SIZE,
        )
        owners = [
            (provider, row)
            for provider, row in zip(new_providers, provider_rows, strict=True)
            for _ in provider.sites
        ]
        site_rows = Site.objects.bulk_create(
            [
                Site(
                    provider_id=row.pk,
                    name=site.name,
                    country=site.country,
                    city=site.city,
                    fei_number=site.fei_number,
                    oel_ug_m3=site.oel_ug_m3,
                    capacity_available_from=site.capacity_available_from,
                    source=DataSource.DEMO,
                )
                for site, (_, row) in zip(new_sites, owners, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        site_ids = [row.pk for row in site_rows]
        pairs = list(zip(new_sites, site_ids, strict=True))

        phase_rows = Site.phases.through.objects.bulk_create(
            [
                Site.phases.through(site_id=site_id, phase_id=phase)
                for site, site_id in pairs
                for phase in site.phases
            ],
            batch_size=BATCH_SIZE,
        )
        dea_rows = Site.dea_schedules.through.objects.bulk_create(
            [
                Site.dea_schedules.through(site_id=site_id, deaschedule_id=code)
                for site, site_id in pairs
                for code in site.dea_schedules
            ],
            batch_size=BATCH_SIZE,
        )
        capability_rows = SiteCapability.objects.bulk_create(
            [
                SiteCapability(
                    site_id=site_id,
                    term_id=term_ids[capability.slug],
                    max_batch_kg=capability.max_batch_kg,
                    max_volume_l=capability.max_volume_l,
                    provenance=capability.provenance,
                )
                for site, site_id in pairs
                for capability in site.capabilities
            ],
            batch_size=BATCH_SIZE,
        )
        certification_rows = Certification.objects.bulk_create(
            [
                Certification(site_id=site_id, **_fields(certification))
                for site, site_id in pairs
                for certification in site.certifications
            ],
            batch_size=BATCH_SIZE,
        )
        report.capabilities = len(capability_rows)
        report.certifications = len(certification_rows)

        # Regulator records point at their site directly: the FEIs are new to the database,
        # so `link_regulatory_records` would find nothing else to attach.
        inspections, actions = [], []
        for (provider, _), (site, site_id) in zip(owners, pairs, strict=True):
            for inspection in site.inspections:
                inspection_key = (
                    inspection.authority,
                    inspection.inspection_id,
                    inspection.project_area,
                )
                if inspection_key in known_inspections:
                    report.skipped_inspections += 1
                    continue
                inspections.append(
                    Inspection(
                        site_id=site_id,
                        fei_number=site.fei_number,
                        legal_name=provider.name,
                        **_fields(inspection),
                    )
                )
            for action in site.actions:
                action_key = (action.authority, site.fei_number, action.action_type, action.case_id)
                if site.fei_number and action_key in known_actions:
                    report.skipped_actions += 1
                    continue
                actions.append(
                    RegulatoryAction(
                        site_id=site_id,
                        fei_number=site.fei_number,
                        legal_name=provider.name,
                        **_fields(action),
                    )
                )
        report.inspections = len(Inspection.objects.bulk_create(inspections, BATCH_SIZE))
        report.actions = len(RegulatoryAction.objects.bulk_create(actions, BATCH_SIZE))

        _start_histories(
            provider_rows, site_rows, phase_rows, dea_rows, capability_rows, certification_rows
        )
        if provider_rows:
            bump_catalogue_version()
        # Scored as of the demo's own date, which its histories are drawn relative to.
        recompute_compliance_scores(site_ids, as_of=as_of)

    report.providers = len(provider_rows)
    report.sites = len(site_rows)
    report.seconds = time.perf_counter() - started
    return report


def _start_histories(providers, sites, phase_rows, dea_rows, capabilities, certifications) -> None:
    """Give every seeded row of what curators edit its first history entry, so that a
    curator's first edit shows which fields changed rather than a change without a baseline."""
    from django.apps import apps

    from partners.models import Certification, Provider, Site, SiteCapability

    reason = "seed_demo"
    for model, rows in [
        (Provider, providers),
        (SiteCapability, capabilities),
        (Certification, certifications),
    ]:
        model.history.bulk_history_create(rows, BATCH_SIZE, default_change_reason=reason)
    site_history = Site.history.bulk_history_create(sites, BATCH_SIZE, default_change_reason=reason)
    history_of_site = {entry.id: entry.history_id for entry in site_history}
    # A site's history entry records its phases and DEA schedules too (m2m history).
    for field_name, through_rows, target in [
        ("phases", phase_rows, "phase_id"),
        ("dea_schedules", dea_rows, "deaschedule_id"),
    ]:
        historical_through = apps.get_model("partners", f"HistoricalSite_{field_name}")
        historical_through.objects.bulk_create(
            [
                historical_through(
                    id=row.pk,
                    site_id=row.site_id,
                    history_id=history_of_site[row.site_id],
                    **{target: getattr(row, target)},
                )
                for row in through_rows
            ],
            batch_size=BATCH_SIZE,
        )


def _fields(record: PlannedCertification | PlannedInspection | PlannedAction) -> dict:
    return {column.name: getattr(record, column.name) for column in fields(record)}


def _avoid_known_feis(sites: list[PlannedSite], seed: int) -> int:
    """Give a fresh FEI to every planned site whose FEI a site or regulator record in the
    database already carries, so seeded sites never adopt someone else's history."""
    from partners.models import Inspection, RegulatoryAction, Site

    known: set[str] = set()
    for model in (Site, Inspection, RegulatoryAction):
        known.update(model.objects.exclude(fei_number="").values_list("fei_number", flat=True))
    planned = {site.fei_number for site in sites if site.fei_number}
    clashes = [site for site in sites if site.fei_number in known]
    rng = random.Random(f"{seed}:replacement-feis")
    for site in clashes:
        while True:
            fei = demo_fei(rng)
            if fei not in known and fei not in planned:
                break
        planned.add(fei)
        site.fei_number = fei
    return len(clashes)
