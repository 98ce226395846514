"""The catalogue file format: the keys of each object, and the natural keys of its records.

Both the import and the export follow these: the export writes every key, in this order; the
import finds the row a file entry describes by its natural key.
"""

import datetime

# The format: every key of each object, in the order the export writes them.
PROVIDER_KEYS = (
    "name",
    "slug",
    "kind",
    "country",
    "website",
    "description",
    "verification_status",
    "verified_on",
    "registrant_duns",
    "source",
    "sites",
)
SITE_KEYS = (
    "name",
    "country",
    "city",
    "fei_number",
    "duns_number",
    "registered_operations",
    "source",
    "ancillary_only",
    "phases",
    "oel_ug_m3",
    "dea_schedules",
    "capacity_available_from",
    "capabilities",
    "certifications",
    "inspections",
    "actions",
)
CAPABILITY_KEYS = ("slug", "max_batch_kg", "max_volume_l", "provenance")
CERTIFICATION_KEYS = (
    "kind",
    "authority",
    "reference",
    "issued_on",
    "valid_until",
    "status",
    "source",
    "retrieved_at",
)
INSPECTION_KEYS = (
    "authority",
    "inspection_id",
    "end_date",
    "classification",
    "project_area",
    "product_type",
    "legal_name",
    "source",
    "retrieved_at",
)
ACTION_KEYS = (
    "authority",
    "type",
    "date",
    "case_id",
    "product_type",
    "legal_name",
    "source",
    "retrieved_at",
)


# -- Natural keys: how a file entry finds its row ----------------------------------------------


def certification_key(kind: str, reference: str, issued_on: datetime.date | None) -> tuple:
    """A certificate is known by its reference; one without a reference by its issue date."""
    return (kind, "reference", reference) if reference else (kind, "issued_on", issued_on)


def inspection_key(authority: str, inspection_id: str, project_area: str) -> tuple:
    return (authority, inspection_id, project_area)


def action_key(
    authority: str, action_type: str, case_id: str, action_date: datetime.date | None
) -> tuple:
    """An action is known by its case id; one without a case id by its date."""
    return (
        (authority, action_type, "case", case_id)
        if case_id
        else (authority, action_type, "date", action_date)
    )
