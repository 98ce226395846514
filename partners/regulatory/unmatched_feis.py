"""FEIs that regulator records name but no site carries: the curators' list of sites to create
or fix (DESIGN.md: "Regulator records are stored even when no site has their FEI yet").

    rows = unmatched_feis(search="sterile")

One aggregate query per record model (inspections, compliance actions, published 483s), grouped
by FEI, merged here. Each FEI comes with the holder's legal name and country as FDA gives them on
its most recent record, so a curator can tell whose it is.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_countries import countries

from partners.fei import normalize_fei
from partners.models import Inspection, Published483, RegulatoryAction, Site

# (model, the date of one of its records, its noun in the singular and the plural)
RECORD_KINDS = [
    (Inspection, F("end_date"), "inspection", "inspections"),
    (RegulatoryAction, F("action_date"), "action", "actions"),
    (Published483, Coalesce("record_date", "publish_date"), "published 483", "published 483s"),
]

# FDA's names of countries that django-countries does not know by them.
_FDA_COUNTRY_NAMES = {
    "united states": "US",
    "british virgin islands": "VG",
    "korea, republic of": "KR",
    "korea, south": "KR",
    "macau": "MO",
}


def country_code(country_area: str) -> str:
    """The ISO 3166 code of a country as FDA names it, or "" when it is not recognised."""
    name = country_area.strip()
    return _FDA_COUNTRY_NAMES.get(name.casefold(), "") or (countries.by_name(name) if name else "")


@dataclass
class UnmatchedFeiRecords:
    """An FEI no site carries, who FDA says holds it, and the records that name it."""

    fei_number: str
    legal_name: str = ""
    country_area: str = ""
    latest: datetime.date | None = None
    # How many records name the FEI, by kind: "2 inspections", "1 action".
    counts: list[str] = field(default_factory=list)
    records: int = 0

    @property
    def country_code(self) -> str:
        return country_code(self.country_area)


def unmatched_feis(search: str = "") -> list[UnmatchedFeiRecords]:
    """Every FEI named by a record and carried by no site, the most recently seen first.

    `search` keeps the FEIs whose records contain it in the FEI or the legal name.
    """
    found: dict[str, UnmatchedFeiRecords] = {}
    for model, date, singular, plural in RECORD_KINDS:
        for row in _unmatched_by_fei(model, date, search):
            entry = found.setdefault(row["fei_number"], UnmatchedFeiRecords(row["fei_number"]))
            entry.records += row["records"]
            entry.counts.append(f"{row['records']:,} {singular if row['records'] == 1 else plural}")
            newer = entry.latest is None or (row["latest"] and row["latest"] > entry.latest)
            # The name and country of the most recent record that gives them.
            if row["legal_name"] and (newer or not entry.legal_name):
                entry.legal_name = row["legal_name"]
            if row["country_area"] and (newer or not entry.country_area):
                entry.country_area = row["country_area"]
            if newer:
                entry.latest = row["latest"]
    return sorted(
        found.values(),
        key=lambda entry: (entry.latest or datetime.date.min, entry.fei_number),
        reverse=True,
    )


def _unmatched_by_fei(model, date, search: str) -> QuerySet:
    records = model.objects.exclude(fei_number="").exclude(
        # Sites without an FEI carry none of the records' FEIs.
        fei_number__in=Site.objects.exclude(fei_number="").values("fei_number")
    )
    if search:
        condition = Q(legal_name__icontains=search)
        if digits := normalize_fei(search):
            condition |= Q(fei_number__contains=digits)
        records = records.filter(condition)
    return (
        records.values("fei_number")
        .annotate(
            records=Count("pk"),
            latest=Max(date),
            legal_name=_latest_of(model, date, "legal_name"),
            country_area=_latest_of(model, date, "country_area"),
        )
        .order_by()
    )


class _PerGroup(Subquery):
    """A subquery correlated with the grouped column alone, so evaluated once per group.

    Django would add it to the GROUP BY, where databases evaluate it for every row grouped.
    """

    def get_group_by_cols(self) -> list:
        return []


def _latest_of(model, date, name: str) -> Subquery:
    """The value of `name` on the most recent record of the group's FEI that gives one."""
    return _PerGroup(
        model.objects.filter(fei_number=OuterRef("fei_number"))
        .exclude(**{name: ""})
        .order_by(date.desc(nulls_last=True), "-pk")
        .values(name)[:1]
    )
