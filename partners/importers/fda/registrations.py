"""Import FDA's drug establishment registrations (its DECRS file, `drls_reg.txt`) into the
catalogue: each registered establishment becomes a site, each registrant a provider.

    report = import_fda_file("drug_establishments.txt")   # importer.py recognises the header

FDA ships the file as tab-separated text (partners/importers/fda/files.py reads it); the same
columns in a workbook import alike. Rows stream in batches of BATCH_SIZE, each checked, then
written with a few queries and bulk inserts and updates, in the importer's one transaction:

- A site per establishment, keyed by its DUNS number. A site a curator created is matched rather
  than duplicated: by its DUNS, or else by its FEI when exactly one site without a DUNS holds it.
  A matched curator's site keeps its provider, name and place; it takes the registration's DUNS,
  FEI, operations and capabilities. A site the registrations created follows the file: its FEI,
  name, country, city and registrant, unless a curator has moved it to a provider of their own
  (a CDMO's profile): then it keeps that provider and its name.
- A provider per registrant, keyed by the registrant's DUNS, "not classified" until a curator
  says CMO or CDMO. Its slug is its name's; a name another provider's slug has taken gets the
  registrant's DUNS after it, so the first registrant of a name in the file keeps it plain. Its
  country is that of its first establishment in the file (FDA gives no registrant address); a
  later file renames it when FDA does, and keeps its slug.
- A site's name is the firm's name. Several establishments of one registrant often share it (a
  medical-gas supplier registers hundreds under one name), so an establishment whose firm name
  its provider already has for another site is named "<firm> (<city>)", or "<firm> (DUNS <n>)"
  when that is taken too.
- The country is the ISO alpha-3 code FDA writes in brackets at the end of the address, or else
  the country name the address ends with ("…, Czechia"); the city is the part before the region
  and postal code, when the address reads plainly enough to tell (else it is left empty).
- Blank and all-zero FEIs (FDA's placeholders `0000000`, `0000000000`) are no FEI.
- The registered operations are stored as FDA words them. Those that are capability terms are
  also recorded as capabilities, with provenance "regulator record" (OPERATION_TERMS); one such
  capability whose operation the establishment no longer registers is removed.
- The registration itself is a certification of kind "FDA establishment registration" valid
  until its expiry date, so an expired registration shows as expired.
- `ancillary_only` marks an establishment registered for nothing a sponsor contracts a drug's
  manufacture for (ancillary_only() below): only medicated animal feed, packing, labelling,
  analysis, distribution, salvage or acting as a foreign seller, or only medical gases.

The personal columns (ESTABLISHMENT_CONTACT_NAME and _EMAIL, AGENT_DETAILS, REGISTRANT_CONTACT_NAME
and _EMAIL) are never read: no field, history row, report or message holds them. Nor is
EXCLUSION_FLAG, "N" on every row of FDA's file. A rejected row's
reasons therefore quote a cell's value only when it has no letters (a number or a date).

A row is written only when something it gives differs; an unchanged establishment is counted as
such, so importing the file again writes nothing. New and changed rows get a history entry each.
Once written, the regulator records of the sites' FEIs link to them at once
(partners.regulatory.linking), and the sites whose compliance score that changes are reported in
`rescore_site_ids` for the caller to queue, as the other FDA imports do.
"""

import datetime
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django_countries import countries
from simple_history.utils import bulk_update_with_history

from partners.catalogue_version import bump_catalogue_version
from partners.choices import (
    Authority,
    CertificationKind,
    ComplianceState,
    DataSource,
    Provenance,
    ProviderKind,
)
from partners.duns import normalize_duns
from partners.fei import normalize_fei
from partners.importers.fda.files import Cell, Table, nul_columns, nul_reason
from partners.importers.fda.formats import CellRejected, date, header_key
from partners.importers.fda.history import copy_into_history
from partners.importers.fda.report import FdaFileReport, Rejection
from partners.models import (
    Certification,
    Historied,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from partners.regulatory.linking import link_regulatory_records

BATCH_SIZE = 2000
LISTED_REJECTIONS = 1000
LISTED_NOTES = 100
EXPORT_TITLE = "drug establishment registrations"
# Where a registration's facts come from, on the certification that shows it: the same whatever
# the file was called, so importing a copy of the file under another name changes nothing.
REGISTRATION_SOURCE = "FDA Drug Establishments Current Registration Site (DECRS)"

# The registered operations that are capability terms (partners/vocabulary.py), by term slug.
OPERATION_TERMS = {
    "ANALYSIS": "qc-release-testing",
    "PACK": "packaging-labeling",
    "REPACK": "packaging-labeling",
    "LABEL": "packaging-labeling",
    "RELABEL": "packaging-labeling",
    "PARTICLE SIZE REDUCTION": "micronization",
    "POSITRON EMISSION TOMOGRAPHY DRUG PRODUCTION": "radiopharmaceutical",
}
# Operations that make or process a drug: an establishment registered for one of them is not
# ancillary, unless it only supplies medical gases.
MAKING_OPERATIONS = frozenset(
    {
        "MANUFACTURE",
        "API MANUFACTURE",
        "STERILIZE",
        "POSITRON EMISSION TOMOGRAPHY DRUG PRODUCTION",
        "PARTICLE SIZE REDUCTION",
    }
)
# What a medical-gas supplier does not do: one registered for these is a drug maker after all
# ("Oxygen Development, L.L.C." makes over-the-counter drugs, and analyses them).
NOT_MEDICAL_GAS_OPERATIONS = frozenset(
    {
        "STERILIZE",
        "POSITRON EMISSION TOMOGRAPHY DRUG PRODUCTION",
        "PARTICLE SIZE REDUCTION",
        "ANALYSIS",
    }
)
# Filling gas cylinders: only medical-gas suppliers register for it.
TRANSFILL = "TRANSFILL"
# Registrants that supply medical gases (oxygen, nitrogen, nitrous oxide...), by name: their
# establishments register as MANUFACTURE (a gas is made by separating air) or even API
# MANUFACTURE (medical oxygen is an active ingredient). In FDA's file they are gas and welding
# suppliers and home-oxygen services; Airgas alone registers 476 establishments.
MEDICAL_GAS_REGISTRANT = re.compile(
    r"\b(?:gas|gases|oxygen|nitrogen|welding|welders|cryogenics?|respiratory|airgas|linde|"
    r"praxair|messer|matheson|air products|air liquide|nexair|oxarc|airweld|apria|aerocare|"
    r"transox|carelinc|pur air|home ?care|home medical)\b",
    re.IGNORECASE,
)


# -- The file's columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationColumn:
    """A column of the registration file that the import reads, and whether the header needs it."""

    header: str
    field: str
    required: bool = True


COLUMNS = (
    RegistrationColumn("FEI_NUMBER", "fei_number"),
    RegistrationColumn("DUNS_NUMBER", "duns_number"),
    RegistrationColumn("FIRM_NAME", "firm_name"),
    RegistrationColumn("ADDRESS", "address"),
    RegistrationColumn("EXPIRATION_DATE", "expires_on", required=False),
    RegistrationColumn("OPERATIONS", "operations"),
    RegistrationColumn("REGISTRANT_NAME", "registrant_name"),
    RegistrationColumn("REGISTRANT_DUNS", "registrant_duns"),
)
_HEADERS = {column.field: column.header for column in COLUMNS}
# Columns of FDA's file that name people: never read, so never stored.
PERSONAL_COLUMNS = (
    "ESTABLISHMENT_CONTACT_NAME",
    "ESTABLISHMENT_CONTACT_EMAIL",
    "AGENT_DETAILS",
    "REGISTRANT_CONTACT_NAME",
    "REGISTRANT_CONTACT_EMAIL",
)


@dataclass(frozen=True)
class RegistrationLayout:
    """A recognised registration header: where each column read is, and the header's width."""

    positions: dict[str, int]
    width: int


def recognise_registration_header(cells: list[Any]) -> RegistrationLayout | None:
    """The layout of a header row naming every required registration column, or None. FDA
    writes the first name with a leading space (" FEI_NUMBER"); case and spacing do not count."""
    keys = [header_key(cell) for cell in cells]
    positions: dict[str, int] = {}
    for column in COLUMNS:
        key = header_key(column.header)
        if key in keys:
            positions[column.field] = keys.index(key)
        elif column.required:
            return None
    width = max(index for index, key in enumerate(keys) if key) + 1
    return RegistrationLayout(positions, width)


# -- Cells ---------------------------------------------------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]")
_DIGITS_AND_SEPARATORS = re.compile(r"[\d\s.\-]+")
_ALPHA3_AT_END = re.compile(r"\(\s*([A-Za-z]{3})\s*\)\s*$")
_SHOWN_LIMIT = 20
_expiry = date()


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


def _shown(cell: Cell) -> str:
    """A cell's value for a rejection's reason: only a short value without letters (a number or
    a date), so that a value out of place, a person's name or e-mail, is never repeated."""
    value = _text(cell)
    if value and len(value) <= _SHOWN_LIMIT and not _LETTERS.search(value):
        return f"{value!r} "
    return ""


def _identifier(cell: Cell, what: str) -> str:
    """The digits of a DUNS number, or a rejection."""
    raw = _text(cell)
    if not raw:
        raise CellRejected(f"missing ({what})")
    if isinstance(cell, float) and not cell.is_integer():
        raise CellRejected(f"{_shown(cell)}is not a DUNS number (nine digits)")
    if not _DIGITS_AND_SEPARATORS.fullmatch(raw.removesuffix(".0")):
        raise CellRejected(f"{_shown(cell)}is not a DUNS number (nine digits)")
    duns = normalize_duns(raw.removesuffix(".0"))
    if not duns:
        raise CellRejected(f"all zeros, no DUNS number ({what})")
    if len(duns) > 9:
        raise CellRejected(f"{_shown(cell)}has more than nine digits; a DUNS number has nine")
    return duns


def _fei(cell: Cell) -> str:
    """The FEI compared as a number; "" for a blank or all-zero placeholder."""
    raw = _text(cell)
    if not raw:
        return ""
    if isinstance(cell, float) and not cell.is_integer():
        raise CellRejected("is not an FEI number (digits, e.g. 3001234567)")
    if not _DIGITS_AND_SEPARATORS.fullmatch(raw.removesuffix(".0")):
        raise CellRejected(f"{_shown(cell)}is not an FEI number (digits, e.g. 3001234567)")
    fei = normalize_fei(raw.removesuffix(".0"))
    limit = Site._meta.get_field("fei_number").max_length or 20
    if len(fei) > limit:
        raise CellRejected(f"{_shown(cell)}is too long for an FEI number")
    return fei


def _name(cell: Cell, model: type[Provider] | type[Site], what: str) -> str:
    value = _text(cell)
    if not value:
        raise CellRejected(f"missing ({what})")
    limit = model._meta.get_field("name").max_length or 200
    if len(value) > limit:
        raise CellRejected(f"{len(value)} characters long; at most {limit} fit")
    return value


def _operations(cell: Cell) -> list[str]:
    """FDA's operations, "ANALYSIS; LABEL; MANUFACTURE", as a list, each once, in FDA's order."""
    operations = (" ".join(part.split()).upper() for part in _text(cell).split(";"))
    return list(dict.fromkeys(operation for operation in operations if operation))


def country_and_city(address: str) -> tuple[str, str]:
    """The address's country (ISO alpha-2) and city, "" for either it does not say plainly.

    "6200 W 51st Street, Chicago, Illinois (IL) 60638, United States (USA)" is ("US",
    "Chicago"); "2348/1 Líbalova, Praha,  149 00, Czechia" is ("CZ", "Praha").
    """
    country = ""
    rest = address.strip()
    alpha3 = _ALPHA3_AT_END.search(rest)
    if alpha3:
        country = _country_codes().get(alpha3.group(1).upper(), "")
        rest = rest[: alpha3.start()].rstrip()
    parts = [part.strip() for part in rest.split(",")]
    # The country's name ends the address; some have a comma ("Korea, South").
    for length in (1, 2):
        if len(parts) > length and not any(_has_digit(part) for part in parts[-length:]):
            named = _country_codes().get(", ".join(parts[-length:]).casefold())
            if named:
                country = country or named
                parts = parts[:-length]
                break
    else:
        if alpha3:
            # A name django-countries spells otherwise: the parts after the postal code.
            while len(parts) > 2 and not _has_digit(parts[-1]) and parts[-1] not in ("", "-"):
                parts.pop()
    return country, _city(parts)


@functools.cache
def _country_codes() -> dict[str, str]:
    """ISO alpha-3 code, and English name in lower case -> ISO alpha-2 code (django-countries
    looks names up one by one through translation, far too slowly for a file of them)."""
    codes = {}
    with translation.override("en"):
        for code, name in countries:
            codes[str(name).casefold()] = code
            alpha3 = countries.alpha3(code)
            if alpha3:
                codes[alpha3] = code
    return codes


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)


def _city(parts: list[str]) -> str:
    """The city of an address without its country: the part before the region and postal code,
    which is "Illinois (IL) 60638", "Anhui 236000", "- 05855" or only a postal code."""
    if len(parts) < 3:
        return ""
    region, city = parts[-1], parts[-2].strip('"')
    if not (_has_digit(region) or region.strip('"') in ("", "-")):
        return ""
    if not city or _has_digit(city) or len(city) > 60 or city == "-":
        return ""
    return city


def ancillary_only(operations: Iterable[str], registrant_name: str) -> bool:
    """Whether an establishment is registered for nothing a sponsor contracts a drug's
    manufacture for: no operation of MAKING_OPERATIONS (so only medicated animal feed, packing,
    labelling, analysis, distribution, salvage or foreign selling), or only medical gases (it
    fills cylinders, TRANSFILL, or its registrant is a medical-gas supplier by name, and it does
    nothing in NOT_MEDICAL_GAS_OPERATIONS)."""
    registered = set(operations)
    if not registered & MAKING_OPERATIONS:
        return True
    medical_gas = TRANSFILL in registered or bool(MEDICAL_GAS_REGISTRANT.search(registrant_name))
    return medical_gas and not registered & NOT_MEDICAL_GAS_OPERATIONS


@dataclass
class Establishment:
    """One checked row of the file."""

    line: int
    fei_number: str
    duns_number: str
    firm_name: str
    country: str
    city: str
    expires_on: datetime.date | None
    operations: list[str]
    registrant_name: str
    registrant_duns: str

    @property
    def ancillary_only(self) -> bool:
        return ancillary_only(self.operations, self.registrant_name)

    def name_choices(self) -> list[str]:
        """The names the establishment's site may have, the first one its provider has free."""
        limit = Site._meta.get_field("name").max_length or 200
        by_duns = f" (DUNS {self.duns_number})"
        choices = [self.firm_name]
        if self.city and len(self.firm_name) + len(self.city) + 3 <= limit:
            choices.append(f"{self.firm_name} ({self.city})")
        choices.append(self.firm_name[: limit - len(by_duns)] + by_duns)
        return choices


# -- The report ----------------------------------------------------------------------------------


@dataclass
class RegistrationReport(FdaFileReport):
    """What one registration file's import did, counted in establishments (sites). Its fields
    are the Data Dashboard imports' report's (report.FdaFileReport), so the command and the
    admin show either."""

    export: str = EXPORT_TITLE
    # Of the sites created or updated: those a curator had created, matched by DUNS or FEI.
    matched_curated: int = 0
    providers_created: int = 0
    providers_updated: int = 0
    capabilities_added: int = 0
    capabilities_removed: int = 0
    # Of the establishments read: those registered only for ancillary work (hidden by default).
    ancillary: int = 0

    def summary(self) -> list[str]:
        if self.error:
            return []
        lines = [
            self.title(),
            f"  Establishments read: {self.rows_read:,}. Created: {self.created:,}. Updated: "
            f"{self.updated:,}. Unchanged: {self.unchanged:,}. Rejected: {self.rejected:,}.",
            f"  Providers (registrants) created: {self.providers_created:,}, renamed: "
            f"{self.providers_updated:,}. Sites a curator created, matched: "
            f"{self.matched_curated:,}.",
            f"  Capabilities from registered operations added: {self.capabilities_added:,}, "
            f"removed: {self.capabilities_removed:,}. Registered only for ancillary work: "
            f"{self.ancillary:,} establishments.",
            f"  Regulator records linked to these sites: {self.linked:,}.",
        ]
        return lines + self.closing_lines()


# -- The import ----------------------------------------------------------------------------------

Progress = Callable[[int, int | None], None]


def import_registrations(
    table: Table,
    layout: RegistrationLayout,
    header_line: int,
    name: str,
    *,
    progress: Progress | None = None,
    user: Any = None,
) -> RegistrationReport:
    """Import the rows after the header of a registration file, inside the caller's transaction
    (importer.import_fda_file opens it, and reads the header)."""
    report = RegistrationReport(
        name=name,
        file_format=table.file_format,
        encoding={"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}.get(
            table.encoding, table.encoding
        ),
        row_word=table.row_word,
        header_line=header_line,
    )
    total = max(table.total_rows - header_line, 0) if table.total_rows else None
    writer = _RegistrationWriter(report, user=user, change_reason=f"FDA import: {name}"[:100])
    batch: list[Establishment] = []
    for establishment in _checked_rows(table, layout, report):
        batch.append(establishment)
        if len(batch) >= BATCH_SIZE:
            writer.write(batch)
            batch = []
            if progress:
                progress(report.rows_read, total)
    if batch:
        writer.write(batch)
    writer.finish()
    if progress:
        progress(report.rows_read, report.rows_read)
    return report


def _checked_rows(
    table: Table, layout: RegistrationLayout, report: RegistrationReport
) -> Iterator[Establishment]:
    """The rows after the header, checked; a rejected row is reported and left out."""
    first_seen: dict[str, int] = {}  # DUNS -> the line that gave it first
    text = table.row_word == "line"
    for line, cells in table.rows:
        if all(cell is None or not str(cell).strip() for cell in cells):
            report.blank_rows += 1
            continue
        report.rows_read += 1
        establishment, reasons = _check(layout, line, cells, text=text)
        if establishment is not None:
            earlier = first_seen.setdefault(establishment.duns_number, line)
            if earlier != line:
                reasons.append(
                    f"DUNS_NUMBER: {establishment.duns_number} is also the DUNS of "
                    f"{report.row_word} {earlier}; an establishment has one row"
                )
        if reasons:
            report.rejected += 1
            if len(report.rejections) < LISTED_REJECTIONS:
                report.rejections.append(Rejection(line, reasons))
            continue
        assert establishment is not None
        if establishment.ancillary_only:
            report.ancillary += 1
        yield establishment


def _check(
    layout: RegistrationLayout, line: int, cells: list[Cell], *, text: bool
) -> tuple[Establishment | None, list[str]]:
    damaged = nul_columns(cells)
    if damaged:
        return None, [nul_reason(damaged)]
    reasons: list[str] = []
    values: dict[str, Any] = {}

    def read(column: str, parse: Callable[[Cell], Any]) -> None:
        index = layout.positions.get(column)
        cell = cells[index] if index is not None and index < len(cells) else None
        try:
            values[column] = parse(cell)
        except CellRejected as error:
            reasons.append(f"{_HEADERS[column]}: {error}")

    read("fei_number", _fei)
    read("duns_number", lambda cell: _identifier(cell, "the establishment's key"))
    read("firm_name", lambda cell: _name(cell, Site, "the establishment's name"))
    read("address", _text)
    read("expires_on", _expiry_date)
    read("operations", _operations)
    read("registrant_name", lambda cell: _name(cell, Provider, "the registrant's name"))
    read("registrant_duns", lambda cell: _identifier(cell, "the registrant's key"))
    address = values.pop("address", "")
    country, city = country_and_city(address) if address else ("", "")
    if not country:
        reasons.append(
            "ADDRESS: no country: it should end with the country's ISO code in brackets, "
            "e.g. '..., France (FRA)', or the country's name"
        )
    if any(cell is not None and str(cell).strip() for cell in cells[layout.width :]):
        reasons.append(
            f"{len(cells)} values where the header has {layout.width} columns "
            "(a tab inside a value?)"
        )
    elif text and len(cells) < layout.width:
        reasons.append(
            f"{len(cells)} values where the header has {layout.width} columns "
            "(a line break inside a value?)"
        )
    if reasons:
        return None, reasons
    city_limit = Site._meta.get_field("city").max_length or 120
    return Establishment(line=line, country=country, city=city[:city_limit], **values), reasons


def _expiry_date(cell: Cell) -> datetime.date | None:
    try:
        return _expiry(cell)
    except CellRejected:
        raise CellRejected(f"{_shown(cell)}is not a date (expected MM/DD/YYYY)") from None


# The fields of a site the import compares and writes.
_SITE_FIELDS = (
    "provider_id",
    "name",
    "country",
    "city",
    "fei_number",
    "duns_number",
    "registered_operations",
    "ancillary_only",
)


class _RegistrationWriter:
    """Upserts the providers, sites, capabilities and registrations of a batch of rows."""

    def __init__(self, report: RegistrationReport, *, user: Any, change_reason: str) -> None:
        self.report = report
        self.now = timezone.now()
        self.history = {
            "default_user": user,
            "default_change_reason": change_reason,
            "default_date": self.now,
        }
        self.bumped = False
        # Slugs given to providers in this import (they are in the database too, once written).
        self.slugs: set[str] = set()
        # Sites created, or whose FEI changed: their FEIs' regulator records are linked at the end.
        self.to_link: list[int] = []
        terms = dict(
            Term.objects.filter(slug__in=set(OPERATION_TERMS.values())).values_list("slug", "pk")
        )
        missing = sorted(set(OPERATION_TERMS.values()) - set(terms))
        if missing:
            self.note(
                f"the capability terms {', '.join(missing)} are not in the vocabulary: their "
                "operations are stored as operations only"
            )
        self.term_of = {op: terms[slug] for op, slug in OPERATION_TERMS.items() if slug in terms}

    def note(self, message: str) -> None:
        self.report.noted += 1
        if len(self.report.notes) < LISTED_NOTES:
            self.report.notes.append(message)

    def write(self, batch: list[Establishment]) -> None:
        sites = self.matched_sites(batch)
        providers = self.providers(batch, sites)
        plans = [self.plan(establishment, sites, providers) for establishment in batch]
        self.name_sites(plans, providers)
        capability_changes = self.capability_changes(plans)
        certification_changes = self.certification_changes(plans)
        for plan in plans:
            if plan.site_pk is None:
                self.report.created += 1
            elif plan.site_changes or plan.other_changes:
                self.report.updated += 1
                if plan.curated:
                    self.report.matched_curated += 1
            else:
                self.report.unchanged += 1
        self.save(plans, providers, capability_changes, certification_changes)

    # -- Reading what is stored ----------------------------------------------------------------

    def matched_sites(self, batch: list[Establishment]) -> dict[int, dict[str, Any]]:
        """Line -> the stored site the row names, as values: by DUNS, else by the FEI of exactly
        one site without a DUNS. Two queries."""
        names = ["pk", "source", "provider__source", *_SITE_FIELDS]
        by_duns = {
            state["duns_number"]: state
            for state in Site.objects.filter(duns_number__in={e.duns_number for e in batch}).values(
                *names
            )
        }
        found: dict[int, dict[str, Any]] = {}
        by_fei: dict[str, list[dict[str, Any]]] = defaultdict(list)
        wanted_feis = {e.fei_number for e in batch if e.fei_number and e.duns_number not in by_duns}
        if wanted_feis:
            for state in Site.objects.filter(duns_number="", fei_number__in=wanted_feis).values(
                *names
            ):
                by_fei[state["fei_number"]].append(state)
        claimed: set[int] = set()
        for establishment in batch:
            state = by_duns.get(establishment.duns_number)
            if state is None and establishment.fei_number:
                holders = [s for s in by_fei[establishment.fei_number] if s["pk"] not in claimed]
                if len(holders) == 1:
                    state = holders[0]
                elif len(holders) > 1:
                    self.note(
                        f"{self.report.row_word} {establishment.line}: FEI "
                        f"{establishment.fei_number} is held by {len(holders)} sites without a "
                        "DUNS number; a new site was created for this establishment"
                    )
            if state is not None:
                claimed.add(state["pk"])
                found[establishment.line] = state
        return found

    def providers(
        self, batch: list[Establishment], sites: dict[int, dict[str, Any]]
    ) -> dict[str, "_ProviderPlan"]:
        """Registrant DUNS -> its provider, stored or to be created: one query to read them, one
        for the slugs new ones would take."""
        wanted = {
            e.registrant_duns
            for e in batch
            if e.line not in sites or _follows_registrant(sites[e.line])
        }
        plans = {
            duns: _ProviderPlan(pk=pk, name=name, source=source, new_name=name)
            for pk, duns, name, source in Provider.objects.filter(
                registrant_duns__in=wanted
            ).values_list("pk", "registrant_duns", "name", "source")
        }
        new = {}
        for establishment in batch:
            duns = establishment.registrant_duns
            if duns not in wanted:
                continue
            plan = plans.get(duns)
            if plan is None:
                plan = new[duns] = plans[duns] = _ProviderPlan(
                    pk=None,
                    name=establishment.registrant_name,
                    source=DataSource.FDA_REGISTRATION,
                    new_name=establishment.registrant_name,
                    country=establishment.country,
                    duns=duns,
                )
            elif plan.source == DataSource.FDA_REGISTRATION:
                plan.new_name = establishment.registrant_name
        if new:
            self.give_slugs(new)
        return plans

    def give_slugs(self, new: dict[str, "_ProviderPlan"]) -> None:
        limit = Provider._meta.get_field("slug").max_length or 200
        for duns, plan in new.items():
            base = slugify(plan.name)[: limit - 14].strip("-") or "registrant"
            plan.slug_choices = [base, f"{base}-{duns}"]
        wanted = {slug for plan in new.values() for slug in plan.slug_choices}
        taken = set(Provider.objects.filter(slug__in=wanted).values_list("slug", flat=True))
        taken |= self.slugs
        for plan in new.values():
            free = (slug for slug in plan.slug_choices if slug not in taken)
            # Both taken only when a curator gave another provider "<name>-<DUNS>" already.
            plan.slug = next(free, None) or self.numbered_slug(plan.slug_choices[-1])
            taken.add(plan.slug)
            self.slugs.add(plan.slug)

    def numbered_slug(self, base: str) -> str:
        number = 2
        while Provider.objects.filter(slug=f"{base}-{number}").exists() or (
            f"{base}-{number}" in self.slugs
        ):
            number += 1
        return f"{base}-{number}"

    # -- Deciding what to write ------------------------------------------------------------------

    def plan(
        self,
        establishment: Establishment,
        sites: dict[int, dict[str, Any]],
        providers: dict[str, "_ProviderPlan"],
    ) -> "_SitePlan":
        stored = sites.get(establishment.line)
        target = {
            "fei_number": establishment.fei_number,
            "duns_number": establishment.duns_number,
            "registered_operations": establishment.operations,
            "ancillary_only": establishment.ancillary_only,
        }
        curated = stored is not None and stored["source"] != DataSource.FDA_REGISTRATION
        if curated:
            assert stored is not None
            # A curator's site keeps its provider, name and place, and its FEI when FDA has none.
            if not establishment.fei_number:
                target["fei_number"] = stored["fei_number"]
            if not stored["city"]:
                target["city"] = establishment.city
        else:
            target.update(country=establishment.country, city=establishment.city)
        plan = _SitePlan(establishment, stored, target, curated)
        if stored is None or _follows_registrant(stored):
            plan.provider = providers[establishment.registrant_duns]
        if stored is not None:
            plan.site_changes = {
                name: value for name, value in target.items() if stored[name] != value
            }
        return plan

    def name_sites(self, plans: list["_SitePlan"], providers: dict[str, "_ProviderPlan"]) -> None:
        """Give each site the registrations own its name: the first of its choices its provider
        has free, unless it has one of them already and stays with its provider."""
        provider_pks = {plan.provider.pk for plan in plans if plan.provider and plan.provider.pk}
        names: dict[int | str, set[str]] = defaultdict(set)
        for provider_id, name in Site.objects.filter(provider_id__in=provider_pks).values_list(
            "provider_id", "name"
        ):
            names[provider_id].add(name)
        for plan in plans:
            provider = plan.provider
            if provider is None:
                continue
            key: int | str = provider.pk if provider.pk is not None else id(provider)
            choices = plan.establishment.name_choices()
            stored = plan.stored
            if stored is not None and stored["provider_id"] == provider.pk:
                if stored["name"] in choices:
                    continue
                names[key].discard(stored["name"])
            name = next(choice for choice in choices if choice not in names[key])
            names[key].add(name)
            plan.name = name
            if stored is None or stored["name"] != name:
                plan.site_changes["name"] = name
            if stored is not None and stored["provider_id"] != provider.pk:
                plan.site_changes["provider_id"] = provider.pk  # None until created: set in save

    def capability_changes(
        self, plans: list["_SitePlan"]
    ) -> tuple[list[tuple["_SitePlan", int]], list[int]]:
        """(plan, term) of capabilities to add, and pks of regulator-record ones to remove."""
        stored_pks = [plan.stored["pk"] for plan in plans if plan.stored is not None]
        held: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
        if stored_pks and self.term_of:
            for pk, site_id, term_id, provenance in SiteCapability.objects.filter(
                site_id__in=stored_pks, term_id__in=set(self.term_of.values())
            ).values_list("pk", "site_id", "term_id", "provenance"):
                held[site_id][term_id] = (pk, provenance)
        add: list[tuple[_SitePlan, int]] = []
        remove: list[int] = []
        for plan in plans:
            wanted = {
                self.term_of[op] for op in plan.establishment.operations if op in self.term_of
            }
            has = held[plan.stored["pk"]] if plan.stored is not None else {}
            for term_id in sorted(wanted - set(has)):
                add.append((plan, term_id))
                plan.other_changes = True
            for term_id, (pk, provenance) in has.items():
                if term_id not in wanted and provenance == Provenance.REGULATOR_RECORD:
                    remove.append(pk)
                    plan.other_changes = True
        return add, remove

    def certification_changes(
        self, plans: list["_SitePlan"]
    ) -> tuple[list["_SitePlan"], dict[int, dict[str, Any]]]:
        """Plans whose registration is to be created, and pk -> the fields of those to update."""
        stored_pks = [plan.stored["pk"] for plan in plans if plan.stored is not None]
        held: dict[int, dict[str, Any]] = {}
        if stored_pks:
            for state in (
                Certification.objects.filter(
                    site_id__in=stored_pks,
                    kind=CertificationKind.FDA_REGISTRATION,
                    authority=Authority.FDA,
                )
                .order_by("pk")
                .values("pk", "site_id", "reference", "valid_until", "source")
            ):
                held[state["site_id"]] = state  # the latest one, if a curator added several
        create: list[_SitePlan] = []
        update: dict[int, dict[str, Any]] = {}
        for plan in plans:
            wanted = plan.registration()
            found = held.get(plan.stored["pk"]) if plan.stored is not None else None
            if found is None:
                create.append(plan)
                plan.other_changes = True
                continue
            changes = {name: value for name, value in wanted.items() if found[name] != value}
            if changes:
                update[found["pk"]] = changes
                plan.other_changes = True
        return create, update

    # -- Writing -----------------------------------------------------------------------------------

    def save(
        self,
        plans: list["_SitePlan"],
        providers: dict[str, "_ProviderPlan"],
        capability_changes: tuple[list[tuple["_SitePlan", int]], list[int]],
        certification_changes: tuple[list["_SitePlan"], dict[int, dict[str, Any]]],
    ) -> None:
        created_providers = [p for p in providers.values() if p.pk is None]
        renamed_providers = [
            p for p in providers.values() if p.pk is not None and p.new_name != p.name
        ]
        new_sites = [plan for plan in plans if plan.stored is None]
        changed_sites = [plan for plan in plans if plan.stored is not None and plan.site_changes]
        add_capabilities, remove_capabilities = capability_changes
        new_certifications, changed_certifications = certification_changes
        if not (
            created_providers
            or renamed_providers
            or new_sites
            or changed_sites
            or add_capabilities
            or remove_capabilities
            or new_certifications
            or changed_certifications
        ):
            return
        if not self.bumped:
            # The version row first, as every bulk writer takes it: one lock order, no deadlock.
            bump_catalogue_version()
            self.bumped = True
        if created_providers:
            self.create_providers(created_providers)
        if renamed_providers:
            self.rename_providers(renamed_providers)
        if new_sites:
            self.create_sites(new_sites)
        if changed_sites:
            self.update_sites(changed_sites)
        if add_capabilities or remove_capabilities:
            self.write_capabilities(add_capabilities, remove_capabilities)
        if new_certifications:
            self.create_certifications(new_certifications)
        if changed_certifications:
            self.update_certifications(changed_certifications)

    def create_providers(self, plans: list["_ProviderPlan"]) -> None:
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    name=plan.name,
                    slug=plan.slug,
                    kind=ProviderKind.NOT_CLASSIFIED,
                    country=plan.country,
                    registrant_duns=duns,
                    source=DataSource.FDA_REGISTRATION,
                )
                for duns, plan in ((p.duns, p) for p in plans)
            ],
            batch_size=BATCH_SIZE,
        )
        for plan, provider in zip(plans, providers, strict=True):
            plan.pk = provider.pk
        _history_of_created(Provider, providers, self.history)
        self.report.providers_created += len(providers)

    def rename_providers(self, plans: list["_ProviderPlan"]) -> None:
        providers = Provider.objects.in_bulk([plan.pk for plan in plans])
        for plan in plans:
            provider = providers[plan.pk]
            provider.name = plan.new_name
            provider.updated_at = self.now
            plan.name = plan.new_name
        bulk_update_with_history(
            list(providers.values()),
            Provider,
            ["name", "updated_at"],
            batch_size=BATCH_SIZE,
            **self.history,
        )
        self.report.providers_updated += len(plans)

    def create_sites(self, plans: list["_SitePlan"]) -> None:
        sites = Site.objects.bulk_create(
            [
                Site(
                    provider_id=plan.provider_id,
                    name=plan.name,
                    source=DataSource.FDA_REGISTRATION,
                    **plan.target,
                )
                for plan in plans
            ],
            batch_size=BATCH_SIZE,
        )
        for plan, site in zip(plans, sites, strict=True):
            plan.site_pk = site.pk
            if site.fei_number:
                self.to_link.append(site.pk)
        _history_of_created(Site, sites, self.history)

    def update_sites(self, plans: list["_SitePlan"]) -> None:
        sites = Site.objects.in_bulk([plan.stored["pk"] for plan in plans if plan.stored])
        names: set[str] = set()
        for plan in plans:
            assert plan.stored is not None
            site = sites[plan.stored["pk"]]
            plan.site_pk = site.pk
            if "provider_id" in plan.site_changes and plan.provider is not None:
                plan.site_changes["provider_id"] = plan.provider.pk
            for name, value in plan.site_changes.items():
                setattr(site, name, value)
            site.updated_at = self.now
            names.update(plan.site_changes)
            if "fei_number" in plan.site_changes:
                self.to_link.append(site.pk)
        fields = sorted({"provider" if n == "provider_id" else n for n in names} | {"updated_at"})
        bulk_update_with_history(
            list(sites.values()), Site, fields, batch_size=BATCH_SIZE, **self.history
        )
        # bulk_update_with_history writes no many-to-many history: each entry takes the phases
        # and DEA schedules the site holds, as a curator's save would.
        entries = Site.history.filter(
            id__in=list(sites), history_date=self.now, history_type="~"
        ).values_list("id", "history_id")
        _copy_set_history(dict(entries))

    def write_capabilities(self, add: list[tuple["_SitePlan", int]], remove: list[int]) -> None:
        if add:
            capabilities = SiteCapability.objects.bulk_create(
                [
                    SiteCapability(
                        site_id=plan.written_pk,
                        term_id=term_id,
                        provenance=Provenance.REGULATOR_RECORD,
                    )
                    for plan, term_id in add
                ],
                batch_size=BATCH_SIZE,
            )
            _history_of_created(SiteCapability, capabilities, self.history)
            self.report.capabilities_added += len(capabilities)
        # Rare (FDA dropped an operation): deleted one by one, for their history entries.
        for capability in SiteCapability.objects.filter(pk__in=remove):
            capability._change_reason = self.history["default_change_reason"]
            capability.delete()
            self.report.capabilities_removed += 1

    def create_certifications(self, plans: list["_SitePlan"]) -> None:
        certifications = Certification.objects.bulk_create(
            [
                Certification(
                    site_id=plan.written_pk,
                    kind=CertificationKind.FDA_REGISTRATION,
                    authority=Authority.FDA,
                    retrieved_at=self.now,
                    **plan.registration(),
                )
                for plan in plans
            ],
            batch_size=BATCH_SIZE,
        )
        _history_of_created(Certification, certifications, self.history)

    def update_certifications(self, changes: dict[int, dict[str, Any]]) -> None:
        certifications = Certification.objects.in_bulk(list(changes))
        names: set[str] = set()
        for pk, values in changes.items():
            certification = certifications[pk]
            for name, value in values.items():
                setattr(certification, name, value)
            certification.retrieved_at = self.now
            certification.updated_at = self.now
            names.update(values)
        bulk_update_with_history(
            list(certifications.values()),
            Certification,
            sorted(names | {"retrieved_at", "updated_at"}),
            batch_size=BATCH_SIZE,
            **self.history,
        )

    def finish(self) -> None:
        """Link the regulator records of the sites' FEIs, and list the sites to rescore: those
        written and those sharing their FEIs (which may have lost records to them) that hold
        inspections or actions now, or had a score."""
        if not self.to_link:
            return
        # One call: past a few hundred sites, linking relinks every record at once.
        self.report.linked = link_regulatory_records(self.to_link)
        rescore: set[int] = set()
        for start in range(0, len(self.to_link), BATCH_SIZE):
            chunk = self.to_link[start : start + BATCH_SIZE]
            feis = Site.objects.filter(pk__in=chunk).exclude(fei_number="").values("fei_number")
            scored = Site.objects.filter(Q(pk__in=chunk) | Q(fei_number__in=feis)).filter(
                Q(compliance_state=ComplianceState.SCORED)
                | Exists(Inspection.objects.filter(site_id=OuterRef("pk")))
                | Exists(RegulatoryAction.objects.filter(site_id=OuterRef("pk")))
            )
            rescore.update(scored.values_list("pk", flat=True))
        self.report.rescore_site_ids = sorted(rescore)
        self.report.sites_to_rescore = len(rescore)


@dataclass(eq=False)
class _ProviderPlan:
    """A registrant's provider: stored (pk) or to be created."""

    pk: int | None
    name: str
    source: str
    new_name: str
    country: str = ""
    duns: str = ""
    slug: str = ""
    slug_choices: list[str] = field(default_factory=list)


@dataclass(eq=False)
class _SitePlan:
    """What to write for one establishment."""

    establishment: Establishment
    stored: dict[str, Any] | None
    # The site's fields as the registration gives them (the name and provider aside).
    target: dict[str, Any]
    curated: bool
    provider: _ProviderPlan | None = None
    name: str = ""
    site_changes: dict[str, Any] = field(default_factory=dict)
    # Whether its capabilities or registration change.
    other_changes: bool = False
    site_pk: int | None = None

    def __post_init__(self) -> None:
        if self.stored is not None:
            self.site_pk = self.stored["pk"]

    @property
    def written_pk(self) -> int:
        assert self.site_pk is not None, "sites are written before what they hold"
        return self.site_pk

    @property
    def provider_id(self) -> int:
        assert self.provider is not None, "a site the registrations own has a registrant"
        assert self.provider.pk is not None, "providers are written before their sites"
        return self.provider.pk

    def registration(self) -> dict[str, Any]:
        """The fields of the certification that shows the registration."""
        establishment = self.establishment
        reference = (
            f"FEI {establishment.fei_number}"
            if establishment.fei_number
            else f"DUNS {establishment.duns_number}"
        )
        return {
            "reference": reference,
            "valid_until": establishment.expires_on,
            "source": REGISTRATION_SOURCE,
        }


def _follows_registrant(stored: dict[str, Any]) -> bool:
    """Whether a stored site belongs to its registrant's provider as the file says: a site the
    registrations created, unless a curator has moved it to a provider of their own."""
    return (
        stored["source"] == DataSource.FDA_REGISTRATION
        and stored["provider__source"] == DataSource.FDA_REGISTRATION
    )


def _history_of_created(model: type[Historied], rows: list[Any], history: dict[str, Any]) -> None:
    """The creation history entries of rows just inserted, copied by the database."""
    if not copy_into_history(model, [row.pk for row in rows], **history):
        model.history.bulk_history_create(rows, batch_size=BATCH_SIZE, **history)


def _copy_set_history(history_of_site: dict[int, int]) -> None:
    """Give site history entries the phases and DEA schedules their sites hold now."""
    if not history_of_site:
        return
    for field_name, target in (("phases", "phase_id"), ("dea_schedules", "deaschedule_id")):
        through = getattr(Site, field_name).through
        historical = apps.get_model("partners", f"HistoricalSite_{field_name}")
        historical.objects.bulk_create(
            [
                historical(
                    id=row["pk"],
                    site_id=row["site_id"],
                    history_id=history_of_site[row["site_id"]],
                    **{target: row[target]},
                )
                for row in through.objects.filter(site_id__in=list(history_of_site)).values(
                    "pk", "site_id", target
                )
            ],
            batch_size=BATCH_SIZE,
        )
