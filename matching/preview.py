"""The live preview of a brief being written: its ten best sites, scored from the catalogue index.

The brief form posts here on every change (matching/views.py, `brief_preview`); the whole
catalogue is scored from the cached index (matching/index.py), and sentences are written only
for the sites shown. The one query is for the shown sites' provider slugs, which the index
does not keep.
"""

from dataclasses import dataclass

from django_countries import countries

from matching.engine.catalogue import CatalogueIndex
from matching.engine.criteria import BriefCriteria
from matching.engine.scoring import CriterionExplanation, Relaxation, explain_rows, score_catalogue
from partners.models import Provider

PREVIEW_SIZE = 10


def _label(criterion: str) -> str:
    """The criterion as the form names it (matching.choices.Criterion)."""
    return criterion.replace("_", " ").capitalize()


@dataclass(frozen=True)
class PreviewLine:
    """One criterion's line for one site: its label and the engine's explanation."""

    label: str
    explanation: CriterionExplanation

    @property
    def counts(self) -> bool:
        """Whether the criterion bears on this brief: it carries weight or must hold."""
        return self.explanation.weight > 0 or self.explanation.must_have


@dataclass(frozen=True)
class PreviewSite:
    """One of the best sites for the brief, with why it scores what it does."""

    rank: int
    site_id: int
    site_name: str
    provider_name: str
    provider_slug: str
    country: str  # ISO 3166 alpha-2
    country_name: str
    score: float  # 0-100
    lines: tuple[PreviewLine, ...]


@dataclass(frozen=True)
class Preview:
    """The best sites for a brief, how many the catalogue holds for it, and what to relax."""

    sites: tuple[PreviewSite, ...]
    eligible: int
    excluded: int
    relaxation: Relaxation | None

    @property
    def relaxation_sentence(self) -> str:
        """e.g. "Dropping the EU GMP certificate must-have would admit 37 more sites"; "" if
        there is nothing to relax."""
        if self.relaxation is None:
            return ""
        label = self.relaxation.requirement or _label(self.relaxation.criterion)
        sites = "site" if self.relaxation.admitted == 1 else "sites"
        return (
            f"Dropping the {label} must-have would admit {self.relaxation.admitted:,} more {sites}"
        )


def preview(criteria: BriefCriteria, index: CatalogueIndex, limit: int = PREVIEW_SIZE) -> Preview:
    """Score the whole index against `criteria` and describe its `limit` best eligible sites."""
    outcome = score_catalogue(criteria, index)
    rows = [int(row) for row in outcome.ranking[:limit]]
    provider_ids = {int(index.provider_ids[row]) for row in rows}
    slugs = dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "slug"))
    sites = []
    explanations = explain_rows(outcome, rows)
    for rank, (row, lines) in enumerate(zip(rows, explanations, strict=True), start=1):
        country = str(index.countries[row])
        sites.append(
            PreviewSite(
                rank=rank,
                site_id=int(index.site_ids[row]),
                site_name=str(index.site_names[row]),
                provider_name=str(index.provider_names[row]),
                provider_slug=slugs.get(int(index.provider_ids[row]), ""),
                country=country,
                country_name=countries.name(country) or country,
                score=float(outcome.scores[row]),
                lines=tuple(PreviewLine(_label(line.criterion), line) for line in lines),
            )
        )
    eligible = int(outcome.eligible.sum())
    return Preview(
        sites=tuple(sites),
        eligible=eligible,
        excluded=index.site_count - eligible,
        relaxation=outcome.relaxation,
    )
