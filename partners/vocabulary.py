"""The capability vocabulary shipped with the product (DESIGN.md), loaded by a data migration.

Curators may add terms or edit names in the admin; import files and API clients use the slugs.
"""

from partners.choices import DEA_SCHEDULES, PHASES

CAPABILITY_TERMS: dict[str, list[tuple[str, str]]] = {
    "modality": [
        ("small-molecule-api", "Small-molecule API"),
        ("hpapi", "Highly potent API (HPAPI)"),
        ("peptide", "Peptide"),
        ("oligonucleotide", "Oligonucleotide"),
        ("mab", "Monoclonal antibody"),
        ("recombinant-protein", "Recombinant protein"),
        ("adc", "Antibody-drug conjugate"),
        ("cell-therapy", "Cell therapy"),
        ("viral-vector", "Viral vector"),
        ("mrna-lnp", "mRNA / lipid nanoparticle"),
        ("vaccine", "Vaccine"),
        ("radiopharmaceutical", "Radiopharmaceutical"),
        ("plasmid-dna", "Plasmid DNA"),
    ],
    "dosage_form": [
        ("oral-solid", "Oral solid dose"),
        ("oral-liquid", "Oral liquid"),
        ("sterile-injectable", "Sterile injectable"),
        ("lyophilized", "Lyophilized"),
        ("prefilled-syringe", "Prefilled syringe"),
        ("blow-fill-seal", "Blow-fill-seal"),
        ("inhalation", "Inhalation"),
        ("nasal", "Nasal"),
        ("ophthalmic", "Ophthalmic"),
        ("topical", "Topical"),
        ("transdermal", "Transdermal"),
        ("suppository", "Suppository"),
    ],
    "service": [
        ("process-development", "Process development"),
        ("analytical-development", "Analytical development"),
        ("formulation-development", "Formulation development"),
        ("stability-testing", "Stability testing"),
        ("qc-release-testing", "QC release testing"),
        ("clinical-supply", "Clinical supply"),
        ("packaging-labeling", "Packaging and labeling"),
        ("serialization", "Serialization"),
        ("tech-transfer", "Technology transfer"),
        ("regulatory-cmc", "Regulatory CMC"),
        ("cold-chain-distribution", "Cold-chain distribution"),
    ],
    "technology": [
        ("spray-drying", "Spray drying"),
        ("hot-melt-extrusion", "Hot-melt extrusion"),
        ("continuous-manufacturing", "Continuous manufacturing"),
        ("flow-chemistry", "Flow chemistry"),
        ("micronization", "Micronization"),
    ],
}

# Modalities measured by reactor or bioreactor volume (litres) rather than batch mass (kg).
VOLUME_MODALITIES = frozenset(
    {
        "mab",
        "recombinant-protein",
        "cell-therapy",
        "viral-vector",
        "mrna-lnp",
        "vaccine",
        "plasmid-dna",
    }
)


def install_vocabulary(term_model, phase_model, dea_schedule_model) -> None:
    """Create the shipped terms, phases and DEA schedules that are missing.

    Takes the models as arguments so that the data migration can pass its historical ones.
    """
    for kind, terms in CAPABILITY_TERMS.items():
        for slug, name in terms:
            term_model.objects.get_or_create(slug=slug, defaults={"kind": kind, "name": name})
    for rank, (slug, name) in enumerate(PHASES):
        phase_model.objects.get_or_create(slug=slug, defaults={"name": name, "rank": rank})
    for rank, (code, name) in enumerate(DEA_SCHEDULES):
        dea_schedule_model.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})


# What buyers type for each shipped term besides its name: abbreviations, older names, plurals
# that a prefix does not catch, and the everyday words of the trade. The directory's search
# (partners/directory/search.py) finds a term by its name or any of these; a phrase of several
# words is matched whole before its words are matched one by one.
TERM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "small-molecule-api": (
        "API",
        "APIs",
        "active pharmaceutical ingredient",
        "drug substance",
        "small molecule",
        "chemical synthesis",
    ),
    "hpapi": ("HPAPI", "highly potent", "high potency", "potent compound", "cytotoxic"),
    "peptide": ("peptides", "SPPS"),
    "oligonucleotide": ("oligo", "oligos", "antisense", "ASO", "siRNA"),
    "mab": ("mAb", "mAbs", "monoclonal", "monoclonal antibody", "antibody", "antibodies"),
    "recombinant-protein": ("protein", "proteins", "therapeutic protein", "enzyme", "enzymes"),
    "adc": (
        "ADC",
        "ADCs",
        "antibody-drug conjugate",
        "antibody drug conjugate",
        "bioconjugate",
        "bioconjugation",
        "conjugation",
    ),
    "cell-therapy": ("cell therapy", "CAR-T", "CART", "cell and gene therapy", "CGT", "ATMP"),
    "viral-vector": (
        "AAV",
        "adeno-associated virus",
        "lentivirus",
        "lentiviral",
        "LVV",
        "adenovirus",
        "gene therapy",
    ),
    "mrna-lnp": (
        "mRNA",
        "LNP",
        "LNPs",
        "lipid nanoparticle",
        "lipid nanoparticles",
        "messenger RNA",
    ),
    "vaccine": ("vaccines",),
    "radiopharmaceutical": ("radioligand", "radiopharma", "radioisotope", "isotope"),
    "plasmid-dna": ("pDNA", "plasmid", "plasmids"),
    "oral-solid": (
        "OSD",
        "oral solid dose",
        "oral solids",
        "solid dose",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
    ),
    "oral-liquid": ("syrup", "oral solution", "oral suspension"),
    "sterile-injectable": (
        "injectable",
        "injectables",
        "parenteral",
        "parenterals",
        "fill-finish",
        "fill and finish",
        "aseptic",
        "vial",
        "vials",
        "drug product",
    ),
    "lyophilized": ("lyophilization", "lyophilisation", "lyophilised", "freeze-drying", "lyo"),
    "prefilled-syringe": ("PFS", "pre-filled syringe", "syringe", "syringes"),
    "blow-fill-seal": ("BFS",),
    "inhalation": ("inhaler", "inhalers", "MDI", "DPI", "pulmonary"),
    "nasal": ("nasal spray",),
    "ophthalmic": ("eye drops", "ocular"),
    "topical": ("cream", "creams", "ointment", "ointments", "gel", "gels"),
    "transdermal": ("patch", "patches"),
    "suppository": ("suppositories",),
    "process-development": ("process development",),
    "analytical-development": ("analytical", "method development", "method validation"),
    "formulation-development": ("formulation",),
    "stability-testing": ("stability", "ICH stability"),
    "qc-release-testing": ("QC", "quality control", "release testing", "batch release"),
    "clinical-supply": ("clinical trial supply", "clinical trial material", "CTM"),
    "packaging-labeling": ("packaging", "labelling", "secondary packaging"),
    "serialization": ("serialisation", "track and trace"),
    "tech-transfer": ("technology transfer",),
    "regulatory-cmc": ("CMC", "regulatory"),
    "cold-chain-distribution": ("cold chain", "GDP"),
    "spray-drying": ("spray dried", "spray-dried", "SDD"),
    "hot-melt-extrusion": ("HME",),
    "continuous-manufacturing": ("continuous",),
    "micronization": ("micronisation", "jet milling", "milling"),
}
