"""Link regulator records (inspections, actions, published 483s, citations) to the sites that
carry their FEI.

The rule (partners/regulatory/fei_rule.py), applied alike by the relink below, by a record's own
save and by the FDA importer, all through `FeiHolders.site_for`:

- a record whose FEI no site carries is linked to no site (and listed as an unmatched FEI);
- a record whose FEI exactly one site carries is linked to that site;
- a record whose FEI several sites share (FDA has given one FEI to two establishments) is linked
  to the one whose firm name matches the record's legal name, compared by `firm_name_key`: first
  the site's own name, which for an establishment is the firm name FDA registered it under, then
  the name of the site's provider (a curator's site is often named after its city). A name that
  matches no holder, or several, links the record to none: it is ambiguous, and the curators'
  review queue "ambiguous FEIs" lists the sites sharing it (partners/review_queues.py).

`fei_change_preview` tells, under the same rule, what changing a site's FEI would move.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.dispatch import Signal

from partners.catalogue_version import bump_catalogue_version
from partners.choices import Classification
from partners.fei import normalize_fei
from partners.models import Citation, Inspection, Published483, RegulatoryAction, Site
from partners.regulatory.fei_rule import FeiHolders, firm_name_key

__all__ = [
    "FeiChangePreview",
    "FeiHolders",
    "Relinked",
    "fei_change_preview",
    "fei_holders",
    "firm_name_key",
    "link_regulatory_records",
    "regulator_records_imported",
    "relink_regulatory_records",
]

# The regulator records that name an FEI; each has `fei_number`, `legal_name` and `site`.
RecordModel = type[Inspection] | type[RegulatoryAction] | type[Published483] | type[Citation]
RECORD_MODELS: tuple[RecordModel, ...] = (
    Inspection,
    RegulatoryAction,
    Published483,
    Citation,
)
# Beyond this many sites, relinking everything is cheaper than naming them in the query (and
# stays within SQLite's limit on query parameters).
SCOPED_RELINK_LIMIT = 500


def fei_holders(feis: Iterable[str]) -> FeiHolders:
    """The holders of these FEIs (normalised already): one query."""
    feis = set(feis) - {""}
    return FeiHolders.of_sites(Site.objects.filter(fei_number__in=feis)) if feis else FeiHolders([])


def shared_feis() -> models.QuerySet:
    """The FEIs several sites carry, as a subquery of FEIs."""
    return (
        Site.objects.exclude(fei_number="")
        .values("fei_number")
        .annotate(holders=Count("pk"))
        .filter(holders__gt=1)
        .values("fei_number")
        .order_by()
    )


@dataclass
class Relinked:
    """What a relink did: how many records it moved, and the sites that gained or lost some
    (whose compliance scores are then out of date)."""

    records: int = 0
    site_ids: set[int] = field(default_factory=set)


def relink_regulatory_records(
    site_ids: Iterable[int] | None = None, feis: Iterable[str] = ()
) -> Relinked:
    """Point every record that names an FEI at the site the linking rule gives, or at none.

    With `site_ids` (or `feis`), only the records these sites hold or should hold are considered,
    and the records of these FEIs: a site that just got, changed or lost its FEI passes its old
    FEI too, whose other holders may now take records it shared with them. Only records whose
    link is wrong are written, so the nightly relink rewrites almost nothing.
    Records without an FEI (entered for a site that has none) are left with their site.
    """
    scope = Q()
    if site_ids is not None:
        site_ids = list(site_ids)
        if len(site_ids) > SCOPED_RELINK_LIMIT:
            site_ids = None
    feis = {fei for fei in (normalize_fei(fei) for fei in feis) if fei}
    if site_ids is not None or feis:
        site_ids = site_ids or []
        feis |= set(
            Site.objects.filter(pk__in=site_ids)
            .exclude(fei_number="")
            .values_list("fei_number", flat=True)
        )
        scope = Q(site_id__in=site_ids) | Q(fei_number__in=feis)
        if not site_ids and not feis:
            return Relinked()
    shared = set(shared_feis().values_list("fei_number", flat=True))
    # Records to link to their FEI's sole holder (or to none), and records to link to a site.
    to_sole_holder: list[models.QuerySet] = []
    to_site: list[tuple[models.QuerySet, int | None]] = []
    found = Relinked()

    # An FEI one site carries (or none): decided in SQL, the bulk of the records.
    holders = Site.objects.exclude(fei_number="").filter(fei_number=OuterRef("fei_number"))
    misplaced = (Q(site__isnull=True) & Exists(holders)) | (
        Q(site__isnull=False) & ~Exists(holders.filter(pk=OuterRef("site_id")))
    )
    for model in RECORD_MODELS:
        stale = (
            model.objects.filter(scope)
            .exclude(fei_number="")
            .exclude(fei_number__in=shared)
            .filter(misplaced)
        )
        moved = list(
            stale.annotate(target=Subquery(holders.values("pk")[:1]))
            .values_list("site_id", "target")
            .distinct()
            .order_by()
        )
        if moved:
            found.site_ids.update(site for pair in moved for site in pair if site is not None)
            to_sole_holder.append(stale)

    # An FEI several sites share: decided here by the records' legal names; few records.
    if shared:
        holders_of_shared = FeiHolders.of_sites(Site.objects.filter(fei_number__in=shared))
        for model in RECORD_MODELS:
            targets: dict[int | None, list[int]] = defaultdict(list)
            records = (
                model.objects.filter(scope)
                .filter(fei_number__in=shared)
                .values_list("pk", "fei_number", "legal_name", "site_id")
                .order_by()
            )
            for pk, fei, legal_name, site_id in records.iterator(chunk_size=2000):
                target = holders_of_shared.site_for(fei, legal_name)
                if target != site_id:
                    targets[target].append(pk)
                    found.site_ids.update(site for site in (site_id, target) if site is not None)
            to_site.extend(
                (model.objects.filter(pk__in=pks), target) for target, pks in targets.items()
            )
    if not to_sole_holder and not to_site:
        return found
    # The version row first, as every bulk writer takes it: one lock order, no deadlock.
    bump_catalogue_version()
    for records in to_sole_holder:
        found.records += records.update(site_id=Subquery(holders.values("pk")[:1]))
    for records, target in to_site:
        found.records += records.update(site_id=target)
    return found


def link_regulatory_records(site_ids: Iterable[int] | None = None, feis: Iterable[str] = ()) -> int:
    """`relink_regulatory_records`, returning how many records were relinked."""
    return relink_regulatory_records(site_ids, feis).records


@dataclass
class FeiChangePreview:
    """What changing a site's FEI would do to its regulator records, under the linking rule."""

    # Records the site holds now and would lose; of them, OAI inspections.
    detached: int = 0
    detached_oai: int = 0
    # Records the site would take (unlinked ones, or another site's); of them, OAI inspections.
    attached: int = 0
    attached_oai: int = 0
    # By kind, in the records' verbose names: {"inspection": 9, "regulatory action": 1}.
    detached_by_kind: dict[str, int] = field(default_factory=dict)
    attached_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def changes_anything(self) -> bool:
        return bool(self.detached or self.attached)


def fei_change_preview(site: Site, new_fei: str) -> FeiChangePreview:
    """How many records giving `site` the FEI `new_fei` would detach from it and attach to it.

    `site` is the site as stored (its FEI the current one; an unsaved site has no records to
    lose). A few queries: the holders of both FEIs, and the records of both FEIs and the site's.
    """
    new_fei = normalize_fei(new_fei)
    preview = FeiChangePreview()
    old_fei = ""
    if site.pk is not None:
        stored = Site.objects.filter(pk=site.pk).values_list("fei_number", flat=True).first()
        old_fei = stored or ""
    if new_fei == old_fei:
        return preview
    # An unsaved site stands in the rule under an id no stored site has.
    me = site.pk if site.pk is not None else -1
    feis = {old_fei, new_fei} - {""}
    rows = [
        row for row in FeiHolders.rows_of(Site.objects.filter(fei_number__in=feis)) if row[1] != me
    ]
    if new_fei:
        provider_name = site.provider.name if site.provider_id else ""
        rows.append((new_fei, me, site.name, provider_name))
    after = FeiHolders(rows)
    detached: Counter[str] = Counter()
    attached: Counter[str] = Counter()
    for model in RECORD_MODELS:
        classification = "classification" if model is Inspection else Value("")
        records = (
            model.objects.filter(Q(fei_number__in=feis) | Q(site_id=me))
            .exclude(fei_number="")
            .values_list("fei_number", "legal_name", "site_id", classification)
            .order_by()
        )
        kind = str(model._meta.verbose_name)
        for fei, legal_name, site_id, record_class in records:
            target = after.site_for(fei, legal_name)
            oai = record_class == Classification.OAI
            if site_id == me and target != me:
                detached[kind] += 1
                preview.detached += 1
                preview.detached_oai += oai
            elif target == me and site_id != me:
                attached[kind] += 1
                preview.attached += 1
                preview.attached_oai += oai
    preview.detached_by_kind = dict(detached)
    preview.attached_by_kind = dict(attached)
    return preview


# Sent inside an import's transaction once it has written regulator records: partners/signals.py
# relinks every record when that transaction commits, for a site given one of their FEIs while
# the import ran (the import's lookups could not see it; the site's relink could not see them).
regulator_records_imported = Signal()


def ambiguous_fei_condition() -> Q:
    """Sites sharing an FEI of which some record is linked to none of them: FDA names a firm
    none of the sites is named after (a condition on sites)."""
    unlinked = Q()
    for model in RECORD_MODELS:
        unlinked |= Q(
            Exists(model.objects.filter(site__isnull=True, fei_number=OuterRef("fei_number")))
        )
    return Q(fei_number__in=shared_feis()) & unlinked


def ambiguous_records() -> dict[str, int]:
    """FEI -> how many of its records are linked to none of the sites sharing it, by FEI."""
    counts: Counter[str] = Counter()
    for model in RECORD_MODELS:
        rows = (
            model.objects.filter(site__isnull=True, fei_number__in=shared_feis())
            .values("fei_number")
            .annotate(records=Count("pk"))
            .values_list("fei_number", "records")
            .order_by()
        )
        counts.update(dict(rows))
    return dict(sorted(counts.items()))
