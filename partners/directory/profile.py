"""The provider profile page's reading of the catalogue: one `SiteProfile` per site.

`site_profiles` loads a provider's sites and everything its profile shows in a fixed number of
queries (`profile_sites`, also what `provider_for_profile` prefetches for the API), then turns
the rows into what the template lays out (capabilities grouped by kind, certificate states, one
dated history of inspections and actions, the timeline, the compliance score with the lines that
explain it), with the sites' risk flags read in one more query, whatever the number of sites.

The page shows the same to every viewer but for the "add to a shortlist" control, and depends on
the catalogue and the day alone: templates/partners/provider_detail.html caches it under both
(`profile_cache_key`), so `site_profiles` runs only when the catalogue or the day has changed.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.quantities import format_quantity
from partners.choices import PHASES, Authority, Provenance, ProviderKind, TermKind
from partners.directory.risk import RiskFlag, risk_flags, roll_up
from partners.directory.timeline import Timeline, TimelineEvent, build_timeline, in_sentence
from partners.models import (
    Certification,
    DeaSchedule,
    Inspection,
    Phase,
    Provider,
    Published483,
    Published483RecordId,
    RegulatoryAction,
    Site,
    SiteCapability,
)
from partners.regulatory.compliance import (
    BASE,
    WINDOW_YEARS,
    ComplianceResult,
    ExplanationLine,
    compute_compliance,
)
from partners.regulatory.stored_scores import action_events, inspection_events
from partners.validity import CertificationState, certification_state

CLASSIFICATION_TITLES = {
    "NAI": "No Action Indicated",
    "VAI": "Voluntary Action Indicated",
    "OAI": "Official Action Indicated",
}

# Up to this many sites, every site of a profile is shown open; beyond, each is closed and the
# summary table at the top is the way in: a buyer scans the table, then opens the sites they
# weigh (a link to #site-<id>, from the table or a run's results, opens its site).
OPEN_SITES_UP_TO = 3

# Certificate states the summary table counts as valid today.
VALID_STATES = (CertificationState.VALID, CertificationState.EXPIRING)

# The capability kinds the summary table names as a site's key capabilities.
KEY_TERM_KINDS = (TermKind.MODALITY, TermKind.DOSAGE_FORM)

# The timeline's lanes, in order: one per authority's inspections, then the actions.
INSPECTION_LANES = {authority: f"{authority} inspections" for authority in Authority.values}

KIND_HINTS: dict[str, str] = {
    ProviderKind.CDMO: "Contract development and manufacturing organisation: develops processes "
    "and manufactures.",
    ProviderKind.CMO: "Contract manufacturing organisation: runs established processes.",
    ProviderKind.NOT_CLASSIFIED: "A registrant of establishments registered with FDA, not yet "
    "classified by a curator as a contract manufacturer (CMO) or developer (CDMO).",
}

ACTIONS_LANE = "Actions"
TIMELINE_LANES = [*INSPECTION_LANES.values(), ACTIONS_LANE]


# Who vouches for a capability, as templates/partners/_provenance_badge.html draws it: three
# fixed badges, built once rather than by an include per capability of every site.
PROVENANCE_BADGES: dict[str, SafeString] = {
    Provenance.CURATOR_VERIFIED: format_html(
        '<span class="badge prov prov-curator" title="Checked by a curator against documents">'
        '<span aria-hidden="true">✓ </span>{}</span>',
        Provenance.CURATOR_VERIFIED.label,
    ),
    Provenance.REGULATOR_RECORD: format_html(
        '<span class="badge prov prov-regulator" title="Taken from a regulator\'s public record">'
        "{}</span>",
        Provenance.REGULATOR_RECORD.label,
    ),
    Provenance.SELF_REPORTED: format_html(
        '<span class="badge prov prov-self" title="Stated by the provider, not yet checked">'
        "{}</span>",
        Provenance.SELF_REPORTED.label,
    ),
}


@dataclass(frozen=True, slots=True)
class CapabilityRow:
    capability: SiteCapability
    scale: str  # "1,300 kg batch · 6,000 L", or "" when no scale is on record

    @property
    def provenance(self) -> SafeString:
        return PROVENANCE_BADGES.get(
            self.capability.provenance, PROVENANCE_BADGES[Provenance.SELF_REPORTED]
        )


@dataclass(frozen=True, slots=True)
class CapabilityGroup:
    kind: str
    label: str
    rows: list[CapabilityRow]


@dataclass(frozen=True, slots=True)
class CertificationRow:
    certification: Certification
    state: CertificationState
    issued: SafeString  # <time> or ""
    valid_until: SafeString
    source: SafeString


@dataclass(frozen=True, slots=True)
class PhaseStep:
    slug: str
    name: str
    served: bool


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """An inspection or an action, in the shape of one row of the history table.

    FDA publishes an inspection as one row per project area: those of one inspection (same
    authority, ID, date and classification) are one row here, listing their project areas.
    """

    date: datetime.date
    authority: str
    authority_name: str
    is_inspection: bool
    record_type: str  # "Inspection", "Warning letter", ...
    outcome: str  # NAI / VAI / OAI for inspections, the action type slug for actions
    record_id: str
    project_areas: tuple[str, ...]
    product_type: str
    source: SafeString  # the source and when it was read, as templates/partners/_source.html
    # The row's id, which alerts link to: "inspection-<pk>" (its first row) or "action-<pk>".
    anchor: str = ""

    @property
    def day(self) -> SafeString:
        return time_html(self.date)

    def html(self) -> SafeString:
        """The row as a table row of templates/partners/profile/_history.html: written here,
        as a profile has scores of them and a template takes several times longer."""
        if self.is_inspection:
            record = format_html(
                'Inspection <span class="badge cls-{}" title="{}">{}</span>',
                self.outcome.lower(),
                CLASSIFICATION_TITLES.get(self.outcome, ""),
                self.outcome,
            )
        else:
            record = format_html('<span class="badge badge-action">{}</span>', self.record_type)
        areas = "; ".join(self.project_areas)
        about = " · ".join(part for part in (areas, self.product_type) if part)
        return format_html(
            '<tr id="{}"><td class="nowrap">{}</td><td><abbr title="{}">{}</abbr></td>'
            '<td class="nowrap">{}</td><td class="mono nowrap">{}</td><td>{}</td><td>{}</td></tr>',
            self.anchor,
            self.day,
            self.authority_name,
            self.authority,
            record,
            self.record_id or "—",
            about or SafeString('<span class="muted">—</span>'),
            self.source,
        )


@dataclass(frozen=True, slots=True)
class ComplianceExplanation:
    """A site's compliance score as of today, computed from the records on its profile.

    Computed, not read from the site: the lines then always add up to the score shown beside
    them, even on a day the stored score (which the directory sorts by) has not caught up yet.
    """

    as_of: datetime.date
    result: ComplianceResult
    record_lines: list[ExplanationLine]  # with points: BASE plus these is the score (unclamped)
    notes: list[ExplanationLine]  # what did not count, why a site is unknown or clamped
    base: float = BASE
    window_years: int = WINDOW_YEARS
    # The site's stored score (never computed, or computed on a day the record weighed
    # differently) is not today's: the page says so, with the stored value and its date.
    stored_differs: bool = False
    # The numbers as shown, rounded half up like the template filter floatformat (formatted
    # once here: a profile shows each several times, for every site).
    score_shown: str = ""  # whole: "88"
    score_tenths: str = ""  # "87.6"
    base_shown: str = ""
    rounded: bool = False  # the score is not whole at one decimal, so "shown rounded as 88"
    as_of_shown: str = ""  # a <time> element, safe


class SiteProfile:
    """What the profile shows of one site. The summary's facts are read at once; the site's
    sections (capabilities, certificates, history, timeline) when the template asks for them."""

    def __init__(
        self, site: Site, today: datetime.date, flags: list[RiskFlag], is_open: bool
    ) -> None:
        self.site = site
        self.today = today
        self.flags = flags
        self.open = is_open
        self._capabilities = list(site.capabilities.all())
        self._inspections = list(site.inspections.all())
        self._actions = list(site.actions.all())
        self.certifications = [
            CertificationRow(
                certification,
                certification_state(certification, today),
                time_html(certification.issued_on),
                time_html(certification.valid_until),
                source_html(certification.source, certification.retrieved_at),
            )
            for certification in site.certifications.all()
        ]
        self.compliance = compliance_explanation(site, self._inspections, self._actions, today)
        # For the summary table at the top of the profile.
        self.key_capabilities = [
            capability.term.name
            for kind in KEY_TERM_KINDS
            for capability in self._capabilities
            if capability.term.kind == kind
        ]
        self.scale = _largest_scale(self._capabilities)
        self.valid_certificates = sorted(
            {
                row.certification.get_kind_display()
                for row in self.certifications
                if row.state in VALID_STATES
            }
        )

    @cached_property
    def phase_steps(self) -> list[PhaseStep]:
        served = {phase.slug for phase in self.site.phases.all()}
        return [PhaseStep(slug, name, slug in served) for slug, name in PHASES]

    @cached_property
    def dea_schedules(self) -> list[DeaSchedule]:
        return list(self.site.dea_schedules.all())

    @cached_property
    def oel(self) -> str:
        """ "" when the site has no containment data."""
        oel = self.site.oel_ug_m3
        return "" if oel is None else f"{format_quantity(oel)} µg/m³"

    @cached_property
    def capability_groups(self) -> list[CapabilityGroup]:
        return _capability_groups(self._capabilities)

    @cached_property
    def _grouped(self) -> list["GroupedInspection"]:
        return _grouped_inspections(self._inspections)

    @cached_property
    def history(self) -> list[HistoryRow]:
        return _history(self._grouped, self._actions)

    @cached_property
    def timeline(self) -> Timeline | None:
        return build_timeline(
            _timeline_events(self._grouped, self._actions),
            today=self.today,
            lanes=TIMELINE_LANES,
            subject=self.site.name,
        )

    @cached_property
    def published_483s(self) -> list[Published483]:
        return list(self.site.published_483s.all())


class SiteProfiles(list[SiteProfile]):
    """A provider's site profiles, in order, with the risk flags of all its sites together."""

    def __init__(self, profiles: list[SiteProfile], flags: list[RiskFlag]) -> None:
        super().__init__(profiles)
        self.flags = flags


RECORD_COLUMNS = ("site_id", "authority", "product_type", "source", "retrieved_at")
# The capabilities' columns the profile and the API's provider detail show.
CAPABILITY_COLUMNS = (
    *("site", "max_batch_kg", "max_volume_l", "provenance"),
    *("term", "term__kind", "term__name", "term__slug"),
)
TIMESTAMPS = ("created_at", "updated_at")


def profile_sites() -> Prefetch:
    """A provider's sites with every row the profile shows, prefetched in fixed queries."""
    # Every row with only the columns the profile shows: a site can have scores of them, and
    # each column not read (the timestamps, most of all) is one not converted for every row.
    without_timestamps = Site.objects.defer(*TIMESTAMPS)
    sites = without_timestamps.order_by("name").prefetch_related(
        Prefetch(
            "capabilities",
            queryset=SiteCapability.objects.select_related("term")
            .order_by("term__kind", "term__name")
            .only(*CAPABILITY_COLUMNS),
        ),
        Prefetch(
            "certifications",
            queryset=Certification.objects.defer(*TIMESTAMPS).order_by("kind", "-issued_on"),
        ),
        Prefetch(
            "inspections",
            queryset=Inspection.objects.order_by("-end_date", "inspection_id", "project_area").only(
                *RECORD_COLUMNS, "inspection_id", "end_date", "classification", "project_area"
            ),
        ),
        Prefetch(
            "actions",
            queryset=RegulatoryAction.objects.order_by("-action_date", "case_id").only(
                *RECORD_COLUMNS, "action_type", "action_date", "case_id"
            ),
        ),
        Prefetch(
            "published_483s",
            queryset=Published483.objects.order_by("-publish_date", "pk")
            .only(*RECORD_COLUMNS, "record_type", "record_date", "publish_date", "download_url")
            .prefetch_related(
                # Every Record ID of each document: FDA has renumbered some.
                Prefetch(
                    "record_ids",
                    queryset=Published483RecordId.objects.only("document", "record_id"),
                )
            ),
        ),
        Prefetch("phases", queryset=Phase.objects.order_by("rank")),
        Prefetch("dea_schedules", queryset=DeaSchedule.objects.order_by("rank")),
    )
    return Prefetch("sites", queryset=sites)


def provider_for_profile() -> QuerySet[Provider]:
    """Providers with their sites and every row the profile shows, prefetched in fixed queries."""
    return Provider.objects.prefetch_related(profile_sites())


def profile_cache_key(catalogue_version: str, today: datetime.date) -> str:
    """What a profile page is cached under besides its provider: it depends on the catalogue and
    on the day alone (certificate states and the weight of records change with the day)."""
    return f"{catalogue_version}:{today.isoformat()}"


def site_profiles(provider: Provider, today: datetime.date) -> SiteProfiles:
    """What the profile shows for each of `provider`'s sites, as of `today`: its sites and their
    rows in fixed queries (none when `provider_for_profile` prefetched them), and one query for
    the sites' risk flags."""
    prefetch_related_objects([provider], profile_sites())
    sites = list(provider.sites.all())
    flags = risk_flags([site.pk for site in sites], today)
    is_open = len(sites) <= OPEN_SITES_UP_TO
    profiles = [SiteProfile(site, today, flags.get(site.pk, []), is_open) for site in sites]
    return SiteProfiles(profiles, roll_up(profile.flags for profile in profiles))


def compliance_explanation(
    site: Site, inspections: list[Inspection], actions: list[RegulatoryAction], today: datetime.date
) -> ComplianceExplanation:
    """Score `site`'s loaded records as of `today`, and say whether the stored score differs."""
    result = compute_compliance(inspection_events(inspections), action_events(actions), today)
    stored = (site.compliance_score, site.compliance_state)
    score = result.score if result.score is not None else 0.0
    return ComplianceExplanation(
        as_of=today,
        result=result,
        record_lines=[line for line in result.lines if line.points is not None],
        notes=[line for line in result.lines if line.points is None],
        stored_differs=site.compliance_as_of is None or stored != (result.score, result.state),
        score_shown=rounded(score, 0),
        score_tenths=rounded(score, 1),
        base_shown=rounded(BASE, 1),
        rounded=Decimal(rounded(score, 1)) != Decimal(rounded(score, 0)),
        as_of_shown=time_html(today),
    )


def rounded(value: float, places: int) -> str:
    """`value` to `places` decimals, half up: what floatformat shows (87.55 -> "87.6")."""
    exponent = Decimal(1).scaleb(-places)
    shown = Decimal(repr(value)).quantize(exponent, ROUND_HALF_UP)
    return str(shown + 0)  # + 0 turns -0 into 0


def _capability_groups(capabilities: list[SiteCapability]) -> list[CapabilityGroup]:
    """Capabilities by kind, in the vocabulary's order: modality, dosage form, service, ..."""
    groups = []
    for kind, label in TermKind.choices:
        rows = [
            CapabilityRow(capability, _scale(capability))
            for capability in capabilities
            if capability.term.kind == kind
        ]
        if rows:
            groups.append(CapabilityGroup(kind, label, rows))
    return groups


def _scale(capability: SiteCapability) -> str:
    parts = []
    if capability.max_batch_kg is not None:
        parts.append(f"{format_quantity(capability.max_batch_kg)} kg batch")
    if capability.max_volume_l is not None:
        parts.append(f"{format_quantity(capability.max_volume_l)} L volume")
    return " · ".join(parts)


# A profile has a few hundred dates and sources: formatted here once each, in plain Python,
# rather than by a template filter and an include per table row.


def day_text(date: datetime.date) -> str:
    """3 Mar 2026: the profile's date format ("j M Y")."""
    return f"{date.day} {MONTHS_3[date.month].title()} {date.year}"


def time_html(date: datetime.date | None) -> SafeString:
    """A date as a <time> element, or "" when there is none."""
    if date is None:
        return SafeString("")
    return format_html('<time datetime="{}">{}</time>', date.isoformat(), day_text(date))


def source_html(source: str, retrieved_at: datetime.datetime | None) -> SafeString:
    """Where a fact came from and when it was read there: templates/partners/_source.html."""
    shown = (
        format_html("{}", source)
        if source
        else SafeString('<span class="muted">source not recorded</span>')
    )
    as_of = SafeString("")
    if retrieved_at is not None:
        aware = timezone.is_aware(retrieved_at)
        local = timezone.localtime(retrieved_at) if aware else retrieved_at
        as_of = format_html(
            '<span class="as-of">as of <time datetime="{}">{}</time></span>',
            local.isoformat(),
            day_text(local.date()),
        )
    return format_html('<span class="source">{}{}</span>', shown, as_of)


def _largest_scale(capabilities: list[SiteCapability]) -> str:
    volumes = [c.max_volume_l for c in capabilities if c.max_volume_l is not None]
    batches = [c.max_batch_kg for c in capabilities if c.max_batch_kg is not None]
    parts = []
    if volumes:
        parts.append(f"{format_quantity(max(volumes))} L")
    if batches:
        parts.append(f"{format_quantity(max(batches))} kg")
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class GroupedInspection:
    """The rows of one inspection, one per project area: they share all but the area."""

    first: Inspection
    project_areas: tuple[str, ...]


def _grouped_inspections(inspections: list[Inspection]) -> list[GroupedInspection]:
    """Rows of one inspection (same authority, ID, end date and classification) as one, in the
    order of their first row."""
    groups: dict[tuple, list[Inspection]] = defaultdict(list)
    for inspection in inspections:
        key = (
            inspection.authority,
            inspection.inspection_id,
            inspection.end_date,
            inspection.classification,
        )
        groups[key].append(inspection)
    return [
        GroupedInspection(rows[0], tuple(row.project_area for row in rows if row.project_area))
        for rows in groups.values()
    ]


def _history(
    inspections: list[GroupedInspection], actions: list[RegulatoryAction]
) -> list[HistoryRow]:
    """Inspections and actions in one list, newest first."""
    rows = [
        HistoryRow(
            date=group.first.end_date,
            authority=group.first.authority,
            authority_name=group.first.get_authority_display(),
            is_inspection=True,
            record_type="Inspection",
            outcome=group.first.classification,
            record_id=group.first.inspection_id,
            project_areas=group.project_areas,
            product_type=group.first.product_type,
            source=source_html(group.first.source, group.first.retrieved_at),
            anchor=f"inspection-{group.first.pk}",
        )
        for group in inspections
    ] + [
        HistoryRow(
            date=action.action_date,
            authority=action.authority,
            authority_name=action.get_authority_display(),
            is_inspection=False,
            record_type=action.get_action_type_display(),
            outcome=action.action_type,
            record_id=action.case_id,
            project_areas=(),
            product_type=action.product_type,
            source=source_html(action.source, action.retrieved_at),
            anchor=f"action-{action.pk}",
        )
        for action in actions
    ]
    # Stable sort: rows of one date keep the prefetch order (inspection id, project area).
    return sorted(rows, key=lambda row: row.date, reverse=True)


def _timeline_events(
    inspections: list[GroupedInspection], actions: list[RegulatoryAction]
) -> list[TimelineEvent]:
    events = []
    for group in inspections:
        inspection = group.first
        areas = f" ({'; '.join(group.project_areas)})" if group.project_areas else ""
        events.append(
            TimelineEvent(
                date=inspection.end_date,
                lane=INSPECTION_LANES.get(
                    inspection.authority, f"{inspection.authority} inspections"
                ),
                symbol=inspection.classification,
                title=f"{inspection.authority} inspection {inspection.inspection_id}, "
                f"{inspection.end_date.isoformat()}: {inspection.classification}{areas}",
            )
        )
    for action in actions:
        case = f" {action.case_id}" if action.case_id else ""
        product = f" ({action.product_type})" if action.product_type else ""
        events.append(
            TimelineEvent(
                date=action.action_date,
                lane=ACTIONS_LANE,
                symbol=action.action_type,
                title=f"{action.authority} {in_sentence(action.get_action_type_display())}{case}, "
                f"{action.action_date.isoformat()}{product}",
            )
        )
    return events
