"""Link regulator records (inspections, actions, published 483s, citations) to the sites that
carry their FEI.

The rule, applied alike by the relink below, by a record's own save and by the FDA importer
(all through `FeiHolders.site_for`):

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

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value

from partners.catalogue_version import bump_catalogue_version
from partners.choices import Classification
from partners.fei import normalize_fei
from partners.models import Citation, Inspection, Published483, RegulatoryAction, Site

RECORD_MODELS: tuple[type[models.Model], ...] = (
    Inspection,
    RegulatoryAction,
    Published483,
    Citation,
)
# Beyond this many sites, relinking everything is cheaper than naming them in the query (and
# stays within SQLite's limit on query parameters).
SCOPED_RELINK_LIMIT = 500

# Words of a firm's legal form, dropped from the end of its name: "Acme Pharma, Inc." and
# "ACME PHARMA" are the same firm to a curator, and FDA's files write names both ways.
LEGAL_FORMS = frozenset(
    """
    inc incorporated corp corporation co company cos llc lc llp lp ltd limited plc pvt private
    pty gmbh mbh ag kg kgaa ohg se sa sas sarl srl spa sl slu sro as aps ab oy oyj bv nv kk ulc
    """.split()  # noqa: SIM905 (a list of words reads better as words)
)
_NON_WORD = re.compile(r"[\W_]+")


def firm_name_key(name: str) -> str:
    """A firm name as compared by the linking rule: case, accents, punctuation, a leading "the"
    and trailing legal forms ("Inc", "Co., Ltd.", "GmbH & Co. KG") dropped.

    "Acme Pharma, Inc." and "ACME PHARMA INC" both give "acme pharma"; names in other scripts
    keep their letters. A name made only of legal forms keeps them, so that it still compares.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    # "S.A." and "L.L.C." are one word each; other punctuation separates words.
    words = _NON_WORD.sub(" ", text.replace(".", "").replace("&", " ")).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    end = len(words)
    while end > 1 and words[end - 1] in LEGAL_FORMS:
        end -= 1
    return " ".join(words[:end])


@dataclass(frozen=True)
class FeiHolder:
    """A site carrying an FEI, with the names the rule compares a record's legal name to."""

    site_id: int
    site_name: str
    provider_name: str


class FeiHolders:
    """The sites carrying some FEIs, and the site each record of those FEIs belongs to."""

    def __init__(self, rows: Iterable[tuple[str, int, str, str]]) -> None:
        """`rows`: (FEI, site id, site name, provider name) for every site carrying the FEIs."""
        self.by_fei: dict[str, list[FeiHolder]] = defaultdict(list)
        for fei, site_id, site_name, provider_name in rows:
            if fei:
                self.by_fei[fei].append(
                    FeiHolder(site_id, firm_name_key(site_name), firm_name_key(provider_name))
                )

    @classmethod
    def of(cls, feis: Iterable[str]) -> "FeiHolders":
        """The holders of these FEIs (normalised already): one query."""
        feis = set(feis) - {""}
        if not feis:
            return cls([])
        return cls(_holder_rows(Site.objects.filter(fei_number__in=feis)))

    def is_shared(self, fei: str) -> bool:
        return len(self.by_fei.get(fei, ())) > 1

    def site_for(self, fei: str, legal_name: str) -> int | None:
        """The site a record naming `fei` under `legal_name` belongs to, or None."""
        holders = self.by_fei.get(fei, ())
        if len(holders) == 1:
            return holders[0].site_id
        key = firm_name_key(legal_name)
        if not holders or not key:
            return None
        for name in ("site_name", "provider_name"):
            matching = [holder for holder in holders if getattr(holder, name) == key]
            if len(matching) == 1:
                return matching[0].site_id
            if matching:  # several holders of that name: none can be told apart
                return None
        return None


def _holder_rows(sites: models.QuerySet) -> models.QuerySet:
    # Saying `fei_number <> ''` lets the databases use the index on the FEI.
    return sites.exclude(fei_number="").values_list("fei_number", "pk", "name", "provider__name")


def site_for_record(fei_number: str, legal_name: str) -> int | None:
    """The site a single record belongs to (a record's own save): one query."""
    fei = normalize_fei(fei_number)
    return FeiHolders.of([fei]).site_for(fei, legal_name) if fei else None


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
        holders_of_shared = FeiHolders(_holder_rows(Site.objects.filter(fei_number__in=shared)))
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
    rows = [row for row in _holder_rows(Site.objects.filter(fei_number__in=feis)) if row[1] != me]
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


# Where a database connection keeps what to relink once it next commits: site ids and FEIs, or
# EVERYTHING.
PENDING_RELINK = "_regulatory_records_to_relink"
EVERYTHING = "everything"


def relink_after_commit(site_ids: Iterable[int] | None = None, feis: Iterable[str] = ()) -> None:
    """Relink these sites' records (all records when `site_ids` is None) again once the
    transaction commits, and rescore the sites that gain or lose records.

    The relink made inside a transaction sees only what was committed when it ran: an import
    committing records of an FEI after a curator's transaction gave a site that FEI (or the
    reverse) leaves them linked as the first to commit saw them. Of the two transactions, the
    one committing last sees both, so each queues this. One task per transaction, however many
    sites it saved.
    """
    connection = transaction.get_connection()
    pending = connection.__dict__.setdefault(PENDING_RELINK, {"site_ids": set(), "feis": set()})
    if site_ids is None:
        pending[EVERYTHING] = True
    else:
        pending["site_ids"].update(site_ids)
        pending["feis"].update(fei for fei in feis if fei)
    # A flush per call, as partners/signals.py does for scores: a rolled-back savepoint drops
    # the callbacks registered in it, and the first flush to run takes everything pending.
    transaction.on_commit(partial(_flush_pending_relink, connection))


def _flush_pending_relink(connection) -> None:
    from partners.tasks import link_regulatory_records as link_task

    pending = connection.__dict__.pop(PENDING_RELINK, None)
    if not pending:
        return
    if pending.get(EVERYTHING):
        link_task.delay()
    elif pending["site_ids"] or pending["feis"]:
        link_task.delay(sorted(pending["site_ids"]), sorted(pending["feis"]))


def ambiguous_fei_condition() -> Q:
    """Sites sharing an FEI of which some record is linked to none of them: FDA names a firm
    none of the sites is named after (a condition on sites)."""
    unlinked = Q()
    for model in RECORD_MODELS:
        unlinked |= Exists(
            model.objects.filter(site__isnull=True, fei_number=OuterRef("fei_number"))
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
