"""Whose regulator records are whose, before a catalogue line is written and after: a line never
moves a regulator record from one provider to another.

A record naming an FEI belongs to the site the linking rule gives (partners/regulatory/
fei_rule.py: the one site carrying the FEI; of several, the one whose name matches the record's
legal name; else none, and the curators' review queue lists it); a record without an FEI to the
site it is linked to. The owners are worked out from the sites as they stand, not from the
records' stored links, which a relink may not have caught up with yet.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from partners.models import Citation, Inspection, Published483, RegulatoryAction, Site
from partners.regulatory.fei_rule import FeiHolders

RECORD_MODELS: tuple[type[models.Model], ...] = (
    Inspection,
    RegulatoryAction,
    Published483,
    Citation,
)
# How many records a rejected line names; it counts the rest.
LISTED_RECORDS = 10


@dataclass(frozen=True)
class SiteOwner:
    """A site a record belongs to, and its provider."""

    site_id: int
    site_name: str
    provider_id: int
    provider_slug: str

    def __str__(self) -> str:
        return f"site {self.site_name!r} of provider {self.provider_slug!r}"


class FeiOwners:
    """The sites carrying some FEIs at one moment, as the linking rule sees them."""

    def __init__(self, feis: Iterable[str]) -> None:
        self.feis = frozenset(feis) - {""}
        rows = list(
            Site.objects.filter(fei_number__in=self.feis)
            .order_by("pk")
            .values_list(
                "fei_number", "pk", "name", "provider__name", "provider_id", "provider__slug"
            )
        )
        self.rule = FeiHolders(row[:4] for row in rows)
        self.sites = {row[1]: SiteOwner(row[1], row[2], row[4], row[5]) for row in rows}
        # What the rule reads of each FEI's holders: a change to it may move records.
        self.holders: dict[str, list[tuple]] = {}
        for row in rows:
            self.holders.setdefault(row[0], []).append(row[1:4])

    def site_for(self, fei: str, legal_name: str, linked_site_id: int | None) -> int | None:
        """The site a record belongs to: by the rule when it names an FEI, else its link."""
        if fei:
            return self.rule.site_for(fei, legal_name)
        return linked_site_id

    def changed_feis(self, later: "FeiOwners") -> set[str]:
        """The FEIs whose holders (or their names) differ between this moment and `later`."""
        return {fei for fei in self.feis if self.holders.get(fei) != later.holders.get(fei)}


def site_owners(site_ids: Iterable[int | None], *known: FeiOwners) -> dict[int, SiteOwner]:
    """The sites by id, with their providers: from the holders already read, else one query."""
    owners: dict[int, SiteOwner] = {}
    for holders in known:
        owners.update(holders.sites)
    missing = {site_id for site_id in site_ids if site_id is not None} - set(owners)
    if missing:
        rows = Site.objects.filter(pk__in=missing).values_list(
            "pk", "name", "provider_id", "provider__slug"
        )
        owners.update({row[0]: SiteOwner(*row) for row in rows})
    return owners


def describe_record(record: models.Model) -> str:
    """A regulator record as a curator finds it: its kind, authority and key, and its FEI."""
    fei = getattr(record, "fei_number", "")
    of_fei = f" (FEI {fei})" if fei else ""
    if isinstance(record, Inspection):
        area = f", {record.project_area}" if record.project_area else ""
        return f"{record.authority} inspection {record.inspection_id}{area}{of_fei}"
    if isinstance(record, RegulatoryAction):
        key = f"case {record.case_id}" if record.case_id else f"of {record.action_date}"
        return f"{record.authority} {record.get_action_type_display().lower()} {key}{of_fei}"
    if isinstance(record, Published483):
        ids = ", ".join(record.record_id_list) or "none"
        return f"{record.authority} published 483 (Record ID {ids}){of_fei}"
    if isinstance(record, Citation):
        return f"{record.authority} citation {record.inspection_id} {record.cfr_number}{of_fei}"
    return f"{record._meta.verbose_name} {record.pk}{of_fei}"


def moved_by_holders(
    before: FeiOwners, after: FeiOwners, skip: dict[type[models.Model], set[int]]
) -> tuple[list[str], int]:
    """What the line's sites do to the records of the FEIs whose holders they changed, outside
    the records the line names (`skip`, ids by model): the problems for those it would move to
    another provider, and how many the rule now links to no site (shared FEI, no name match).
    """
    changed = before.changed_feis(after)
    if not changed:
        return [], 0
    moves: list[tuple[models.Model, int, int]] = []
    unlinked = 0
    for model in RECORD_MODELS:
        records = model._default_manager.filter(fei_number__in=changed).exclude(
            pk__in=skip.get(model, set())
        )
        if model is Published483:
            records = records.prefetch_related("record_ids")
        for record in records.order_by("pk"):
            fei, legal_name = record.fei_number, record.legal_name  # type: ignore[attr-defined]
            was = before.rule.site_for(fei, legal_name)
            becomes = after.rule.site_for(fei, legal_name)
            if was is None or was == becomes:
                continue
            if becomes is None:
                unlinked += 1
            elif before.sites[was].provider_id != after.sites[becomes].provider_id:
                moves.append((record, was, becomes))
    problems = [
        f"{describe_record(record)} would move from {before.sites[was]} to "
        f"{after.sites[becomes]} under the FEI linking rule; a catalogue line does not move "
        "regulator records between providers"
        for record, was, becomes in moves[:LISTED_RECORDS]
    ]
    if len(moves) > LISTED_RECORDS:
        problems.append(f"... and {len(moves) - LISTED_RECORDS} more such records")
    return problems, unlinked
