"""A deterministic, realistic demo catalogue for `manage.py seed_demo` and the benchmarks.

`generate_catalogue` is plain Python: one `random.Random(seed)` and an as-of date give the same
providers, sites, capabilities, certificates and regulator records every time, on any machine.
Providers are drawn one after another from that one stream, so the first N providers of a larger
catalogue are the N providers of a smaller one. `seed_catalogue` writes a generated catalogue with
bulk inserts, skipping what an earlier run (or an import) already put in the database.

The countries, cities, inspection rhythm and certificate formats imitate the real contract
manufacturing landscape; the company names are invented. FEIs, FDA inspection ids and case ids are
drawn from ranges FDA has not reached, so real FDA exports imported later do not link to a
fictional site.
"""

import datetime
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

from django.db import transaction
from django.utils.text import slugify

from core.dates import years_after, years_before
from partners.catalogue_version import bump_catalogue_version
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


# --- Where contract manufacturers are --------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    weight: float
    cities: tuple[str, ...]
    # Flavour for provider names: regions, rivers and landscapes of the country.
    places: tuple[str, ...] = ()


COUNTRIES: tuple[Country, ...] = (
    Country("US", "the United States", 16, (
        "Durham", "Morrisville", "Cambridge", "Lexington", "New Brunswick", "Princeton",
        "Somerset", "Indianapolis", "Philadelphia", "King of Prussia", "San Diego",
        "South San Francisco", "Boulder", "Greenville", "Kalamazoo", "St. Louis", "Rockville",
        "Gaithersburg", "Baltimore", "Bloomington", "Madison", "Houston", "Rensselaer",
        "Holly Springs", "Sanford", "West Point", "Wilson", "Charleston", "Portage", "Tampa",
    ), ("Catawba", "Wabash", "Raritan", "Susquehanna", "Mohawk", "Chesapeake", "Sierra")),
    Country("IN", "India", 13, (
        "Hyderabad", "Visakhapatnam", "Ahmedabad", "Vadodara", "Bengaluru", "Pune",
        "Navi Mumbai", "Ankleshwar", "Baddi", "Goa", "Chennai", "Dahej", "Aurangabad", "Vapi",
        "Indore", "Gangtok",
    ), ("Konkan", "Narmada", "Kaveri", "Malabar", "Sahyadri", "Godavari")),
    Country("CN", "China", 12, (
        "Shanghai", "Suzhou", "Wuxi", "Hangzhou", "Taizhou", "Beijing", "Tianjin",
        "Shijiazhuang", "Chengdu", "Wuhan", "Jinan", "Changzhou", "Nanjing", "Shenzhen",
        "Lianyungang", "Zhuhai",
    ), ("Qiantang", "Jinling", "Lingnan", "Minjiang", "Taihu")),
    Country("DE", "Germany", 7, (
        "Leverkusen", "Frankfurt am Main", "Ludwigshafen", "Biberach an der Riß", "Marburg",
        "Penzberg", "Mannheim", "Darmstadt", "Berlin", "Halle (Westfalen)", "Konstanz",
        "Dessau-Roßlau", "Ingelheim am Rhein", "Laupheim", "Ravensburg", "Bad Kreuznach",
    ), ("Rhine Valley", "Taunus", "Eifel", "Neckar", "Havel", "Spessart")),
    Country("IT", "Italy", 6, (
        "Milan", "Latina", "Monza", "Pomezia", "Siena", "Parma", "Rome", "Bergamo", "Catania",
        "Florence", "Ascoli Piceno", "Anagni", "Lodi",
    ), ("Brianza", "Lario", "Euganea", "Maremma", "Sabina")),
    Country("CH", "Switzerland", 4.5, (
        "Basel", "Visp", "Stein", "Zofingen", "Geneva", "Kaisten", "Schaffhausen", "Lugano",
        "Bulle", "Neuchâtel",
    ), ("Aare", "Jura", "Rigi", "Emmental")),
    Country("IE", "Ireland", 4, (
        "Cork", "Dublin", "Limerick", "Galway", "Carlow", "Waterford", "Sligo", "Shannon",
        "Dundalk", "Ringaskiddy",
    ), ("Liffey", "Boyne", "Slaney", "Burren")),
    Country("GB", "the United Kingdom", 4, (
        "Macclesfield", "Cambridge", "Stevenage", "Oxford", "Edinburgh", "Speke", "Billingham",
        "Barnard Castle", "Ulverston", "Dartford", "Morpeth", "Cramlington", "Nottingham",
        "Slough",
    ), ("Pennine", "Severn", "Cheviot", "Chiltern", "Mendip")),
    Country("KR", "South Korea", 3.5, (
        "Incheon", "Osong", "Cheongju", "Hwaseong", "Pyeongtaek", "Seoul", "Daejeon", "Ansan",
        "Andong", "Chuncheon",
    ), ("Hangang", "Namsan", "Seorak")),
    Country("JP", "Japan", 3.2, (
        "Osaka", "Tokyo", "Takasaki", "Shizuoka", "Toyama", "Fukushima", "Kobe", "Yokohama",
        "Tsukuba", "Kawasaki", "Utsunomiya",
    ), ("Kiso", "Chikuma", "Setouchi", "Musashi")),
    Country("FR", "France", 2.8, (
        "Lyon", "Strasbourg", "Marcy-l'Étoile", "Tours", "Toulouse", "Compiègne", "Évreux",
        "Le Trait", "Val-de-Reuil", "Montpellier", "Saint-Herblain",
    ), ("Loire", "Vercors", "Ardèche", "Morvan")),
    Country("ES", "Spain", 2.4, (
        "Barcelona", "Madrid", "Granada", "Tres Cantos", "Girona", "Valencia", "Zaragoza",
        "Sant Cugat del Vallès", "León", "Seville",
    ), ("Ebro", "Duero", "Montseny", "Guadarrama")),
    Country("BE", "Belgium", 2, (
        "Brussels", "Gosselies", "Seneffe", "Wavre", "Ghent", "Geel", "Puurs", "Liège",
        "Braine-l'Alleud", "Fleurus",
    ), ("Meuse", "Scheldt", "Ardenne")),
    Country("NL", "the Netherlands", 1.9, (
        "Leiden", "Nijmegen", "Oss", "Breda", "Amsterdam", "Groningen", "Boxmeer", "Utrecht",
    ), ("Vecht", "Veluwe", "Zeeland")),
    Country("SG", "Singapore", 1.6, ("Tuas", "Jurong", "Singapore"), ("Kallang", "Bukit")),
    Country("CA", "Canada", 1.5, (
        "Toronto", "Mississauga", "Montreal", "Laval", "Winnipeg", "Vancouver", "Edmonton",
        "Kirkland", "Markham", "Whitby",
    ), ("Laurentian", "Fraser", "Muskoka")),
    Country("SE", "Sweden", 1.2, (
        "Stockholm", "Uppsala", "Strängnäs", "Gothenburg", "Södertälje", "Umeå", "Lund",
    ), ("Mälar", "Vättern")),
    Country("DK", "Denmark", 1.1, (
        "Copenhagen", "Kalundborg", "Hillerød", "Bagsværd", "Aarhus", "Odense",
    ), ("Øresund", "Limfjord")),
    Country("IL", "Israel", 1.0, (
        "Jerusalem", "Rehovot", "Kfar Saba", "Petah Tikva", "Haifa", "Ness Ziona",
    ), ("Galil", "Sharon")),
    Country("BR", "Brazil", 0.9, (
        "São Paulo", "Rio de Janeiro", "Campinas", "Hortolândia", "Anápolis", "Belo Horizonte",
        "Curitiba",
    ), ("Tietê", "Serra Azul", "Paraná")),
    Country("PR", "Puerto Rico", 0.8, (
        "Juncos", "Carolina", "Humacao", "Barceloneta", "Manatí", "Guayama", "Cayey",
    ), ("Yunque", "Borinquen")),
    Country("AU", "Australia", 0.7, ("Melbourne", "Sydney", "Brisbane", "Adelaide", "Perth")),
    Country("AT", "Austria", 0.7, ("Vienna", "Kundl", "Orth an der Donau", "Linz", "Krems")),
    Country("PL", "Poland", 0.7, ("Warsaw", "Kraków", "Poznań", "Łódź", "Gdańsk")),
    Country("TW", "Taiwan", 0.6, ("Hsinchu", "Taipei", "Taichung", "Tainan")),
    Country("HU", "Hungary", 0.5, ("Budapest", "Debrecen", "Gödöllő")),
    Country("PT", "Portugal", 0.5, ("Lisbon", "Porto", "Coimbra")),
    Country("MX", "Mexico", 0.5, ("Mexico City", "Guadalajara", "Toluca")),
    Country("CZ", "Czechia", 0.4, ("Prague", "Brno", "Opava")),
    Country("SI", "Slovenia", 0.4, ("Ljubljana", "Mengeš", "Novo mesto")),
    Country("TR", "Türkiye", 0.4, ("Istanbul", "Kocaeli", "Tekirdağ")),
    Country("FI", "Finland", 0.3, ("Espoo", "Turku", "Oulu")),
    Country("AR", "Argentina", 0.3, ("Buenos Aires", "Pilar", "Rosario")),
    Country("ZA", "South Africa", 0.3, ("Cape Town", "Gqeberha", "Johannesburg", "Durban")),
    Country("NO", "Norway", 0.2, ("Oslo", "Lillestrøm")),
)  # fmt: skip
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}

# EU and EEA members hold EU GMP certificates from their own authority. Switzerland is in through
# its mutual recognition agreement: Swissmedic's certificates are accepted as EU GMP.
EU_GMP_COUNTRIES = frozenset(
    {"AT", "BE", "CZ", "DE", "DK", "ES", "FI", "FR", "HU", "IE", "IT", "NL", "NO", "PL", "PT"}
    | {"SE", "SI", "CH"}
)
# The issuing authority's code inside EU GMP certificate numbers (German ones name the Land).
EU_GMP_ISSUERS = {
    "DE": ("NW", "BY", "BW", "HE", "RP", "NI", "SN", "ST", "HH"),
    "IT": ("AIFA",), "FR": ("ANSM",), "ES": ("AEMPS",), "BE": ("FAMHP",), "NL": ("IGJ",),
    "IE": ("HPRA",), "SE": ("MPA",), "DK": ("DKMA",), "AT": ("BASG",), "PL": ("GIF",),
    "HU": ("OGYEI",), "CZ": ("SUKL",), "PT": ("INFARMED",), "SI": ("JAZMP",), "FI": ("FIMEA",),
    "NO": ("NOMA",), "CH": ("SMC",),
}  # fmt: skip
# Which EU authorities inspect sites outside Europe, and how often.
EU_OVERSEAS_INSPECTORS = ("DE", "IT", "FR", "ES", "NL", "IE", "AT", "PL", "HU")
EU_OVERSEAS_WEIGHTS = (6, 4, 3, 2, 2, 2, 1.5, 1, 1)
US_JURISDICTION = frozenset({"US", "PR"})

# Share of a country's sites that export to a market and so answer to its regulator.
US_FACING = {"US": 0.97, "PR": 0.97, "IN": 0.75, "CN": 0.55, "SG": 0.8, "CA": 0.8, "IL": 0.7}
US_FACING |= {"KR": 0.6, "JP": 0.45, "IE": 0.8, "CH": 0.75}
EU_FACING = {"IN": 0.45, "CN": 0.35, "US": 0.3, "KR": 0.4, "JP": 0.3, "GB": 0.35, "SG": 0.5}
EU_FACING |= {"IL": 0.5, "CA": 0.3, "TR": 0.3}


# --- What a site makes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A capability an archetype offers with some probability, at a scale drawn from a range."""

    slug: str
    probability: float
    batch_kg: tuple[float, float] | None = None
    volume_l: tuple[float, float] | None = None


@dataclass(frozen=True)
class Archetype:
    """A kind of plant: what it makes, how it is described and what it is called."""

    key: str
    label: str
    site_descriptor: str
    offers: tuple[Offer, ...]
    # At least one of these is always offered, so every site is findable by what it is for.
    anchors: tuple[str, ...]
    name_suffixes: tuple[str, ...]
    finished_dose: bool = False
    makes_api: bool = False
    cold_chain: float = 0.0


ARCHETYPES: dict[str, Archetype] = {
    archetype.key: archetype
    for archetype in (
        Archetype(
            "api",
            "small-molecule APIs",
            "API Plant",
            (
                Offer("small-molecule-api", 1.0, batch_kg=(5, 5000)),
                Offer("hpapi", 0.3, batch_kg=(0.5, 200)),
                Offer("peptide", 0.08, batch_kg=(0.5, 50)),
                Offer("flow-chemistry", 0.45),
                Offer("continuous-manufacturing", 0.35),
                Offer("micronization", 0.5),
                Offer("spray-drying", 0.35),
            ),
            ("small-molecule-api",),
            ("Chemicals", "Fine Chemicals", "Pharma", "Laboratories", "Life Sciences"),
            makes_api=True,
        ),
        Archetype(
            "oral-dose",
            "oral dose forms",
            "Oral Dose Plant",
            (
                # Finished-dose plants list the small-molecule modality so that briefs for
                # small molecules find them; the scale is the drug-product batch.
                Offer("small-molecule-api", 1.0, batch_kg=(20, 3000)),
                Offer("hpapi", 0.15, batch_kg=(1, 100)),
                Offer("oral-solid", 1.0),
                Offer("oral-liquid", 0.55),
                Offer("suppository", 0.08),
                Offer("hot-melt-extrusion", 0.4),
                Offer("spray-drying", 0.4),
                Offer("continuous-manufacturing", 0.3),
                Offer("micronization", 0.15),
            ),
            ("oral-solid",),
            ("Pharma", "Pharmaceuticals", "Laboratories", "Life Sciences"),
            finished_dose=True,
        ),
        Archetype(
            "biologics",
            "biologic drug substances",
            "Biologics Centre",
            (
                Offer("mab", 0.85, volume_l=(200, 20000)),
                Offer("recombinant-protein", 0.65, volume_l=(50, 15000)),
                Offer("adc", 0.12, batch_kg=(0.1, 10)),
                Offer("plasmid-dna", 0.05, volume_l=(50, 1000)),
                Offer("continuous-manufacturing", 0.3),
                Offer("sterile-injectable", 0.4),
                Offer("lyophilized", 0.25),
            ),
            ("mab", "recombinant-protein"),
            ("Biologics", "BioManufacturing", "Bioservices", "Life Sciences"),
            cold_chain=0.35,
        ),
        Archetype(
            "sterile",
            "sterile injectables",
            "Fill-Finish",
            (
                Offer("sterile-injectable", 1.0),
                Offer("lyophilized", 0.6),
                Offer("prefilled-syringe", 0.5),
                Offer("blow-fill-seal", 0.2),
                Offer("ophthalmic", 0.2),
                Offer("mab", 0.6, volume_l=(50, 2000)),
                Offer("recombinant-protein", 0.35, volume_l=(50, 2000)),
                Offer("small-molecule-api", 0.5, batch_kg=(5, 500)),
                Offer("peptide", 0.3, batch_kg=(0.1, 20)),
                Offer("vaccine", 0.15, volume_l=(100, 2000)),
                Offer("mrna-lnp", 0.1, volume_l=(10, 500)),
            ),
            ("mab", "small-molecule-api"),
            ("Pharma", "Pharmaceuticals", "Sterile Manufacturing", "Life Sciences"),
            finished_dose=True,
            cold_chain=0.35,
        ),
        Archetype(
            "advanced-therapy",
            "cell and gene therapies",
            "Cell & Gene Centre",
            (
                Offer("cell-therapy", 0.55, volume_l=(10, 200)),
                Offer("viral-vector", 0.6, volume_l=(50, 2000)),
                Offer("plasmid-dna", 0.45, volume_l=(10, 1000)),
                Offer("mrna-lnp", 0.35, volume_l=(10, 2000)),
                Offer("sterile-injectable", 0.3),
            ),
            ("cell-therapy", "viral-vector", "plasmid-dna", "mrna-lnp"),
            ("Therapeutics Manufacturing", "BioManufacturing", "Biologics", "Cell & Gene"),
            cold_chain=0.6,
        ),
        Archetype(
            "peptide",
            "peptides and oligonucleotides",
            "Peptide Plant",
            (
                Offer("peptide", 0.85, batch_kg=(0.1, 50)),
                Offer("oligonucleotide", 0.55, batch_kg=(0.05, 20)),
                Offer("small-molecule-api", 0.2, batch_kg=(1, 500)),
                Offer("hpapi", 0.1, batch_kg=(0.1, 10)),
                Offer("flow-chemistry", 0.2),
                Offer("continuous-manufacturing", 0.15),
                Offer("spray-drying", 0.2),
                Offer("sterile-injectable", 0.15),
            ),
            ("peptide", "oligonucleotide"),
            ("Chemicals", "Laboratories", "Life Sciences", "Peptides"),
            makes_api=True,
        ),
        Archetype(
            "vaccine",
            "vaccines",
            "Vaccine Plant",
            (
                Offer("vaccine", 1.0, volume_l=(100, 5000)),
                Offer("recombinant-protein", 0.3, volume_l=(100, 5000)),
                Offer("mrna-lnp", 0.2, volume_l=(10, 2000)),
                Offer("viral-vector", 0.2, volume_l=(50, 2000)),
                Offer("sterile-injectable", 0.75),
                Offer("lyophilized", 0.4),
                Offer("prefilled-syringe", 0.3),
                Offer("nasal", 0.05),
            ),
            ("vaccine",),
            ("Biologics", "Vaccines", "BioManufacturing"),
            finished_dose=True,
            cold_chain=0.6,
        ),
        Archetype(
            "radiopharmaceutical",
            "radiopharmaceuticals",
            "Radiopharmacy",
            (
                # Radiopharmaceutical batches are measured in activity (GBq), which the model
                # has no field for, so the modality carries no scale.
                Offer("radiopharmaceutical", 1.0),
                Offer("sterile-injectable", 0.85),
                Offer("peptide", 0.2, batch_kg=(0.01, 1)),
                Offer("small-molecule-api", 0.15, batch_kg=(0.01, 1)),
            ),
            ("radiopharmaceutical",),
            ("Radiopharma", "Isotopes", "Life Sciences"),
            cold_chain=0.5,
        ),
        Archetype(
            "specialty-dose",
            "specialty dose forms (topical, inhalation, ophthalmic)",
            "Specialty Dose Plant",
            (
                Offer("small-molecule-api", 1.0, batch_kg=(20, 2000)),
                Offer("topical", 0.6),
                Offer("transdermal", 0.25),
                Offer("inhalation", 0.35),
                Offer("nasal", 0.3),
                Offer("ophthalmic", 0.35),
                Offer("suppository", 0.15),
                Offer("oral-liquid", 0.3),
                Offer("micronization", 0.4),
                Offer("spray-drying", 0.25),
            ),
            ("topical", "inhalation", "ophthalmic"),
            ("Pharma", "Pharmaceuticals", "Laboratories", "Healthcare"),
            finished_dose=True,
        ),
    )
}
DEVELOPMENT = "development"

# How often a provider specialises in each archetype, and where each is more common.
FOCUS_WEIGHTS = {
    "api": 24, "oral-dose": 20, "biologics": 14, "sterile": 12, "advanced-therapy": 8,
    "peptide": 6, "vaccine": 4, "radiopharmaceutical": 2, "specialty-dose": 10,
}  # fmt: skip
FOCUS_BY_COUNTRY = {
    "IN": {"api": 2.0, "oral-dose": 1.8, "vaccine": 2.0, "advanced-therapy": 0.3},
    "CN": {"api": 2.2, "biologics": 1.2, "peptide": 1.5, "advanced-therapy": 0.6},
    "US": {"advanced-therapy": 1.8, "biologics": 1.3, "radiopharmaceutical": 2.0},
    "KR": {"biologics": 3.5, "api": 0.5},
    "IE": {"biologics": 2.0, "oral-dose": 1.2},
    "CH": {"api": 1.5, "biologics": 1.5, "peptide": 2.0},
    "IT": {"api": 2.0, "sterile": 1.3, "specialty-dose": 1.3},
    "DE": {"sterile": 1.3, "biologics": 1.2},
    "BE": {"advanced-therapy": 2.0, "radiopharmaceutical": 2.0},
    "NL": {"advanced-therapy": 2.0},
    "GB": {"advanced-therapy": 2.0, "specialty-dose": 1.5},
    "JP": {"biologics": 1.3},
    "BR": {"vaccine": 2.5},
    "SG": {"biologics": 2.5},
}
# A provider's other plants tend to sit next to its speciality in the value chain.
RELATED_ARCHETYPES = {
    "api": ("oral-dose", "peptide", "specialty-dose"),
    "oral-dose": ("api", "specialty-dose"),
    "biologics": ("sterile", "advanced-therapy"),
    "sterile": ("biologics", "vaccine", "oral-dose"),
    "advanced-therapy": ("biologics", "sterile"),
    "peptide": ("api", "sterile"),
    "vaccine": ("sterile", "biologics"),
    "radiopharmaceutical": ("sterile", "peptide"),
    "specialty-dose": ("oral-dose", "sterile"),
}

DEA_SCHEDULE_SETS = (("II",), ("II", "III"), ("II", "III", "IV", "V"), ("III", "IV", "V"))
DEA_SCHEDULE_SETS += (("IV",), ("I", "II"))
POTENT_OELS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
ORDINARY_OELS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
# Standard bioreactor and vessel sizes (litres); volumes are drawn among these.
VESSEL_SIZES_L = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 3000, 5000, 10000, 12000)
VESSEL_SIZES_L += (15000, 20000)

# --- Provider names --------------------------------------------------------------------------

_NAME_ONSETS = (
    "Al", "Bel", "Cal", "Dar", "El", "Fen", "Gal", "Hal", "Is", "Kel", "Lor", "Mar", "Nor",
    "Ost", "Pel", "Quor", "Rav", "Sel", "Tor", "Ul", "Vel", "Wen", "Zer", "Cel", "Dun", "Ev",
    "Lum", "Nev", "Or", "Tal", "Bry", "Fal", "Hes", "Jor", "Kyr", "Mer", "Sar", "Tess",
)  # fmt: skip
_NAME_MIDDLES = ("a", "e", "i", "o", "", "an", "en")
_NAME_CODAS = (
    "ris", "thea", "vion", "nyx", "dora", "lith", "mont", "vara", "tica", "neon", "sys", "ven",
    "lix", "dra", "nova", "quin", "pria", "tas", "drion", "vane", "mira", "lyte", "ctis", "rion",
)  # fmt: skip
_LANDMARKS = (
    "Alder", "Birch", "Cedar", "Heron", "Kestrel", "Granite", "Silver", "Amber", "Willow",
    "Falcon", "Juniper", "Larch", "Osprey", "Saffron", "Slate", "Linden", "Hazel", "Marram",
    "Tamarind", "Cobalt", "Rowan", "Sable", "Teal", "Wren",
)  # fmt: skip
_LANDFORMS = (
    "Ridge", "Bay", "Valley", "Fen", "Point", "Crest", "Harbour", "Brook", "Field", "Moor",
    "Vale", "Quay", "Hollow", "Reach", "Gate", "Ford",
)  # fmt: skip
_LATIN = (
    "Aequitas", "Fidelis", "Certus", "Verum", "Clarus", "Constans", "Firmitas", "Tenax",
    "Probitas", "Robur", "Solertia", "Prudentia", "Vigilans", "Diligens", "Sidus", "Fons",
    "Lucens", "Spatium", "Tutela", "Modus", "Vectis", "Stabilis", "Serenus", "Ingenium",
)  # fmt: skip
# First words of real contract manufacturers' names, which an invented name must not start with.
_REAL_NAME_STEMS = frozenset({
    "abzena", "aenova", "agc", "ajinomoto", "alcami", "almac", "aragen", "asymchem", "aurobindo",
    "avecia", "avid", "axplora", "bachem", "baxter", "biocon", "boehringer", "bora", "cambrex",
    "carbogen", "carmel", "catalent", "celltrion", "cenexi", "cerbios", "cipla", "corden",
    "cordenpharma", "curia", "cytovance", "delpharm", "dishman", "divi", "dottikon", "emergent",
    "enzene", "esteve", "euroapi", "evonik", "fareva", "famar", "fujifilm", "gland", "grace",
    "haupt", "hikma", "hovione", "idifarma", "indena", "intas", "jubilant", "kindeva", "labiana",
    "lonza", "lotte", "lupin", "medichem", "minakem", "moehs", "neuland", "nextpharma", "novasep",
    "olon", "patheon", "pharmathen", "piramal", "polypeptide", "porton", "recipharm", "rentschler",
    "resilience", "rovi", "samsung", "seqens", "siegfried", "sterling", "syngene", "thermo",
    "veranova", "vetter", "wacker", "wuxi", "zydus",
})  # fmt: skip

_GMP_SOURCES = {
    CertificationKind.EU_GMP: "EudraGMDP",
    CertificationKind.MHRA_GMP: "MHRA GMDP database",
    CertificationKind.FDA_REGISTRATION: "FDA establishment registration",
    CertificationKind.PMDA_ACCREDITATION: "PMDA foreign manufacturer accreditation list",
    CertificationKind.WHO_PQ: "WHO prequalification list",
    CertificationKind.HEALTH_CANADA_GMP: "Health Canada drug and health product inspections",
    CertificationKind.TGA_GMP: "TGA manufacturing licences",
    CertificationKind.ANVISA_GMP: "ANVISA CBPF register",
    CertificationKind.CEP: "EDQM certification database",
    CertificationKind.DEA_REGISTRATION: "DEA registration validation",
}
PROVIDER_SUPPLIED = "Provider-supplied certificate"
_INSPECTION_SOURCES = {
    Authority.FDA: "FDA Data Dashboard",
    Authority.EMA: "EudraGMDP",
    Authority.MHRA: "MHRA GMDP database",
    Authority.PMDA: "PMDA GMP inspection results",
}
CLASSIFICATIONS = (Classification.NAI, Classification.VAI, Classification.OAI)
FDA_PRIMARY_AREA = {"Drugs": "Drug Quality Assurance", "Biologics": "Biologics"}
PRE_APPROVAL = "Pre-License/Pre-Approval Inspection"
BIORESEARCH = "Bioresearch Monitoring"


# --- The generator ---------------------------------------------------------------------------


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
                stem = (
                    rng.choice(_NAME_ONSETS) + rng.choice(_NAME_MIDDLES) + rng.choice(_NAME_CODAS)
                )
            elif style < 0.7:
                stem = f"{rng.choice(_LANDMARKS)} {rng.choice(_LANDFORMS)}"
            elif style < 0.85 and places:
                stem = rng.choice(places)
            else:
                stem = rng.choice(_LATIN)
            name = f"{stem} {rng.choice(suffixes)}"
            if name not in self.names and _first_word(name) not in _REAL_NAME_STEMS:
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
        # Real FEIs are handed out upwards from 3000000000 and passed 3038000000 in 2025;
        # 39xxxxxxxx looks the same but will not meet a real establishment for decades.
        while True:
            fei = str(3_900_000_000 + self.rng.randrange(100_000_000))
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
                    source=_INSPECTION_SOURCES[Authority.FDA],
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
                source=_INSPECTION_SOURCES[authority],
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
                        lambda day=date: _eu_reference(rng, issuer, office, "NCR", day)
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
                reference = self._reference(
                    lambda kind=kind, day=issued_on: _regional_reference(rng, kind, day)
                )
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
                reference = self._reference(lambda year=granted: _cep_reference(rng, year))
                self._certify(site, CertificationKind.CEP, "", reference, issued_on, valid_until)
        standards = [(CertificationKind.ISO_9001, 0.55), (CertificationKind.ISO_14001, 0.35)]
        if "prefilled-syringe" in slugs:
            standards.append((CertificationKind.ISO_13485, 0.35))
        for kind, odds in standards:
            if rng.random() < odds:
                issued_on, valid_until = self._validity(years=3)
                number = kind.removeprefix("iso-")
                reference = self._reference(
                    lambda number=number: f"ISO {number}-{country}-{rng.randint(10000, 99999)}"
                )
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
                source=_GMP_SOURCES.get(kind, PROVIDER_SUPPLIED),
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


def _dea_number(rng: random.Random, registrant: str) -> str:
    """A DEA registration number: a business-type letter, the registrant's initial, seven digits
    whose last is the check digit."""
    digits = [rng.randint(0, 9) for _ in range(6)]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    initial = registrant[0].upper() if registrant[0].isalpha() else "X"
    return f"R{initial}{''.join(map(str, digits))}{check}"


# --- Writing it to the database --------------------------------------------------------------


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
                key = (inspection.authority, inspection.inspection_id, inspection.project_area)
                if key in known_inspections:
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
                key = (action.authority, site.fei_number, action.action_type, action.case_id)
                if site.fei_number and key in known_actions:
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
            fei = str(3_900_000_000 + rng.randrange(100_000_000))
            if fei not in known and fei not in planned:
                break
        planned.add(fei)
        site.fei_number = fei
    return len(clashes)
