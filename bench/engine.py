"""Benchmark of the matching engine on a synthetic catalogue index (no database needed).

    .venv/bin/python -m bench.engine [--sizes 20000 100000] [--runs 30]

Builds a CatalogueIndex of each size directly in NumPy (the index is warm: the cost measured is
scoring, not reading the catalogue), then prints the median time of `score_catalogue` for one
typical brief with both ranking methods, and of `explain` for a page of 20 results. Targets
(DESIGN.md): 20,000 sites under 100 ms, 100,000 under 500 ms. bench/run.py times the same on an
index built from seeded catalogues in PostgreSQL, beside the SQL that reads them.
"""

import argparse
import datetime

import numpy as np

from bench.timing import median_ms
from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE, CatalogueIndex
from matching.engine.criteria import BriefCriteria
from matching.engine.scoring import explain, score_catalogue
from matching.engine.stability import outcome_stability

TARGETS_MS = {20_000: 100, 100_000: 500}
MODALITIES = (
    "small-molecule-api", "hpapi", "peptide", "oligonucleotide", "mab", "recombinant-protein",
    "adc", "cell-therapy", "viral-vector", "mrna-lnp", "vaccine", "radiopharmaceutical",
    "plasmid-dna",
)  # fmt: skip
OTHER_TERMS = tuple(f"term-{n}" for n in range(28))
PHASES = ("preclinical", "phase1", "phase2", "phase3", "commercial")
DEA = ("I", "II", "III", "IV", "V")
KINDS = (
    "fda-registration", "eu-gmp", "mhra-gmp", "pmda-accreditation", "who-pq",
    "health-canada-gmp", "tga-gmp", "anvisa-gmp", "iso-9001", "iso-13485", "iso-14001",
    "dea-registration", "cep",
)  # fmt: skip
AUTHORITIES = ("FDA", "EMA", "MHRA", "PMDA", "HC", "TGA", "ANVISA", "WHO", "NMPA")
MARKETS = {"US": "FDA", "EU": "EMA", "UK": "MHRA", "JP": "PMDA", "CA": "HC"}
COUNTRIES = np.array(["US", "DE", "IE", "CH", "IN", "CN", "KR", "JP", "IT", "FR", "GB", "BR"])
REGIONS = {
    "US": "north-america", "BR": "latin-america", "IN": "asia-pacific", "CN": "asia-pacific",
    "KR": "asia-pacific", "JP": "asia-pacific",
}  # fmt: skip

BRIEF = BriefCriteria(
    modality="mab",
    dosage_forms=("term-3", "term-4"),
    services=("term-10",),
    phase="phase2",
    batch_size=2000,
    batch_unit="L",
    target_markets=("US", "EU"),
    required_certifications=("eu-gmp", "fda-registration"),
    preferred_regions=("europe",),
    excluded_countries=("CN",),
    development_needed=True,
    weights={"capability": 5, "scale": 4, "markets": 4, "certifications": 3, "compliance": 4},
    must_haves=frozenset({"certifications"}),
)


def synthetic_index(sites: int, seed: int = 1) -> CatalogueIndex:
    """A catalogue shaped like seed_demo's: about ten capabilities a site."""
    rng = np.random.default_rng(seed)
    terms = MODALITIES + OTHER_TERMS
    capabilities = rng.random((sites, len(terms))) < 10 / len(terms)
    modality_sites = capabilities[:, : len(MODALITIES)]
    scale = np.exp(rng.normal(5, 2, (sites, len(MODALITIES))))
    given = modality_sites & (rng.random((sites, len(MODALITIES))) < 0.8)
    countries = COUNTRIES[rng.integers(0, len(COUNTRIES), sites)]
    compliance = np.clip(rng.normal(75, 15, sites), 0, 100)
    compliance[rng.random(sites) < 0.3] = np.nan
    oel = np.where(rng.random(sites) < 0.4, 10.0 ** rng.uniform(-2, 2, sites), np.nan)
    return CatalogueIndex(
        version="benchmark",
        built_on=datetime.datetime.now(tz=datetime.UTC).date(),
        site_ids=np.arange(1, sites + 1, dtype=np.int64),
        provider_ids=np.arange(1, sites + 1, dtype=np.int64) // 4,
        provider_is_cdmo=rng.random(sites) < 0.6,
        countries=countries.astype("U2"),
        regions=np.array([REGIONS.get(c, "europe") for c in countries.tolist()], dtype="U24"),
        site_names=np.array([f"Site {n}" for n in range(sites)], dtype=object),
        provider_names=np.array([f"Provider {n // 4}" for n in range(sites)], dtype=object),
        term_slugs=terms,
        capabilities=capabilities,
        modality_slugs=MODALITIES,
        max_batch_kg=np.where(given, scale, np.nan),
        max_volume_l=np.where(given, scale * 10, np.nan),
        phase_slugs=PHASES,
        phase_mask=rng.integers(0, 1 << len(PHASES), sites).astype(np.uint32),
        oel_ug_m3=oel,
        dea_codes=DEA,
        dea_mask=np.where(rng.random(sites) < 0.1, rng.integers(1, 32, sites), 0).astype(np.uint32),
        certification_kinds=KINDS,
        certifications=rng.random((sites, len(KINDS))) < 0.3,
        authorities=AUTHORITIES,
        standing=rng.choice(
            np.array([STANDING_NONE, STANDING_GOOD, STANDING_ADVERSE], dtype=np.int8),
            size=(sites, len(AUTHORITIES)),
            p=[0.4, 0.5, 0.1],
        ),
        compliance=compliance,
        market_authorities=MARKETS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Matching engine benchmark.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    print(
        f"Matching engine on a synthetic warm index, the ranking's stability included (as every "
        f"run computes it); medians of {args.runs} runs"
    )
    header = f"{'sites':>9}{'eligible':>10}{'weighted ms':>13}{'topsis ms':>11}"
    print(f"{header}{'explain 20 ms':>15}  target")
    for size in args.sizes:
        index = synthetic_index(size)
        outcome = score_catalogue(BRIEF, index)

        def scored_and_stability(index: CatalogueIndex = index, method: str = "weighted") -> None:
            outcome_stability(score_catalogue(BRIEF, index, method=method))

        weighted_ms = median_ms(scored_and_stability, args.runs)
        topsis_ms = median_ms(lambda index=index: scored_and_stability(index, "topsis"), args.runs)
        page = outcome.ranking[:20]
        explain_ms = median_ms(
            lambda outcome=outcome, page=page: [explain(outcome, row) for row in page], args.runs
        )
        target = TARGETS_MS.get(size)
        verdict = ""
        if target is not None:
            met = max(weighted_ms, topsis_ms) < target
            verdict = f"< {target} ms: {'met' if met else 'MISSED'}"
        print(
            f"{size:>9,}{int(outcome.eligible.sum()):>10,}{weighted_ms:>13.1f}{topsis_ms:>11.1f}"
            f"{explain_ms:>15.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
