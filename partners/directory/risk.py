"""Risk flags: the regulatory events a buyer must see before anything else about a site.

A site is flagged for each warning letter, OAI inspection or import alert of the last
`RISK_WINDOW_YEARS` years, by any authority. An inspection that the regulator lists once per
project area counts once: its rows share the site, authority, inspection ID and end date, as
the profile's inspection history groups them (partners/directory/profile.py). The directory's
cards, the provider profile and a run's ranked sites all read their flags here, so a flag means
the same thing on every page.

`risk_flags` reads the flags of a list of sites and `provider_risk_flags` those of a list of
providers, rolled up per kind; each is one query of plain values, whatever the number of sites.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.fields import CharField

from partners.choices import ActionType, Classification
from partners.models import Inspection, RegulatoryAction

# How far back a flagged event still shows: the compliance score's window.
RISK_WINDOW_YEARS = 5

OAI = "oai"
WARNING_LETTER = ActionType.WARNING_LETTER.value
IMPORT_ALERT = ActionType.IMPORT_ALERT.value

# The kinds of flag, most serious first: the order they are shown in.
FLAG_LABELS: dict[str, str] = {
    WARNING_LETTER: "Warning letter",
    OAI: "OAI inspection",
    IMPORT_ALERT: "Import alert",
}
_FLAG_ACTION_TYPES = [WARNING_LETTER, IMPORT_ALERT]


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One flagged record: the site it concerns, what it is, when and by which authority."""

    site_id: int
    site_name: str
    kind: str
    date: datetime.date
    authority: str


@dataclass(frozen=True, slots=True)
class RiskFlag:
    """Every flagged record of one kind, of one site or of a provider's sites, newest first."""

    kind: str
    events: tuple[RiskEvent, ...]

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.kind]

    @property
    def latest(self) -> RiskEvent:
        return self.events[0]

    @property
    def year(self) -> int:
        return self.latest.date.year

    @property
    def short(self) -> str:
        """What the flag itself reads: "Warning letter 2026"."""
        return f"{self.label} {self.year}"

    @property
    def when(self) -> str:
        """Which and when: "FDA, 3 Mar 2026; FDA, 9 Jan 2023"."""
        return self._when(with_sites=False)

    @property
    def when_with_sites(self) -> str:
        """Which, when and where, for a provider's flags: "FDA, 3 Mar 2026 (Dublin)"."""
        return self._when(with_sites=True)

    @property
    def describe(self) -> str:
        """The flag in a sentence, for a tooltip: "Warning letter: FDA, 3 Mar 2026"."""
        return f"{self.label}: {self.when}"

    @property
    def describe_with_sites(self) -> str:
        return f"{self.label}: {self.when_with_sites}"

    def _when(self, with_sites: bool) -> str:
        parts = []
        for event in self.events:
            where = f" ({event.site_name})" if with_sites else ""
            parts.append(f"{event.authority}, {_day(event.date)}{where}")
        return "; ".join(parts)


def window_start(today: datetime.date) -> datetime.date:
    """The first day of the window: today, RISK_WINDOW_YEARS years ago (28 Feb for 29 Feb)."""
    try:
        return today.replace(year=today.year - RISK_WINDOW_YEARS)
    except ValueError:
        return today.replace(year=today.year - RISK_WINDOW_YEARS, day=28)


def risk_flags(site_ids: Iterable[int], today: datetime.date) -> dict[int, list[RiskFlag]]:
    """Each site's flags as of `today`, most serious kind first; sites without any are absent."""
    ids = [site_id for site_id in site_ids if site_id is not None]
    if not ids:
        return {}
    by_site: dict[int, list[RiskEvent]] = defaultdict(list)
    for event in _events(Q(site_id__in=ids), today):
        by_site[event.site_id].append(event)
    return {site_id: _flags(events) for site_id, events in by_site.items()}


def provider_risk_flags(
    provider_ids: Iterable[int], today: datetime.date
) -> dict[int, list[RiskFlag]]:
    """Each provider's flags as of `today`, over all its sites: one flag per kind holding the
    records of every site, newest first. Providers without any are absent."""
    ids = list(provider_ids)
    if not ids:
        return {}
    by_provider: dict[int, list[RiskEvent]] = defaultdict(list)
    for provider_id, event in _provider_events(ids, today):
        by_provider[provider_id].append(event)
    return {provider_id: _flags(events) for provider_id, events in by_provider.items()}


def every_provider_risk_flags(today: datetime.date) -> dict[int, list[RiskFlag]]:
    """`provider_risk_flags` of every provider, in one query."""
    by_provider: dict[int, list[RiskEvent]] = defaultdict(list)
    for provider_id, event in _once_per_inspection(_flagged_rows(Q(site__isnull=False), today)):
        by_provider[provider_id].append(event)
    return {provider_id: _flags(events) for provider_id, events in by_provider.items()}


def roll_up(flags_per_site: Iterable[list[RiskFlag]]) -> list[RiskFlag]:
    """The flags of several sites already read (a profile's), as one list per kind."""
    return _flags([event for flags in flags_per_site for flag in flags for event in flag.events])


def _flags(events: list[RiskEvent]) -> list[RiskFlag]:
    per_kind: dict[str, list[RiskEvent]] = defaultdict(list)
    for event in events:
        per_kind[event.kind].append(event)
    return [
        RiskFlag(kind, tuple(sorted(per_kind[kind], key=_newest_first)))
        for kind in FLAG_LABELS
        if per_kind[kind]
    ]


def _newest_first(event: RiskEvent) -> tuple:
    return (-event.date.toordinal(), event.site_name, event.authority)


def _flagged_rows(where: Q, today: datetime.date) -> QuerySet:
    """Flagged inspections and actions in one UNION query of plain values: site id, site name,
    provider id, kind, date, authority, and the inspection's ID (empty for an action)."""
    since = window_start(today)
    columns = ("site_id", "site__name", "site__provider_id")
    inspections = (
        Inspection.objects.filter(
            where, classification=Classification.OAI, end_date__gte=since, end_date__lte=today
        )
        .order_by()
        .values_list(
            *columns,
            Value(OAI, output_field=CharField()),
            "end_date",
            "authority",
            "inspection_id",
        )
    )
    actions = (
        RegulatoryAction.objects.filter(
            where,
            action_type__in=_FLAG_ACTION_TYPES,
            action_date__gte=since,
            action_date__lte=today,
        )
        .order_by()
        .values_list(
            *columns,
            "action_type",
            "action_date",
            "authority",
            Value("", output_field=CharField()),
        )
    )
    return inspections.union(actions, all=True)


def _events(where: Q, today: datetime.date) -> list[RiskEvent]:
    return [event for _, event in _once_per_inspection(_flagged_rows(where, today))]


def _provider_events(ids: list[int], today: datetime.date) -> list[tuple[int, RiskEvent]]:
    return _once_per_inspection(_flagged_rows(Q(site__provider_id__in=ids), today))


def _once_per_inspection(rows: Iterable[tuple]) -> list[tuple[int, RiskEvent]]:
    """Each flagged row as (provider id, event), the rows of one inspection (one per project
    area) as one event; every action is an event of its own."""
    events = []
    seen: set[tuple] = set()
    for site_id, site_name, provider_id, kind, date, authority, inspection_id in rows:
        if kind == OAI:
            inspection = (site_id, authority, inspection_id, date)
            if inspection in seen:
                continue
            seen.add(inspection)
        events.append((provider_id, RiskEvent(site_id, site_name, kind, date, authority)))
    return events


def _day(date: datetime.date) -> str:
    return f"{date.day} {date:%b %Y}"
