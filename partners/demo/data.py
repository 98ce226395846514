"""The tables the demo catalogue is drawn from (see `partners.demo.generator`).

Where contract manufacturers are (countries, cities, and which regulators a country's sites
answer to), what a kind of plant makes (archetypes and their capability offers, how common each
speciality is where), the word lists invented provider names are built from, and which public
source each kind of certificate and inspection is cited from.

The countries, cities, inspection rhythm and certificate formats imitate the real contract
manufacturing landscape; the company names are invented.
"""

from dataclasses import dataclass

from partners.choices import Authority, CertificationKind, Classification

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

DEA_SCHEDULE_SETS: tuple[tuple[str, ...], ...]
DEA_SCHEDULE_SETS = (("II",), ("II", "III"), ("II", "III", "IV", "V"), ("III", "IV", "V"))
DEA_SCHEDULE_SETS += (("IV",), ("I", "II"))
POTENT_OELS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
ORDINARY_OELS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
# Standard bioreactor and vessel sizes (litres); volumes are drawn among these.
VESSEL_SIZES_L: tuple[int, ...]
VESSEL_SIZES_L = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 3000, 5000, 10000, 12000)
VESSEL_SIZES_L += (15000, 20000)

# --- Provider names --------------------------------------------------------------------------

NAME_ONSETS = (
    "Al", "Bel", "Cal", "Dar", "El", "Fen", "Gal", "Hal", "Is", "Kel", "Lor", "Mar", "Nor",
    "Ost", "Pel", "Quor", "Rav", "Sel", "Tor", "Ul", "Vel", "Wen", "Zer", "Cel", "Dun", "Ev",
    "Lum", "Nev", "Or", "Tal", "Bry", "Fal", "Hes", "Jor", "Kyr", "Mer", "Sar", "Tess",
)  # fmt: skip
NAME_MIDDLES = ("a", "e", "i", "o", "", "an", "en")
NAME_CODAS = (
    "ris", "thea", "vion", "nyx", "dora", "lith", "mont", "vara", "tica", "neon", "sys", "ven",
    "lix", "dra", "nova", "quin", "pria", "tas", "drion", "vane", "mira", "lyte", "ctis", "rion",
)  # fmt: skip
LANDMARKS = (
    "Alder", "Birch", "Cedar", "Heron", "Kestrel", "Granite", "Silver", "Amber", "Willow",
    "Falcon", "Juniper", "Larch", "Osprey", "Saffron", "Slate", "Linden", "Hazel", "Marram",
    "Tamarind", "Cobalt", "Rowan", "Sable", "Teal", "Wren",
)  # fmt: skip
LANDFORMS = (
    "Ridge", "Bay", "Valley", "Fen", "Point", "Crest", "Harbour", "Brook", "Field", "Moor",
    "Vale", "Quay", "Hollow", "Reach", "Gate", "Ford",
)  # fmt: skip
LATIN = (
    "Aequitas", "Fidelis", "Certus", "Verum", "Clarus", "Constans", "Firmitas", "Tenax",
    "Probitas", "Robur", "Solertia", "Prudentia", "Vigilans", "Diligens", "Sidus", "Fons",
    "Lucens", "Spatium", "Tutela", "Modus", "Vectis", "Stabilis", "Serenus", "Ingenium",
)  # fmt: skip
# First words of real contract manufacturers' names, which an invented name must not start with.
REAL_NAME_STEMS = frozenset({
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

# --- Where records come from ----------------------------------------------------------------

GMP_SOURCES: dict[str, str] = {
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
INSPECTION_SOURCES: dict[str, str] = {
    Authority.FDA: "FDA Data Dashboard",
    Authority.EMA: "EudraGMDP",
    Authority.MHRA: "MHRA GMDP database",
    Authority.PMDA: "PMDA GMP inspection results",
}
CLASSIFICATIONS = (Classification.NAI, Classification.VAI, Classification.OAI)
FDA_PRIMARY_AREA = {"Drugs": "Drug Quality Assurance", "Biologics": "Biologics"}
PRE_APPROVAL = "Pre-License/Pre-Approval Inspection"
BIORESEARCH = "Bioresearch Monitoring"
