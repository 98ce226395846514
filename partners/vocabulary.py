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
