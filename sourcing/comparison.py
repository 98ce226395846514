"""Two to six candidates of a shortlist side by side, one column per site: the site and its
place in the pipeline, its fit to the brief, its quality record, the scores of the run it came
from, its quote and the team's scores.

    comparison = build(shortlist, [12, 15, 19], request.user)

The comparison is plain JSON-ready data (str, int, float, bool, None, lists and dicts), the
same for the page, the CSV and XLSX exports, the API and the frozen decision record:

    {"built_at": "2026-12-02T13:50:00+00:00", "brief": {"id": 3, "title": "…"} | None,
     "candidates": [{"id", "site_id", "site_name", "provider_name", "provider_kind", "country",
                     "stage", "stage_label", "href"}, …],
     "groups": [{"name": "Quality", "rows": [{"label": "EU GMP certificate", "differs": True,
                 "cells": [{"text": "valid until 2027-03-01", "flag": "", "value": "2027-03-01"},
                           …]}]}]}

A cell's `text` is what a reader sees; its `flag` marks it ("expired", "expiring", "warning",
"missing", "good" or ""); its `value` is the typed value an export writes (a number, an ISO date
string, a string or None). A row `differs` when its cells' texts are not all the same.

The number of queries does not depend on how many candidates are compared.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django_countries import countries

from core.dates import years_before
from core.quantities import format_quantity
from matching.choices import Criterion
from matching.engine.criteria import CRITERIA
from matching.models import Brief
from partners.choices import (
    ADVERSE_STANDING_ACTIONS,
    DEA_SCHEDULES,
    PHASE_SLUGS,
    PHASES,
    ActionType,
    CertificationKind,
    Classification,
    ComplianceState,
    ProviderKind,
    TermKind,
)
from partners.models import (
    Certification,
    DeaSchedule,
    Inspection,
    Phase,
    RegulatoryAction,
    Site,
    SiteCapability,
)
from partners.validity import EXPIRY_WARNING_DAYS, CertificationState, certification_state
from sourcing import scoring
from sourcing.choices import ExitReason, Stage
from sourcing.models import QUOTE_EXPIRY_WARNING_DAYS, Candidate, Quote, Shortlist

if TYPE_CHECKING:
    # The project keeps Django's user model (no AUTH_USER_MODEL of its own).
    from django.contrib.auth.models import User

MIN_CANDIDATES = 2
MAX_CANDIDATES = 6
# Regulator records this recent count in the quality record ("any warning letter or OAI in
# the last five years"), as in the compliance score's window.
RECORD_YEARS = 5
# The compliance score at or above which a record reads as good, and below which as a concern
# (the engine's compliance must-have excludes below 50).
COMPLIANCE_GOOD = 75.0
COMPLIANCE_CONCERN = 50.0

# A cell's flags.
EXPIRED = "expired"
EXPIRING = "expiring"
WARNING = "warning"
MISSING = "missing"
GOOD = "good"
FLAGS = (EXPIRED, EXPIRING, WARNING, MISSING, GOOD)

NOT_SCORED = "not scored"
NO_QUOTE = "no quote yet"
HIDDEN = "hidden until you score"
NONE = "—"

# The groups, in the page's order.
SITE = "Site"
FIT = "Fit to the brief"
QUALITY = "Quality"
RUN_SCORES = "Scores from the run"
QUOTE = "Quote"
TEAM = "Team scores"

Cell = dict[str, Any]
Row = dict[str, Any]

COUNT_MESSAGE = f"Choose from {MIN_CANDIDATES} to {MAX_CANDIDATES} candidates to compare"
# A candidate's id is a BigAutoField: a number outside its range is no candidate, and must be
# refused before it reaches the database (SQLite cannot even bind it).
MAX_ID = 2**63 - 1
NO_SUCH_ID = "There is no candidate number {value}: candidates are numbered from 1."


def check_count(candidate_ids: Sequence[int]) -> list[int]:
    """The ids without repeats, in their order; a ValidationError on `candidates` when there
    are fewer than two or more than six, or when one is outside the range of ids."""
    for candidate_id in candidate_ids:
        if not 1 <= candidate_id <= MAX_ID:
            shown = str(candidate_id)
            shown = shown if len(shown) <= 20 else shown[:20] + "…"
            raise ValidationError({"candidates": NO_SUCH_ID.format(value=shown)})
    ids = list(dict.fromkeys(candidate_ids))
    if len(ids) < MIN_CANDIDATES:
        chosen = f"{len(ids)} {'is' if len(ids) == 1 else 'are'} chosen"
        raise ValidationError({"candidates": f"{COUNT_MESSAGE}; {chosen}."})
    if len(ids) > MAX_CANDIDATES:
        raise ValidationError({"candidates": f"{COUNT_MESSAGE}; {len(ids)} are chosen."})
    return ids


def build(
    shortlist: Shortlist,
    candidate_ids: list[int],
    viewer: "User | AnonymousUser",
    *,
    reveal_all: bool = False,
) -> dict:
    """The comparison of these candidates of the shortlist, in the order given, as the viewer
    may see it (team scores stay hidden as the scoring rule says, unless `reveal_all`).

    Raises ValidationError on `candidates` for fewer than two or more than six candidates, or
    one that is not on the shortlist."""
    ids = check_count(candidate_ids)
    found = {candidate.pk: candidate for candidate in _candidates(shortlist, ids)}
    strangers = [candidate_id for candidate_id in ids if candidate_id not in found]
    if strangers:
        raise ValidationError(
            {"candidates": f"Candidate {strangers[0]} is not on the shortlist “{shortlist}”."}
        )
    candidates = [found[candidate_id] for candidate_id in ids]
    brief = _brief(shortlist)
    team = scoring.team_scores(shortlist, ids, viewer, reveal_all=reveal_all)
    today = timezone.localdate()
    groups = [
        (SITE, _site_rows(candidates, brief, today)),
        (FIT, _fit_rows(candidates, brief)),
        (QUALITY, _quality_rows(candidates, brief, today)),
        (RUN_SCORES, _run_rows(candidates)),
        (QUOTE, _quote_rows(candidates, today)),
        (TEAM, _team_rows(candidates, team)),
    ]
    return {
        "built_at": timezone.now().isoformat(),
        "brief": {"id": brief.pk, "title": brief.title} if brief is not None else None,
        "candidates": [_heading(candidate) for candidate in candidates],
        "groups": [
            {"name": name, "rows": [_differs(row) for row in rows]} for name, rows in groups if rows
        ],
    }


def only_differing(comparison: dict) -> dict:
    """The comparison with only the rows where the candidates differ (groups left empty go)."""
    groups = []
    for group in comparison["groups"]:
        rows = [row for row in group["rows"] if row["differs"]]
        if rows:
            groups.append({**group, "rows": rows})
    return {**comparison, "groups": groups}


# --- Loading ------------------------------------------------------------------------------------


def _candidates(shortlist: Shortlist, ids: list[int]) -> list[Candidate]:
    """The shortlist's candidates among `ids`, with their sites and everything the comparison
    reads of them: a fixed number of queries, however many."""
    recent = years_before(timezone.localdate(), RECORD_YEARS * 2)
    return list(
        Candidate.objects.filter(shortlist=shortlist, pk__in=ids)
        .select_related("site__provider", "owner", "run", "quote")
        .prefetch_related(
            Prefetch(
                "site__capabilities",
                queryset=SiteCapability.objects.select_related("term").order_by(
                    "term__kind", "term__name"
                ),
            ),
            Prefetch(
                "site__certifications",
                queryset=Certification.objects.order_by("kind", "-valid_until", "-issued_on"),
            ),
            Prefetch(
                "site__inspections",
                queryset=Inspection.objects.filter(end_date__gte=recent).order_by(
                    "-end_date", "inspection_id"
                ),
            ),
            Prefetch(
                "site__actions",
                queryset=RegulatoryAction.objects.filter(action_date__gte=recent).order_by(
                    "-action_date", "case_id"
                ),
            ),
            Prefetch("site__phases", queryset=Phase.objects.order_by("rank")),
            Prefetch("site__dea_schedules", queryset=DeaSchedule.objects.order_by("rank")),
        )
    )


def _brief(shortlist: Shortlist) -> Brief | None:
    if shortlist.brief_id is None:
        return None
    return (
        Brief.objects.select_related("modality")
        .prefetch_related("dosage_forms", "services", "technologies")
        .filter(pk=shortlist.brief_id)
        .first()
    )


# --- Cells and rows -----------------------------------------------------------------------------


def cell(text: str, flag: str = "", value: Any = None) -> Cell:
    assert flag in ("", *FLAGS), flag
    return {"text": text, "flag": flag, "value": value}


def _row(label: str, cells: Iterable[Cell]) -> Row:
    return {"label": label, "differs": False, "cells": list(cells)}


def _differs(row: Row) -> Row:
    texts = {" ".join(str(c["text"]).split()) for c in row["cells"]}
    row["differs"] = len(texts) > 1
    return row


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _heading(candidate: Candidate) -> dict:
    site = candidate.site
    return {
        "id": candidate.pk,
        "site_id": candidate.site_id,
        "site_name": candidate.site_name,
        "provider_name": candidate.provider_name,
        "provider_kind": site.provider.get_kind_display() if site is not None else "",
        "country": _country(site),
        "stage": candidate.stage,
        "stage_label": str(candidate.get_stage_display()),
        "href": candidate.get_absolute_url(),
    }


def _country(site: Site | None) -> str:
    return str(countries.name(site.country)) if site is not None and site.country else ""


def _per_site(
    candidates: list[Candidate], reading: Callable[[Site], Cell], gone: Cell | None = None
) -> list[Cell]:
    """A cell for each candidate from its site; a site no longer in the catalogue has none."""
    return [
        reading(candidate.site)
        if candidate.site is not None
        else (gone or cell("no longer in the catalogue", MISSING))
        for candidate in candidates
    ]


# --- Site ---------------------------------------------------------------------------------------


def _site_rows(candidates: list[Candidate], brief: Brief | None, today: datetime.date) -> list[Row]:
    def kind(site: Site) -> Cell:
        label = str(site.provider.get_kind_display())
        if brief is not None and brief.development_needed:
            if site.provider.kind == ProviderKind.CDMO:
                return cell(f"{label}: develops processes", GOOD, label)
            return cell(f"{label}: no development", MISSING, label)
        return cell(label, "", label)

    def place(site: Site) -> Cell:
        country = _country(site)
        return cell(", ".join(filter(None, [site.city, country])), "", country)

    kind_label = "Provider kind"
    if brief is not None and brief.development_needed:
        kind_label += " (the brief needs development)"
    return [
        _row("Provider", (cell(c.provider_name, "", c.provider_name) for c in candidates)),
        _row(kind_label, _per_site(candidates, kind)),
        _row("Site", (cell(c.site_name, "", c.site_name) for c in candidates)),
        _row("Place", _per_site(candidates, place)),
        _row("Stage", (_stage(c) for c in candidates)),
        _row("Owner", (_owner(c) for c in candidates)),
        _row("Next step due", (_due(c) for c in candidates)),
    ]


def _stage(candidate: Candidate) -> Cell:
    label = str(candidate.get_stage_display())
    if candidate.out_of_the_race:
        reason = ExitReason(candidate.exit_reason).label if candidate.exit_reason else ""
        text = f"{label}: {reason}" if reason else label
        return cell(text, WARNING, label)
    return cell(label, GOOD if candidate.stage == Stage.SELECTED else "", label)


def _owner(candidate: Candidate) -> Cell:
    if candidate.owner is None:
        return cell(NONE, "", None)
    name = candidate.owner.get_username()
    return cell(name, "", name)


def _due(candidate: Candidate) -> Cell:
    if candidate.due_on is None:
        return cell(NONE, "", None)
    if candidate.overdue:
        return cell(f"{candidate.due_on.isoformat()} (overdue)", WARNING, _date(candidate.due_on))
    return cell(candidate.due_on.isoformat(), "", _date(candidate.due_on))


# --- Fit to the brief ---------------------------------------------------------------------------


def _fit_rows(candidates: list[Candidate], brief: Brief | None) -> list[Row]:
    """Capabilities, scale and phases against what the brief asks; without a brief, what each
    site offers."""
    if brief is None:
        return _offer_rows(candidates)
    modality = brief.modality
    rows = [
        _row(
            f"Modality: {modality.name}",
            _per_site(candidates, lambda site: _offers(site, modality.slug)),
        )
    ]
    rows.extend(_scale_rows(candidates, brief))
    rows.append(_phase_row(candidates, brief.phase))
    for kind, terms in (
        (TermKind.DOSAGE_FORM, brief.dosage_forms.all()),
        (TermKind.SERVICE, brief.services.all()),
        (TermKind.TECHNOLOGY, brief.technologies.all()),
    ):
        for term in sorted(terms, key=lambda term: term.name):
            rows.append(
                _row(
                    f"{TermKind(kind).label}: {term.name}",
                    _per_site(candidates, partial(_offers, slug=term.slug)),
                )
            )
    return rows


def _offers(site: Site, slug: str) -> Cell:
    if any(capability.term.slug == slug for capability in site.capabilities.all()):
        return cell("offered", GOOD, "offered")
    return cell("not offered", MISSING, "not offered")


def _scale_rows(candidates: list[Candidate], brief: Brief) -> list[Row]:
    """The site's largest batch (kg) and volume (L) for the brief's modality; the one in the
    brief's unit against the brief's batch, the other only when a site gives it."""
    modality = brief.modality
    rows = []
    for unit, attribute, what in (
        ("kg", "max_batch_kg", "Max batch"),
        ("L", "max_volume_l", "Max volume"),
    ):
        asked = brief.batch_size if brief.batch_unit == unit else None
        label = f"{what} for {modality.name} ({unit})"
        if asked is not None:
            label += f", the brief's batch {format_quantity(asked)} {unit}"

        def scale(site: Site, attribute: str = attribute, unit: str = unit, asked: Any = asked):
            values = [
                getattr(capability, attribute)
                for capability in site.capabilities.all()
                if capability.term_id == modality.pk and getattr(capability, attribute)
            ]
            if not values:
                return cell("not given", MISSING if asked is not None else "", None)
            largest = max(values)
            text = f"{format_quantity(largest)} {unit}"
            if asked is None:
                return cell(text, "", largest)
            if largest >= asked:
                return cell(text, GOOD, largest)
            return cell(f"{text}: below the batch", WARNING, largest)

        cells = _per_site(candidates, scale)
        # A unit the brief does not ask in, and no site gives, says nothing.
        if asked is not None or any(each["value"] is not None for each in cells):
            rows.append(_row(label, cells))
    return rows


def _phase_row(candidates: list[Candidate], asked: str | None) -> Row:
    names = dict(PHASES)

    def phases(site: Site) -> Cell:
        served = [phase.slug for phase in site.phases.all()]
        text = ", ".join(names.get(slug, slug) for slug in served) or "none given"
        if not asked:
            return cell(text, "", text)
        if asked in served:
            return cell(text, GOOD, text)
        position = PHASE_SLUGS.index(asked) if asked in PHASE_SLUGS else -1
        adjacent = {
            PHASE_SLUGS[i] for i in (position - 1, position + 1) if 0 <= i < len(PHASE_SLUGS)
        }
        if position >= 0 and adjacent & set(served):
            return cell(f"{text} (an adjacent phase)", WARNING, text)
        return cell(text, MISSING, text)

    label = "Phases served"
    if asked:
        label += f", the brief's {names.get(asked, asked)}"
    return _row(label, _per_site(candidates, phases))


OFFERED = {
    TermKind.MODALITY: "Modalities",
    TermKind.DOSAGE_FORM: "Dosage forms",
    TermKind.SERVICE: "Services",
    TermKind.TECHNOLOGY: "Technologies",
}


def _offer_rows(candidates: list[Candidate]) -> list[Row]:
    rows = []
    for kind, label in OFFERED.items():

        def offered(site: Site, kind: str = kind) -> Cell:
            names = [c.term.name for c in site.capabilities.all() if c.term.kind == kind]
            text = ", ".join(names) or "none given"
            return cell(text, "", text)

        rows.append(_row(f"{label} offered", _per_site(candidates, offered)))
    rows.append(_phase_row(candidates, None))
    return rows


# --- Quality ------------------------------------------------------------------------------------

# A certificate's state as a cell's flag, and which of a site's certificates of one kind speaks
# for it (the best state, then the latest end date: a renewed certificate over the old one).
CERTIFICATE_FLAGS = {
    CertificationState.VALID: GOOD,
    CertificationState.EXPIRING: EXPIRING,
    CertificationState.EXPIRED: EXPIRED,
    CertificationState.NOT_YET_VALID: WARNING,
    CertificationState.SUSPENDED: EXPIRED,
    CertificationState.WITHDRAWN: EXPIRED,
}
CERTIFICATE_PREFERENCE = [
    CertificationState.VALID,
    CertificationState.EXPIRING,
    CertificationState.NOT_YET_VALID,
    CertificationState.EXPIRED,
    CertificationState.SUSPENDED,
    CertificationState.WITHDRAWN,
]


def _quality_rows(
    candidates: list[Candidate], brief: Brief | None, today: datetime.date
) -> list[Row]:
    required = list(brief.required_certifications) if brief is not None else []
    held = {
        certification.kind
        for candidate in candidates
        if candidate.site is not None
        for certification in candidate.site.certifications.all()
    }
    rows = []
    for kind in CertificationKind.values:
        if kind not in held and kind not in required:
            continue
        label = str(CertificationKind(kind).label)
        if kind in required:
            label += " (the brief requires it)"
        rows.append(
            _row(
                label,
                _per_site(
                    candidates,
                    partial(_certificate, kind=kind, required=kind in required, today=today),
                ),
            )
        )
    since = years_before(today, RECORD_YEARS)
    rows += [
        _row("Compliance score", _per_site(candidates, _compliance)),
        _row("Latest inspection", _per_site(candidates, _latest_inspection)),
        _row(
            f"Warning letters and OAIs, last {RECORD_YEARS} years",
            _per_site(candidates, lambda site: _adverse(site, since)),
        ),
        _containment_row(candidates, brief),
        _dea_row(candidates, brief),
        _row(
            "Capacity available from",
            _per_site(candidates, lambda site: _capacity(site, today)),
        ),
    ]
    return rows


def _certificate(site: Site, kind: str, required: bool, today: datetime.date) -> Cell:
    found = [
        (certification_state(certification, today), certification)
        for certification in site.certifications.all()
        if certification.kind == kind
    ]
    if not found:
        return cell("none", MISSING if required else "", None)
    state, certificate = min(
        found,
        key=lambda pair: (
            CERTIFICATE_PREFERENCE.index(pair[0]),
            -(pair[1].valid_until or datetime.date.max).toordinal(),
        ),
    )
    until = certificate.valid_until
    value = _date(until)
    if state == CertificationState.VALID:
        return cell(f"valid until {until.isoformat()}" if until else "valid", GOOD, value)
    if state == CertificationState.EXPIRING:
        assert until is not None  # only a dated certificate expires
        days = (until - today).days
        return cell(
            f"expires {until.isoformat()} (in {days} day{'s' * (days != 1)}, within "
            f"{EXPIRY_WARNING_DAYS})",
            EXPIRING,
            value,
        )
    if state == CertificationState.EXPIRED:
        return cell(f"expired {until.isoformat()}" if until else "expired", EXPIRED, value)
    if state == CertificationState.NOT_YET_VALID:
        issued = certificate.issued_on.isoformat() if certificate.issued_on else "later"
        return cell(f"not yet valid: from {issued}", WARNING, value)
    return cell(str(state.label).lower(), EXPIRED, value)


def _compliance(site: Site) -> Cell:
    if site.compliance_state != ComplianceState.SCORED or site.compliance_score is None:
        return cell("unknown: no inspection in five years", MISSING, None)
    score = site.compliance_score
    flag = GOOD if score >= COMPLIANCE_GOOD else WARNING if score < COMPLIANCE_CONCERN else ""
    return cell(f"{score:.0f} of 100", flag, score)


def _latest_inspection(site: Site) -> Cell:
    inspections = list(site.inspections.all())  # newest first
    if not inspections:
        return cell(f"none in {RECORD_YEARS * 2} years", MISSING, None)
    latest = inspections[0]
    # An inspection of several project areas is classified by its worst row.
    same = [
        i.classification
        for i in inspections
        if (i.authority, i.inspection_id) == (latest.authority, latest.inspection_id)
    ]
    worst = max(same, key=Classification.values.index)
    flag = {Classification.NAI: GOOD, Classification.OAI: WARNING}.get(worst, "")
    return cell(
        f"{latest.end_date.isoformat()}, {latest.authority}: {worst}", flag, _date(latest.end_date)
    )


def _adverse(site: Site, since: datetime.date) -> Cell:
    """Warning letters and other enforcement actions, and OAI inspections, since the date."""
    events = [
        (i.end_date, f"OAI {i.authority} inspection {i.end_date.isoformat()}")
        for i in site.inspections.all()
        if i.classification == Classification.OAI and i.end_date >= since
    ]
    events += [
        (a.action_date, f"{ActionType(a.action_type).label} {a.action_date.isoformat()}")
        for a in site.actions.all()
        if a.action_type in ADVERSE_STANDING_ACTIONS and a.action_date >= since
    ]
    if not events:
        return cell("none", GOOD, 0)
    events.sort(reverse=True)
    return cell("; ".join(dict.fromkeys(text for _, text in events)), WARNING, len(events))


def _containment_row(candidates: list[Candidate], brief: Brief | None) -> Row:
    asked = brief.max_oel_ug_m3 if brief is not None else None

    def containment(site: Site) -> Cell:
        oel = site.oel_ug_m3
        if oel is None:
            return cell("no data", MISSING if asked is not None else "", None)
        text = f"{format_quantity(oel)} µg/m³"
        if asked is None:
            return cell(text, "", oel)
        if oel <= asked:
            return cell(text, GOOD, oel)
        return cell(f"{text}: not down to the brief's", WARNING, oel)

    label = "Containment: lowest OEL"
    if asked is not None:
        label += f", the brief's {format_quantity(asked)} µg/m³"
    return _row(label, _per_site(candidates, containment))


def _dea_row(candidates: list[Candidate], brief: Brief | None) -> Row:
    asked = brief.dea_schedule if brief is not None and brief.dea_schedule else None

    def schedules(site: Site) -> Cell:
        codes = [schedule.code for schedule in site.dea_schedules.all()]
        text = ", ".join(codes) or "none"
        if asked is None:
            return cell(text, "", text)
        return cell(text, GOOD if asked in codes else MISSING, text)

    label = "DEA schedules"
    if asked is not None:
        label += f", the brief's {dict(DEA_SCHEDULES).get(asked, asked)}"
    return _row(label, _per_site(candidates, schedules))


def _capacity(site: Site, today: datetime.date) -> Cell:
    available = site.capacity_available_from
    if available is None:
        return cell("not given", "", None)
    if available <= today:
        return cell(f"now (since {available.isoformat()})", GOOD, _date(available))
    return cell(available.isoformat(), "", _date(available))


# --- Scores from the run ------------------------------------------------------------------------


def _run_rows(candidates: list[Candidate]) -> list[Row]:
    not_scored = cell(NOT_SCORED, MISSING, None)
    rows = [
        _row("Run", (_run(c) for c in candidates)),
        _row(
            "Score",
            (cell(f"{c.score:.1f}", "", c.score) if c.scored else not_scored for c in candidates),
        ),
        _row(
            "Rank in the run",
            (
                cell(f"#{c.rank}", "", c.rank) if c.scored and c.rank else not_scored
                for c in candidates
            ),
        ),
    ]
    lines = [_breakdown(candidate) for candidate in candidates]
    counted = [
        criterion
        for criterion in CRITERIA
        if any(criterion in line and _counts(line[criterion]) for line in lines)
    ]
    for criterion in counted:
        cells = []
        for candidate, line in zip(candidates, lines, strict=True):
            part = line.get(criterion)
            if not candidate.scored or part is None:
                cells.append(not_scored)
                continue
            sub_score = float(part["sub_score"])
            weight = float(part.get("weight") or 0)
            must = ", must-have" if part.get("must_have") else ""
            cells.append(
                cell(f"{sub_score:.2f} (weight {weight:g}{must})", "", round(sub_score, 4))
            )
        rows.append(_row(f"{Criterion(criterion).label} sub-score", cells))
    return rows


def _run(candidate: Candidate) -> Cell:
    if not candidate.scored:
        return cell(f"{NOT_SCORED}: added from the directory or a profile", MISSING, None)
    when = timezone.localdate(candidate.scored_at) if candidate.scored_at else None
    run = f"run {candidate.run_id}" if candidate.run_id else "a run since deleted"
    text = f"{run}, {when.isoformat()}" if when else run
    return cell(text[:1].upper() + text[1:], "", _date(when))


def _breakdown(candidate: Candidate) -> dict[str, dict]:
    parts = {}
    for part in candidate.breakdown or ():
        if not isinstance(part, dict) or part.get("criterion") not in CRITERIA:
            continue
        try:
            float(part["sub_score"])
        except (KeyError, TypeError, ValueError):
            continue
        parts[part["criterion"]] = part
    return parts


def _counts(part: dict) -> bool:
    try:
        return float(part.get("weight") or 0) > 0 or bool(part.get("must_have"))
    except (TypeError, ValueError):
        return False


# --- Quote --------------------------------------------------------------------------------------


def _quote_of(candidate: Candidate) -> Quote | None:
    try:
        return candidate.quote
    except Quote.DoesNotExist:
        return None


def _quote_rows(candidates: list[Candidate], today: datetime.date) -> list[Row]:
    quotes = [_quote_of(candidate) for candidate in candidates]
    if all(quote is None for quote in quotes):
        return [_row("Quote", (cell(NO_QUOTE, MISSING, None) for _ in candidates))]

    def each(reading: Callable[[Quote], Cell], first: bool = False) -> list[Cell]:
        return [
            reading(quote)
            if quote is not None
            else cell(NO_QUOTE, MISSING, None)
            if first
            else cell(NONE, "", None)
            for quote in quotes
        ]

    def number(value: int | float | None, unit: str = "") -> Cell:
        if value is None:
            return cell("not stated", "", None)
        return cell(f"{format_quantity(float(value))}{unit}", "", value)

    def valid_until(quote: Quote) -> Cell:
        until = quote.valid_until
        if until is None:
            return cell("not stated", "", None)
        value = _date(until)
        if until < today:
            return cell(f"expired {until.isoformat()}", EXPIRED, value)
        days = (until - today).days
        if days <= QUOTE_EXPIRY_WARNING_DAYS:
            when = "today" if days == 0 else f"in {days} day{'s' * (days != 1)}"
            return cell(
                f"expires {until.isoformat()} ({when}, within {QUOTE_EXPIRY_WARNING_DAYS})",
                EXPIRING,
                value,
            )
        return cell(until.isoformat(), "", value)

    # Prices in different currencies do not compare as numbers: the row says so, and each
    # price is flagged (an export then keeps the currency beside it).
    currencies = sorted({quote.currency for quote in quotes if quote is not None})
    price_label, price_flag = "Price", ""
    if len(currencies) > 1:
        price_label = f"Price: currencies differ ({', '.join(currencies)}), not comparable as is"
        price_flag = WARNING
    return [
        _row(
            price_label,
            each(
                lambda q: cell(f"{q.currency} {q.price:,.2f}", price_flag, float(q.price)),
                first=True,
            ),
        ),
        _row("Currency", each(lambda q: cell(q.currency, "", q.currency))),
        _row("Batches covered", each(lambda q: number(q.batches))),
        _row("Batch scale (L)", each(lambda q: number(q.scale_l, " L"))),
        _row("Lead time (weeks)", each(lambda q: number(q.lead_time_weeks, " weeks"))),
        _row("Minimum order (batches)", each(lambda q: number(q.minimum_order_batches))),
        _row("Valid until", each(valid_until)),
        _row(
            "Assumptions",
            each(lambda q: cell(q.assumptions or "none stated", "", q.assumptions or None)),
        ),
    ]


# --- Team scores --------------------------------------------------------------------------------


def _team_rows(candidates: list[Candidate], team: Any) -> list[Row]:
    """Each of the shortlist's criteria: the mean with each member's score ("—" when missing,
    never 0), disagreement flagged; then the weighted mean with how many members scored the
    candidate and on how much of the weight. Scores the viewer may not see yet say so."""
    if not team.criteria:
        return [
            _row(
                "Team scores",
                (cell("no evaluation criteria yet", "", None) for _ in candidates),
            )
        ]
    scores = [team.by_candidate.get(candidate.pk) for candidate in candidates]
    rows = []
    for criterion in team.criteria:
        cells = [_team_cell(score, criterion.pk) for score in scores]
        rows.append(_row(f"{criterion.name} (weight {criterion.weight})", cells))
    rows.append(_row("Weighted mean", (_weighted(score) for score in scores)))
    rows.append(_row("Scored by", (_scored_by(score) for score in scores)))
    return rows


def _mean(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def _team_cell(score: Any, criterion_id: int) -> Cell:
    if score is None:
        return cell("not scored yet", MISSING, None)
    if not score.visible:
        own = score.own.values.get(criterion_id) if score.own is not None else None
        text = HIDDEN if own is None else f"yours {own}; the others' {HIDDEN}"
        return cell(text, "", None)
    mean = score.criterion_means.get(criterion_id)
    members = " · ".join(
        f"{member.member_name} {member.values.get(criterion_id, NONE)}" for member in score.members
    )
    if mean is None:
        return cell(f"not scored yet ({members})" if members else "not scored yet", MISSING, None)
    text = f"{_mean(mean)} ({members})" if members else _mean(mean)
    if score.disagreement.get(criterion_id):
        return cell(f"{text}: members disagree", WARNING, round(mean, 2))
    return cell(text, "", round(mean, 2))


def _weighted(score: Any) -> Cell:
    if score is None:
        return cell("not scored yet", MISSING, None)
    if not score.visible:
        own = score.own.weighted if score.own is not None else None
        text = HIDDEN if own is None else f"yours {own:.1f}; the others' {HIDDEN}"
        return cell(text, "", None)
    if score.weighted_mean is None:
        return cell("not scored yet", MISSING, None)
    # What the mean stands on, beside it: one member on one criterion is not the whole team.
    text = f"{_mean(score.weighted_mean)} (scored by {score.coverage})"
    return cell(text, "", round(score.weighted_mean, 2))


def _scored_by(score: Any) -> Cell:
    count = score.scored_by if score is not None else 0
    return cell(f"{count} member{'s' * (count != 1)}", "" if count else MISSING, count)
