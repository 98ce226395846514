"""The catalogue's fixed vocabularies (DESIGN.md). Capability terms are data, not choices."""

from django.db import models


class ProviderKind(models.TextChoices):
    CMO = "cmo", "CMO"
    CDMO = "cdmo", "CDMO"
    # A registrant imported from FDA's establishment registrations, until a curator says which.
    NOT_CLASSIFIED = "unclassified", "Not classified"


# The kinds the directory shows by default: contract manufacturers.
CONTRACT_KINDS = (ProviderKind.CMO, ProviderKind.CDMO)


class DataSource(models.TextChoices):
    """Where a provider or site entered the catalogue."""

    CURATED = "curated", "Curated"
    DEMO = "demo", "Demo data"
    FDA_REGISTRATION = "fda-registration", "FDA establishment registration"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified by a curator"


class TermKind(models.TextChoices):
    MODALITY = "modality", "Modality"
    DOSAGE_FORM = "dosage_form", "Dosage form"
    SERVICE = "service", "Service"
    TECHNOLOGY = "technology", "Technology"


class Provenance(models.TextChoices):
    SELF_REPORTED = "self-reported", "Self-reported"
    CURATOR_VERIFIED = "curator-verified", "Curator-verified"
    REGULATOR_RECORD = "regulator-record", "Regulator record"


# Development phases in order (slug, label); stored as rows of partners.Phase.
PHASES = [
    ("preclinical", "Preclinical"),
    ("phase1", "Phase 1"),
    ("phase2", "Phase 2"),
    ("phase3", "Phase 3"),
    ("commercial", "Commercial"),
]
PHASE_SLUGS = [slug for slug, _ in PHASES]

# DEA controlled-substance schedules (code, label); stored as rows of partners.DeaSchedule.
DEA_SCHEDULES = [
    ("I", "Schedule I"),
    ("II", "Schedule II"),
    ("III", "Schedule III"),
    ("IV", "Schedule IV"),
    ("V", "Schedule V"),
]
DEA_SCHEDULE_CODES = [code for code, _ in DEA_SCHEDULES]


class Authority(models.TextChoices):
    FDA = "FDA", "FDA (United States)"
    EMA = "EMA", "EMA and EU national authorities"
    MHRA = "MHRA", "MHRA (United Kingdom)"
    PMDA = "PMDA", "PMDA (Japan)"
    HC = "HC", "Health Canada"
    TGA = "TGA", "TGA (Australia)"
    ANVISA = "ANVISA", "ANVISA (Brazil)"
    WHO = "WHO", "WHO"
    NMPA = "NMPA", "NMPA (China)"


class CertificationKind(models.TextChoices):
    FDA_REGISTRATION = "fda-registration", "FDA establishment registration"
    EU_GMP = "eu-gmp", "EU GMP certificate"
    MHRA_GMP = "mhra-gmp", "MHRA GMP certificate"
    PMDA_ACCREDITATION = "pmda-accreditation", "PMDA foreign manufacturer accreditation"
    WHO_PQ = "who-pq", "WHO prequalification"
    HEALTH_CANADA_GMP = "health-canada-gmp", "Health Canada GMP"
    TGA_GMP = "tga-gmp", "TGA GMP"
    ANVISA_GMP = "anvisa-gmp", "ANVISA GMP"
    ISO_9001 = "iso-9001", "ISO 9001"
    ISO_13485 = "iso-13485", "ISO 13485"
    ISO_14001 = "iso-14001", "ISO 14001"
    DEA_REGISTRATION = "dea-registration", "DEA registration"
    CEP = "cep", "EDQM certificate of suitability (CEP)"


class CertificationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Classification(models.TextChoices):
    NAI = "NAI", "No Action Indicated (NAI)"
    VAI = "VAI", "Voluntary Action Indicated (VAI)"
    OAI = "OAI", "Official Action Indicated (OAI)"


class ActionType(models.TextChoices):
    WARNING_LETTER = "warning-letter", "Warning letter"
    INJUNCTION = "injunction", "Injunction"
    SEIZURE = "seizure", "Seizure"
    IMPORT_ALERT = "import-alert", "Import alert"
    EU_NON_COMPLIANCE = "eu-non-compliance", "EU statement of non-compliance"


class ComplianceState(models.TextChoices):
    """Whether a site's compliance score could be computed (partners/regulatory/compliance.py)."""

    SCORED = "scored", "Scored"
    UNKNOWN = "unknown", "Unknown: no inspection in five years"


class Region(models.TextChoices):
    NORTH_AMERICA = "north-america", "Northern America"
    LATIN_AMERICA = "latin-america", "Latin America and the Caribbean"
    EUROPE = "europe", "Europe"
    ASIA_PACIFIC = "asia-pacific", "Asia-Pacific"
    MIDDLE_EAST_AFRICA = "middle-east-africa", "Middle East & Africa"


# A brief's target market -> the authority whose standing there matters.
MARKET_AUTHORITY = {
    "US": Authority.FDA,
    "EU": Authority.EMA,
    "UK": Authority.MHRA,
    "JP": Authority.PMDA,
    "CA": Authority.HC,
    "AU": Authority.TGA,
    "BR": Authority.ANVISA,
    "CN": Authority.NMPA,
    "WHO": Authority.WHO,
}


# The actions after which a site's record is not clean (the directory's `clean_since` filter).
NOT_CLEAN_ACTIONS = (
    ActionType.WARNING_LETTER,
    ActionType.IMPORT_ALERT,
    ActionType.EU_NON_COMPLIANCE,
)
# The actions that put a site in adverse standing with a market's authority (the matching
# index's `markets` criterion): the above, and the court's injunctions and seizures.
ADVERSE_STANDING_ACTIONS = (
    *NOT_CLEAN_ACTIONS,
    ActionType.INJUNCTION,
    ActionType.SEIZURE,
)
