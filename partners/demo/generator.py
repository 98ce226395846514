"""A deterministic, realistic demo catalogue for `manage.py seed_demo` and the benchmarks.

`generate_catalogue` is plain Python: one `random.Random(seed)` and an as-of date give the same
providers, sites, capabilities, certificates and regulator records every time, on any machine.
Providers are drawn one after another from that one stream, so the first N providers of a larger
catalogue are the N providers of a smaller one. The tables it draws from are in
`partners.demo.data`; `partners.demo.seeding` writes what it plans to the database.

FEIs, FDA inspection ids and case ids are drawn from ranges FDA has not reached, so real FDA
exports imported later do not link to a fictional site.
"""

import datetime
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.utils.text import slugify

from core.dates import years_after, years_before
from partners.choices import (
    PHASE_SLUGS,
    ActionType,
    Authority,
    CertificationKind,
    CertificationStatus,
    Classification,
    Provenance,
    ProviderKind,
    VerificationStatus,
)
from partners.demo.data import (
    ARCHETYPES,
    BIORESEARCH,
    CLASSIFICATIONS,
    COUNTRIES,
    COUNTRY_BY_CODE,
    DEA_SCHEDULE_SETS,
    DEVELOPMENT,
    EU_FACING,
    EU_GMP_COUNTRIES,
    EU_GMP_ISSUERS,
    EU_OVERSEAS_INSPECTORS,
    EU_OVERSEAS_WEIGHTS,
    FDA_PRIMARY_AREA,
    FOCUS_BY_COUNTRY,
    FOCUS_WEIGHTS,
    GMP_SOURCES,
    INSPECTION_SOURCES,
    LANDFORMS,
    LANDMARKS,
    LATIN,
    NAME_CODAS,
    NAME_MIDDLES,
    NAME_ONSETS,
    ORDINARY_OELS,
    POTENT_OELS,
    PRE_APPROVAL,
    PROVIDER_SUPPLIED,
    REAL_NAME_STEMS,
    RELATED_ARCHETYPES,
    US_FACING,
    US_JURISDICTION,
    VESSEL_SIZES_L,
    Archetype,
    Offer,
)
from partners.vocabulary import VOLUME_MODALITIES

# Regulator records reach this far back (FDA's dashboard covers about twelve years).
HISTORY_DAYS = 12 * 365


# --- What the generator produces -------------------------------------------------------------


@dataclass(slots=True)
class PlannedCapability:
    slug: str
    max_batch_kg: float | None
    max_volume_l: float | None
    provenance: str


@dataclass(slots=True)
class PlannedCertification:
    kind: str
    authority: str
    reference: str
    issued_on: datetime.date
    valid_until: datetime.date
    status: str
    source: str
    retrieved_at: datetime.datetime


@dataclass(slots=True)
class PlannedInspection:
    authority: str
    inspection_id: str
    end_date: datetime.date
    classification: str
    project_area: str
    product_type: str
    source: str
    retrieved_at: datetime.datetime


@dataclass(slots=True)
class PlannedAction:
    authority: str
    action_type: str
    action_date: datetime.date
    case_id: str
    product_type: str
    source: str
    retrieved_at: datetime.datetime


@dataclass(slots=True)
class PlannedSite:
    name: str
    country: str
    city: str
    archetype: str
    fei_number: str
    oel_ug_m3: float | None
    phases: list[str]
    dea_schedules: list[str]
    capacity_available_from: datetime.date | None
    capabilities: list[PlannedCapability] = field(default_factory=list)
    certifications: list[PlannedCertification] = field(default_factory=list)
    inspections: list[PlannedInspection] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)


@dataclass(slots=True)
class PlannedProvider:
    name: str
    slug: str
    kind: str
    country: str
    website: str
    description: str
    verification_status: str
    verified_on: datetime.date | None
    sites: list[PlannedSite] = field(default_factory=list)


# --- The generator ---------------------------------------------------------------------------


def demo_fei(rng: random.Random) -> str:
    """A random FEI for a demo site. Real FEIs are handed out upwards from 3000000000 and passed
    3038000000 in 2025; 39xxxxxxxx looks the same but will not meet a real establishment for
    decades."""
    return str(3_900_000_000 + rng.randrange(100_000_000))


def generate_catalogue(providers: int, seed: int, as_of: datetime.date) -> list[PlannedProvider]:
    """Generate `providers` providers with their sites and records; all dates are relative to
    `as_of`. Pure: the same arguments give the same catalogue."""
    generator = _CatalogueGenerator(seed, as_of)
    return [generator.provider(index) for index in range(providers)]


class _CatalogueGenerator:
    """Draws providers one by one, keeping names and identifiers unique across them.

    Each provider has its own random stream, derived from the seed and its position, and its
    name is the first thing drawn from it. So the providers, their names and slugs do not depend
    on the as-of date: `make demo` tomorrow (as-of defaults to today) finds yesterday's
    providers and adds nothing. Draws whose range follows from a date go through
    `_uniform_int`, which always consumes one number, so the rest of a provider nearly always
    stays the same too and only its dates move (an id that embeds a year may be redrawn to
    stay unique, and a record that would fall after the as-of date is left out).
    """

    def __init__(self, seed: int, as_of: datetime.date) -> None:
        self.seed = seed
        self.as_of = as_of
        self.rng: random.Random  # the current provider's stream, set by `provider`
        self.names: set[str] = set()
        self.slugs: set[str] = set()
        self.feis: set[str] = set()
        self.inspection_ids: set[tuple[str, str]] = set()
        self.references: set[str] = set()
        self.case_ids: set[str] = set()
        self._country_cum = _cumulative([country.weight for country in COUNTRIES])

    # Providers

    def provider(self, index: int) -> PlannedProvider:
        self.rng = rng = random.Random(f"seed_demo:{self.seed}:{index}")
        country = self._country()
        kind = ProviderKind.CDMO if rng.random() < 0.6 else ProviderKind.CMO
        focus = self._focus(country)
        name = self._provider_name(country, focus)
        slug = self._unique_slug(name)
        verified = rng.random() < 0.35
        site_count = rng.choices(range(1, 9), weights=(10, 15, 18, 17, 14, 11, 8, 7))[0]
        provider = PlannedProvider(
            name=name,
            slug=slug,
            kind=kind,
            country=country,
            website=f"https://{slug}.example.com",
            description="",
            verification_status=(
                VerificationStatus.VERIFIED if verified else VerificationStatus.UNVERIFIED
            ),
            verified_on=self._days_ago(5, 720) if verified else None,
        )
        for position in range(site_count):
            site_country = country
            if position > 0 and rng.random() < 0.22:
                site_country = self._country(excluding=country)
            archetype = self._site_archetype(focus, kind, position)
            provider.sites.append(self._site(provider, site_country, archetype, focus))
        provider.description = _describe(provider)
        return provider

    def _country(self, excluding: str = "") -> str:
        while True:
            code = self.rng.choices(COUNTRIES, cum_weights=self._country_cum)[0].code
            if code != excluding:
                return code

    def _focus(self, country: str) -> str:
        boost = FOCUS_BY_COUNTRY.get(country, {})
        keys = list(FOCUS_WEIGHTS)
        weights = [FOCUS_WEIGHTS[key] * boost.get(key, 1.0) for key in keys]
        return self.rng.choices(keys, weights=weights)[0]

    def _provider_name(self, country: str, focus: str) -> str:
        rng = self.rng
        suffixes = ARCHETYPES[focus].name_suffixes
        places = COUNTRY_BY_CODE[country].places
        for _ in range(50):
            style = rng.random()
            if style < 0.45:
                stem = rng.choice(NAME_ONSETS) + rng.choice(NAME_MIDDLES) + rng.choice(NAME_CODAS)
            elif style < 0.7:
                stem = f"{rng.choice(LANDMARKS)} {rng.choice(LANDFORMS)}"
            elif style < 0.85 and places:
                stem = rng.choice(places)
            else:
                stem = rng.choice(LATIN)
            name = f"{stem} {rng.choice(suffixes)}"
            if name not in self.names and _first_word(name) not in REAL_NAME_STEMS:
                break
        # After fifty misses the name repeats; the slug still gets a suffix of its own.
        self.names.add(name)
        return name

    def _unique_slug(self, name: str) -> str:
        base = slugify(name)[:190]
        slug, number = base, 2
        while slug in self.slugs:
            slug, number = f"{base}-{number}", number + 1
        self.slugs.add(slug)
        return slug

    def _site_archetype(self, focus: str, kind: str, position: int) -> str:
        rng = self.rng
        if position == 0:
            return focus
        if kind == ProviderKind.CDMO and rng.random() < 0.12:
            return DEVELOPMENT
        if rng.random() < 0.62:
            return focus
        return rng.choice(RELATED_ARCHETYPES[focus])

    # Sites

    def _site(
        self, provider: PlannedProvider, country: str, archetype: str, focus: str
    ) -> PlannedSite:
        rng = self.rng
        is_development = archetype == DEVELOPMENT
        city, name = self._site_place(provider, country, archetype)
        capabilities = self._capabilities(provider, archetype, focus)
        slugs = {capability.slug for capability in capabilities}
        us_facing = rng.random() < US_FACING.get(country, 0.6 if _in_europe(country) else 0.35)
        if is_development:
            us_facing = us_facing and rng.random() < 0.6
        eu_facing = country in EU_GMP_COUNTRIES or rng.random() < EU_FACING.get(country, 0.15)
        site = PlannedSite(
            name=name,
            country=country,
            city=city,
            archetype=archetype,
            fei_number=self._fei() if us_facing or rng.random() < 0.4 else "",
            oel_ug_m3=self._oel(slugs),
            phases=self._phases(provider.kind, archetype, slugs),
            dea_schedules=self._dea_schedules(country, archetype),
            capacity_available_from=self._capacity_available_from(),
            capabilities=capabilities,
        )
        self._regulatory_history(provider, site, slugs, us_facing, eu_facing)
        return site

    def _site_place(
        self, provider: PlannedProvider, country: str, archetype: str
    ) -> tuple[str, str]:
        rng = self.rng
        cities = COUNTRY_BY_CODE[country].cities
        taken_cities = {site.city for site in provider.sites}
        city = rng.choice(cities)
        for _ in range(3):
            if city not in taken_cities:
                break
            city = rng.choice(cities)
        taken_names = {site.name for site in provider.sites}
        descriptor = (
            "Development Centre"
            if archetype == DEVELOPMENT
            else ARCHETYPES[archetype].site_descriptor
        )
        name, number = city, 2
        if name in taken_names:
            name = f"{city} {descriptor}"
        while name in taken_names:
            name, number = f"{city} {descriptor} {number}", number + 1
        return city, name

    def _capabilities(
        self, provider: PlannedProvider, archetype: str, focus: str
    ) -> list[PlannedCapability]:
        rng = self.rng
        if archetype == DEVELOPMENT:
            offers, anchors = _development_offers(ARCHETYPES[focus])
            finished_dose, cold_chain = ARCHETYPES[focus].finished_dose, 0.3
        else:
            plant = ARCHETYPES[archetype]
            offers, anchors = plant.offers, plant.anchors
            finished_dose, cold_chain = plant.finished_dose, plant.cold_chain
        chosen = [offer for offer in offers if rng.random() < offer.probability]
        if not any(offer.slug in anchors for offer in chosen):
            anchor = rng.choice(anchors)
            chosen.append(next(offer for offer in offers if offer.slug == anchor))
        services = _service_odds(provider.kind, archetype, finished_dose, cold_chain)
        chosen_services = [slug for slug, odds in services if rng.random() < odds]
        if "serialization" in chosen_services and "packaging-labeling" not in chosen_services:
            chosen_services.remove("serialization")
        verified = provider.verification_status == VerificationStatus.VERIFIED
        capabilities = [
            PlannedCapability(
                slug=offer.slug,
                max_batch_kg=self._batch_kg(offer.batch_kg) if offer.batch_kg else None,
                max_volume_l=self._volume_l(offer.volume_l) if offer.volume_l else None,
                provenance=self._provenance(verified),
            )
            for offer in chosen
        ]
        capabilities += [
            PlannedCapability(slug, None, None, self._provenance(verified))
            for slug in chosen_services
        ]
        return capabilities

    def _batch_kg(self, bounds: tuple[float, float]) -> float:
        return _round_significant(_log_uniform(self.rng, *bounds), 2)

    def _volume_l(self, bounds: tuple[float, float]) -> float:
        sizes = [size for size in VESSEL_SIZES_L if bounds[0] <= size <= bounds[1]]
        return float(self.rng.choice(sizes))

    def _provenance(self, provider_verified: bool) -> str:
        draw = self.rng.random()
        curated = 0.55 if provider_verified else 0.07
        if draw < 0.05:
            return Provenance.REGULATOR_RECORD
        if draw < 0.05 + curated:
            return Provenance.CURATOR_VERIFIED
        return Provenance.SELF_REPORTED

    def _fei(self) -> str:
        while True:
            fei = demo_fei(self.rng)
            if fei not in self.feis:
                self.feis.add(fei)
                return fei

    def _oel(self, slugs: set[str]) -> float | None:
        rng = self.rng
        if slugs & {"hpapi", "adc"}:
            return rng.choice(POTENT_OELS)
        if "radiopharmaceutical" in slugs:
            return None
        odds = 0.25 if slugs & VOLUME_MODALITIES else 0.5
        return rng.choice(ORDINARY_OELS) if rng.random() < odds else None

    def _phases(self, kind: str, archetype: str, slugs: set[str]) -> list[str]:
        rng = self.rng
        rank = {slug: index for index, slug in enumerate(PHASE_SLUGS)}
        if archetype == DEVELOPMENT:
            first, last = "preclinical", rng.choice(("phase1", "phase2", "phase2", "phase3"))
        elif kind == ProviderKind.CMO:
            first = rng.choices(("phase1", "phase2", "phase3", "commercial"), (5, 15, 45, 35))[0]
            last = "commercial"
        else:
            first = rng.choices(("phase1", "phase2", "phase3"), (60, 15, 25))[0]
            # Only sites that develop processes take on preclinical work.
            if "process-development" in slugs and rng.random() < 0.25:
                first = "preclinical"
            commercial_odds = 0.4 if archetype == "advanced-therapy" else 0.75
            last = "commercial" if rng.random() < commercial_odds else "phase3"
        if rank[last] < rank[first]:
            last = first
        return PHASE_SLUGS[rank[first] : rank[last] + 1]

    def _dea_schedules(self, country: str, archetype: str) -> list[str]:
        # Only plants under US jurisdiction register with the DEA to make controlled substances.
        if country not in US_JURISDICTION or archetype not in {"api", "oral-dose"}:
            return []
        if self.rng.random() >= 0.25:
            return []
        return list(self.rng.choice(DEA_SCHEDULE_SETS))

    def _capacity_available_from(self) -> datetime.date | None:
        if self.rng.random() >= 0.35:
            return None
        month = self.as_of + datetime.timedelta(days=self.rng.randint(20, 540))
        return month.replace(day=1)

    # Inspections, actions and certificates

    def _regulatory_history(
        self,
        provider: PlannedProvider,
        site: PlannedSite,
        slugs: set[str],
        us_facing: bool,
        eu_facing: bool,
    ) -> None:
        rng = self.rng
        country = site.country
        product_type = "Biologics" if slugs & VOLUME_MODALITIES else "Drugs"
        # Some plants are troubled: most of their inspections end VAI or OAI.
        troubled = rng.random() < 0.12
        never_inspected = rng.random() < (0.5 if site.archetype == DEVELOPMENT else 0.07)
        uk_facing = country == "GB" or rng.random() < 0.06
        jp_facing = country == "JP" or rng.random() < 0.06
        eu_issuer = country if country in EU_GMP_COUNTRIES else ""
        if eu_facing and not eu_issuer:
            eu_issuer = rng.choices(EU_OVERSEAS_INSPECTORS, EU_OVERSEAS_WEIGHTS)[0]
        eu_office = (
            f"{rng.choice(EU_GMP_ISSUERS[eu_issuer])}_0{rng.randint(1, 3)}" if eu_issuer else ""
        )

        fda, ema, mhra, pmda = [], [], [], []
        if not never_inspected:
            if site.fei_number and us_facing and rng.random() < 0.95:
                fda = self._fda_inspections(site, slugs, product_type, troubled)
            if eu_issuer:
                count = rng.randint(2, 4) if eu_issuer == country else rng.randint(1, 3)
                ema = self._inspections(Authority.EMA, count, product_type, troubled, eu_issuer)
            if uk_facing:
                count = rng.randint(1, 4) if country == "GB" else rng.randint(1, 2)
                mhra = self._inspections(Authority.MHRA, count, product_type, troubled, "GB")
            if jp_facing:
                count = rng.randint(1, 3) if country == "JP" else rng.randint(1, 2)
                pmda = self._inspections(Authority.PMDA, count, product_type, troubled, "JP")
        site.inspections = fda + ema + mhra + pmda

        self._fda_actions(site, fda, product_type)
        eu_non_compliance = self._eu_non_compliance(site, ema, product_type, eu_issuer, eu_office)

        if eu_issuer:
            self._eu_gmp_certificate(site, ema, eu_non_compliance, eu_issuer, eu_office)
        if uk_facing:
            self._mhra_certificate(site, mhra)
        if jp_facing:
            self._pmda_certificate(site, pmda)
        self._other_certifications(provider, site, slugs, us_facing, eu_facing)

    def _inspection_dates(self, count: int) -> list[datetime.date]:
        """End dates of `count` inspections by one authority, newest first, every 1 to 3 years."""
        rng = self.rng
        recent = rng.randint(20, 900) if rng.random() < 0.92 else rng.randint(900, 1600)
        day = self.as_of - datetime.timedelta(days=recent)
        dates = []
        for _ in range(count):
            if (self.as_of - day).days > HISTORY_DAYS:
                break
            dates.append(_weekday_on_or_before(day))
            day -= datetime.timedelta(days=rng.randint(365, 1100))
        return dates

    def _classification(self, troubled: bool) -> str:
        odds = (30, 37, 33) if troubled else (55, 44, 1)
        return self.rng.choices(CLASSIFICATIONS, odds)[0]

    def _fda_inspections(
        self, site: PlannedSite, slugs: set[str], product_type: str, troubled: bool
    ) -> list[PlannedInspection]:
        rng = self.rng
        count = rng.choices(range(1, 8), weights=(4, 10, 20, 25, 20, 13, 8))[0]
        inspections = []
        for end_date in self._inspection_dates(count):
            inspection_id = self._inspection_id(Authority.FDA, "", end_date)
            classification = self._classification(troubled)
            areas = [FDA_PRIMARY_AREA[product_type]]
            # FDA's export has one row per project area; some inspections cover two.
            if rng.random() < 0.25:
                clinical = "clinical-supply" in slugs and rng.random() < 0.3
                areas.append(BIORESEARCH if clinical else PRE_APPROVAL)
            inspections += [
                PlannedInspection(
                    authority=Authority.FDA,
                    inspection_id=inspection_id,
                    end_date=end_date,
                    classification=classification,
                    project_area=area,
                    product_type=product_type,
                    source=INSPECTION_SOURCES[Authority.FDA],
                    retrieved_at=self._retrieved_after(end_date),
                )
                for area in areas
            ]
        return inspections

    def _inspections(
        self, authority: str, count: int, product_type: str, troubled: bool, issuer: str
    ) -> list[PlannedInspection]:
        return [
            PlannedInspection(
                authority=authority,
                inspection_id=self._inspection_id(authority, issuer, end_date),
                end_date=end_date,
                classification=self._classification(troubled),
                project_area="GMP",
                product_type=product_type,
                source=INSPECTION_SOURCES[authority],
                retrieved_at=self._retrieved_after(end_date),
            )
            for end_date in self._inspection_dates(count)
        ]

    def _inspection_id(self, authority: str, issuer: str, end_date: datetime.date) -> str:
        """An id in the authority's style, unique per authority across the catalogue."""
        rng = self.rng
        while True:
            if authority == Authority.FDA:
                # Seven digits like FDA's; a clash with an imported id is skipped on writing.
                candidate = str(rng.randint(2_000_000, 9_999_999))
            elif authority == Authority.EMA:
                candidate = f"INS-{issuer}-{end_date.year}-{rng.randint(1, 99999):05d}"
            elif authority == Authority.MHRA:
                licence, site_number = rng.randint(1000, 49999), rng.randint(100000, 999999)
                candidate = f"Insp GMP {licence}/{site_number}-{rng.randint(1, 40):04d}"
            else:
                candidate = f"PMDA-GMP-{end_date.year}-{rng.randint(1, 99999):05d}"
            if (authority, candidate) not in self.inspection_ids:
                self.inspection_ids.add((authority, candidate))
                return candidate

    def _fda_case_id(self) -> str:
        # FDA's case ids passed 712000 in 2025 and grow by a few ten thousand a year.
        while True:
            case_id = str(self.rng.randint(900_000, 999_999))
            if case_id not in self.case_ids:
                self.case_ids.add(case_id)
                return case_id

    def _fda_actions(
        self, site: PlannedSite, fda: list[PlannedInspection], product_type: str
    ) -> None:
        """Warning letters follow some OAI inspections; import alerts, injunctions and seizures
        follow some warning letters (import alerts abroad, court actions at home)."""
        rng = self.rng
        oai_dates = sorted(
            {row.end_date for row in fda if row.classification == Classification.OAI},
            reverse=True,
        )
        letters = []
        for oai_date in oai_dates[:2]:
            letter_date = oai_date + datetime.timedelta(days=rng.randint(45, 240))
            if rng.random() < 0.27 and letter_date <= self.as_of:
                letters.append(letter_date)
        # Now and then a letter follows an inspection that was not classified OAI.
        if not letters and fda and rng.random() < 0.004:
            letter_date = fda[0].end_date + datetime.timedelta(days=rng.randint(30, 120))
            if letter_date <= self.as_of:
                letters.append(letter_date)
        for letter_date in letters:
            self._fda_action(site, ActionType.WARNING_LETTER, letter_date, product_type)
            follow_up = letter_date + datetime.timedelta(days=rng.randint(10, 200))
            draw = rng.random()
            if follow_up > self.as_of:
                continue
            if site.country not in US_JURISDICTION and draw < 0.3:
                self._fda_action(site, ActionType.IMPORT_ALERT, follow_up, product_type)
            elif site.country in US_JURISDICTION and draw < 0.04:
                self._fda_action(site, ActionType.INJUNCTION, follow_up, product_type)
            elif site.country in US_JURISDICTION and draw < 0.07:
                self._fda_action(site, ActionType.SEIZURE, follow_up, product_type)

    def _fda_action(
        self, site: PlannedSite, action_type: str, date: datetime.date, product_type: str
    ) -> None:
        site.actions.append(
            PlannedAction(
                authority=Authority.FDA,
                action_type=action_type,
                action_date=date,
                case_id=self._fda_case_id(),
                product_type=product_type,
                source="FDA Data Dashboard (compliance actions)",
                retrieved_at=self._retrieved_after(date),
            )
        )

    def _eu_non_compliance(
        self,
        site: PlannedSite,
        ema: list[PlannedInspection],
        product_type: str,
        issuer: str,
        office: str,
    ) -> datetime.date | None:
        rng = self.rng
        for inspection in ema:
            if inspection.classification != Classification.OAI or rng.random() >= 0.15:
                continue
            date = inspection.end_date + datetime.timedelta(days=rng.randint(14, 60))
            if date > self.as_of:
                continue
            site.actions.append(
                PlannedAction(
                    authority=Authority.EMA,
                    action_type=ActionType.EU_NON_COMPLIANCE,
                    action_date=date,
                    case_id=self._reference(
                        partial(_eu_reference, rng, issuer, office, "NCR", date)
                    ),
                    product_type=product_type,
                    source="EudraGMDP",
                    retrieved_at=self._retrieved_after(date),
                )
            )
            return date
        return None

    def _eu_gmp_certificate(
        self,
        site: PlannedSite,
        ema: list[PlannedInspection],
        non_compliance: datetime.date | None,
        issuer: str,
        office: str,
    ) -> None:
        rng = self.rng
        # A certificate follows the last inspection that did not fail.
        passed = [row for row in ema if row.classification != Classification.OAI]
        if passed:
            issued_on = self._issued_after(passed[0].end_date)
            valid_until = years_after(issued_on, 3)
        else:
            issued_on, valid_until = self._validity(years=3)
        status = CertificationStatus.ACTIVE
        if non_compliance and non_compliance >= issued_on:
            status = CertificationStatus.WITHDRAWN
        reference = self._reference(lambda: _eu_reference(rng, issuer, office, "GMP", issued_on))
        self._certify(
            site, CertificationKind.EU_GMP, Authority.EMA, reference, issued_on, valid_until, status
        )

    def _mhra_certificate(self, site: PlannedSite, mhra: list[PlannedInspection]) -> None:
        passed = [row for row in mhra if row.classification != Classification.OAI]
        if passed:
            issued_on = self._issued_after(passed[0].end_date)
            valid_until = years_after(issued_on, 3)
            # The certificate number quotes the inspection's, which is unique already.
            reference = _mhra_reference(passed[0].inspection_id)
            self.references.add(reference)
        else:
            issued_on, valid_until = self._validity(years=3)
            reference = self._reference(
                lambda: _mhra_reference(self._inspection_id(Authority.MHRA, "GB", issued_on))
            )
        self._certify(
            site, CertificationKind.MHRA_GMP, Authority.MHRA, reference, issued_on, valid_until
        )

    def _pmda_certificate(self, site: PlannedSite, pmda: list[PlannedInspection]) -> None:
        rng = self.rng
        passed = [row for row in pmda if row.classification != Classification.OAI]
        if passed:
            issued_on = self._issued_after(passed[0].end_date)
            valid_until = years_after(issued_on, 5)
        else:
            issued_on, valid_until = self._validity(years=5)
        if site.country == "JP":
            # A Japanese manufacturing licence: prefecture code, "AZ", serial.
            reference = self._reference(
                lambda: f"{rng.randint(1, 47):02d}AZ{rng.randint(200000, 209999)}"
            )
        else:
            reference = self._reference(lambda: f"AG{rng.randint(10000000, 19999999)}")
        self._certify(
            site,
            CertificationKind.PMDA_ACCREDITATION,
            Authority.PMDA,
            reference,
            issued_on,
            valid_until,
        )

    def _other_certifications(
        self,
        provider: PlannedProvider,
        site: PlannedSite,
        slugs: set[str],
        us_facing: bool,
        eu_facing: bool,
    ) -> None:
        rng = self.rng
        country = site.country
        if site.fei_number and us_facing and rng.random() < 0.96:
            # Drug establishments renew their registration every October to December.
            renewed = datetime.date(self.as_of.year - 1, 10, 1)
            renewed += datetime.timedelta(days=rng.randint(0, 91))
            if rng.random() < 0.04:
                renewed = renewed.replace(year=renewed.year - 1)
            self._certify(
                site,
                CertificationKind.FDA_REGISTRATION,
                Authority.FDA,
                self._reference(lambda: f"DUNS {rng.randint(100_000_000, 999_999_999)}"),
                renewed,
                datetime.date(renewed.year + 1, 12, 31),
            )
        if site.dea_schedules:
            issued_on, valid_until = self._validity(years=1)
            reference = self._reference(lambda: _dea_number(rng, provider.name))
            self._certify(
                site, CertificationKind.DEA_REGISTRATION, "", reference, issued_on, valid_until
            )
        regional = (
            (CertificationKind.HEALTH_CANADA_GMP, Authority.HC, "CA", 0.05),
            (CertificationKind.TGA_GMP, Authority.TGA, "AU", 0.04),
            (CertificationKind.ANVISA_GMP, Authority.ANVISA, "BR", 0.06),
        )
        for kind, authority, home, abroad_odds in regional:
            if country == home or (us_facing and rng.random() < abroad_odds):
                issued_on, valid_until = self._validity(years=2 if kind == "anvisa-gmp" else 3)
                reference = self._reference(partial(_regional_reference, rng, kind, issued_on))
                self._certify(site, kind, authority, reference, issued_on, valid_until)
        plant = ARCHETYPES.get(site.archetype)
        who_odds = 0.0
        if country in {"IN", "CN"}:
            who_odds = 0.5 if site.archetype == "vaccine" else 0.15
        elif site.archetype == "vaccine":
            who_odds = 0.1
        if plant and (plant.makes_api or plant.finished_dose) and rng.random() < who_odds:
            issued_on, valid_until = self._validity(years=5)
            reference = self._reference(
                lambda: f"WHO-PQ-{country}-{issued_on.year}-{rng.randint(1, 999):03d}"
            )
            self._certify(
                site, CertificationKind.WHO_PQ, Authority.WHO, reference, issued_on, valid_until
            )
        # One CEP per substance a plant sells into Europe.
        if plant and plant.makes_api and eu_facing and rng.random() < 0.65:
            for _ in range(rng.randint(1, 3)):
                issued_on, valid_until = self._validity(years=5)
                granted = self._uniform_int(2004, issued_on.year)
                reference = self._reference(partial(_cep_reference, rng, granted))
                self._certify(site, CertificationKind.CEP, "", reference, issued_on, valid_until)
        standards = [(CertificationKind.ISO_9001, 0.55), (CertificationKind.ISO_14001, 0.35)]
        if "prefilled-syringe" in slugs:
            standards.append((CertificationKind.ISO_13485, 0.35))
        for kind, odds in standards:
            if rng.random() < odds:
                issued_on, valid_until = self._validity(years=3)
                number = kind.removeprefix("iso-")
                reference = self._reference(partial(_iso_reference, rng, number, country))
                self._certify(site, kind, "", reference, issued_on, valid_until)

    def _certify(
        self,
        site: PlannedSite,
        kind: str,
        authority: str,
        reference: str,
        issued_on: datetime.date,
        valid_until: datetime.date,
        status: str = CertificationStatus.ACTIVE,
    ) -> None:
        if status == CertificationStatus.ACTIVE and self.rng.random() < 0.015:
            status = self.rng.choice((CertificationStatus.SUSPENDED, CertificationStatus.WITHDRAWN))
        site.certifications.append(
            PlannedCertification(
                kind=kind,
                authority=authority,
                reference=reference,
                issued_on=issued_on,
                valid_until=valid_until,
                status=status,
                source=GMP_SOURCES.get(kind, PROVIDER_SUPPLIED),
                retrieved_at=self._retrieved_after(issued_on),
            )
        )

    def _reference(self, make: Callable[[], str]) -> str:
        """Draw from `make` until the reference is one no certificate or action has yet."""
        while True:
            reference = make()
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def _validity(self, years: int) -> tuple[datetime.date, datetime.date]:
        """Dates of a certificate renewed every `years`: mostly current, a few expired or about
        to expire on the as-of date."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.06:
            valid_until = self.as_of - datetime.timedelta(days=rng.randint(1, 400))
        elif draw < 0.11:
            valid_until = self.as_of + datetime.timedelta(days=rng.randint(0, 60))
        else:
            valid_until = self.as_of + datetime.timedelta(days=rng.randint(61, 365 * years - 1))
        return years_before(valid_until, years), valid_until

    def _issued_after(self, inspection_end: datetime.date) -> datetime.date:
        days_since = (self.as_of - inspection_end).days
        return inspection_end + datetime.timedelta(days=self._uniform_int(1, min(90, days_since)))

    def _uniform_int(self, low: int, high: int) -> int:
        """A random integer in [low, high] that costs one draw whatever the range (randint's
        cost varies with it), for ranges that follow from the as-of date."""
        return low + int(self.rng.random() * (high - low + 1))

    def _days_ago(self, low: int, high: int) -> datetime.date:
        return self.as_of - datetime.timedelta(days=self.rng.randint(low, high))

    def _retrieved_after(self, date: datetime.date) -> datetime.datetime:
        """When a fact was fetched: in the last few weeks, never before the fact itself."""
        days_ago = self._uniform_int(0, max(0, min(60, (self.as_of - date).days)))
        day = self.as_of - datetime.timedelta(days=days_ago)
        return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC) + (
            datetime.timedelta(seconds=self.rng.randrange(86_400))
        )


def _development_offers(focus: Archetype) -> tuple[tuple[Offer, ...], tuple[str, ...]]:
    """A development centre works on its provider's modalities, at pilot scale."""
    modalities = tuple(
        Offer(
            offer.slug,
            max(offer.probability, 0.5),
            batch_kg=(0.1, 20) if offer.batch_kg else None,
            volume_l=(10, 200) if offer.volume_l else None,
        )
        for offer in focus.offers
        if offer.batch_kg or offer.volume_l or offer.slug in focus.anchors
    )
    return modalities, focus.anchors


def _service_odds(
    kind: str, archetype: str, finished_dose: bool, cold_chain: float
) -> list[tuple[str, float]]:
    """The services a site offers, with their odds: development is what CDMOs sell."""
    if archetype == DEVELOPMENT:
        return [
            ("process-development", 1.0), ("analytical-development", 1.0),
            ("formulation-development", 0.8), ("stability-testing", 0.9),
            ("clinical-supply", 0.8), ("qc-release-testing", 0.7), ("tech-transfer", 0.6),
            ("regulatory-cmc", 0.6), ("cold-chain-distribution", cold_chain),
        ]  # fmt: skip
    cdmo = kind == ProviderKind.CDMO
    return [
        ("process-development", 0.85 if cdmo else 0.06),
        ("analytical-development", 0.9 if cdmo else 0.15),
        ("formulation-development", (0.8 if finished_dose else 0.35) if cdmo else 0.05),
        ("qc-release-testing", 0.95),
        ("stability-testing", 0.9),
        ("tech-transfer", 0.8),
        ("regulatory-cmc", 0.7),
        ("clinical-supply", 0.7 if cdmo else 0.3),
        ("packaging-labeling", 0.8 if finished_dose else 0.15),
        ("serialization", 0.65),
        ("cold-chain-distribution", cold_chain),
    ]


def _describe(provider: PlannedProvider) -> str:
    """One or two sentences that say what kind of company it is and what its sites make."""
    home = COUNTRY_BY_CODE[provider.country].name
    if provider.kind == ProviderKind.CDMO:
        first = f"Contract development and manufacturing organisation headquartered in {home}"
        first += ", taking products from process development to commercial supply."
    else:
        first = f"Contract manufacturer headquartered in {home}, running established processes."
    plants = Counter(site.archetype for site in provider.sites if site.archetype != DEVELOPMENT)
    made = [ARCHETYPES[key].label for key, _ in plants.most_common()]
    slugs = {cap.slug for site in provider.sites for cap in site.capabilities}
    if "hpapi" in slugs and made:
        made[0] += " (including highly potent compounds)"
    if "adc" in slugs:
        made.append("antibody-drug conjugates")
    countries = list(dict.fromkeys(COUNTRY_BY_CODE[site.country].name for site in provider.sites))
    count = len(provider.sites)
    where = f"{count} site{'s' if count > 1 else ''} in {_join(countries)}"
    return f"{first} Makes {_join(made)} at {where}."


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _first_word(name: str) -> str:
    return slugify(name).split("-")[0]


def _in_europe(country: str) -> bool:
    return country in EU_GMP_COUNTRIES or country == "GB"


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _round_significant(value: float, digits: int) -> float:
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _weekday_on_or_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=max(0, day.weekday() - 4))


def _eu_reference(
    rng: random.Random, issuer: str, office: str, kind: str, date: datetime.date
) -> str:
    """An EudraGMDP document number, e.g. DE_NW_01_GMP_2023_0042."""
    return f"{issuer}_{office}_{kind}_{date.year}_{rng.randint(1, 9999):04d}"


def _mhra_reference(inspection_id: str) -> str:
    """An MHRA GMP certificate number, e.g. UK GMP 12345 Insp GMP 12345/123456-0012."""
    licence = inspection_id.removeprefix("Insp GMP ").split("/")[0]
    return f"UK GMP {licence} {inspection_id}"


def _regional_reference(rng: random.Random, kind: str, issued_on: datetime.date) -> str:
    if kind == CertificationKind.HEALTH_CANADA_GMP:
        return f"DEL {rng.randint(100000, 109999)}"
    if kind == CertificationKind.TGA_GMP:
        return f"MI-{issued_on.year}-LI-{rng.randint(1, 99999):05d}-1"
    return f"CBPF {rng.randint(1, 99999):05d}/{issued_on.year}"


def _cep_reference(rng: random.Random, first_granted: int) -> str:
    """An EDQM certificate of suitability number, e.g. R1-CEP 2012-045-Rev 03."""
    return f"R1-CEP {first_granted}-{rng.randint(1, 399):03d}-Rev {rng.randint(0, 6):02d}"


def _iso_reference(rng: random.Random, number: str, country: str) -> str:
    """An ISO management-system certificate number, e.g. ISO 9001-DE-12345."""
    return f"ISO {number}-{country}-{rng.randint(10000, 99999)}"


def _dea_number(rng: random.Random, registrant: str) -> str:
    """A DEA registration number: a business-type letter, the registrant's initial, seven digits
    whose last is the check digit."""
    digits = [rng.randint(0, 9) for _ in range(6)]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    initial = registrant[0].upper() if registrant[0].isalpha() else "X"
    return f"R{initial}{''.join(map(str, digits))}{check}"
