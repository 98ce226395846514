"""The catalogue model (DESIGN.md): providers, sites, capabilities and the regulator's record.

catalogue.py   the vocabulary, providers, sites, capabilities and certificates; Historied, the
               base of every model whose changes are kept
regulator.py   inspections, regulatory actions, published 483s (and their Record IDs) and
               citations
jobs.py        the catalogue version and uploaded regulator files
"""

from partners.models.catalogue import (
    Certification,
    DeaSchedule,
    Historied,
    Phase,
    Provider,
    Site,
    SiteCapability,
    Term,
)
from partners.models.jobs import CatalogueVersion, RegulatorImport
from partners.models.regulator import (
    Citation,
    Inspection,
    Published483,
    Published483RecordId,
    RegulatorRecord,
    RegulatoryAction,
)

__all__ = [
    "CatalogueVersion",
    "Certification",
    "Citation",
    "DeaSchedule",
    "Historied",
    "Inspection",
    "Phase",
    "Provider",
    "Published483",
    "Published483RecordId",
    "RegulatorImport",
    "RegulatorRecord",
    "RegulatoryAction",
    "Site",
    "SiteCapability",
    "Term",
]
