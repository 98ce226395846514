"""What counts as an event on a site's regulator record, read from what the importers and
curators write: one `SiteEvent` per thing a watcher is told of, each with a stable key.

- a warning letter, import alert, EU non-compliance report, injunction or seizure: one event per
  action, keyed by its case (by its row where it has no case id), so that FDA's corrections of a
  known action (a new date, a product type) are the same event;
- an OAI or VAI inspection: one event per inspection, however many project-area rows FDA gives
  it, keyed by authority and inspection id (an NAI inspection is no event; one FDA later
  classifies VAI or OAI becomes one, and a VAI one made OAI is told again);
- a published 483: one event per document, keyed by the document's row, so that a Record ID FDA
  gave a known document again (merged into it by the importer) is no new event;
- a certificate expiring within 90 days, and expired: one event each per certificate and end
  date, so that a renewed certificate that runs out again is told again.

Every event links to its record on the provider's profile (rows there carry these anchors).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from partners.choices import ActionType, Classification
from partners.models import Certification, Inspection, Published483, RegulatoryAction, Site
from partners.validity import CertificationState, certification_state
from sourcing.choices import AlertKind

ACTION_KINDS = {
    ActionType.WARNING_LETTER: AlertKind.WARNING_LETTER,
    ActionType.IMPORT_ALERT: AlertKind.IMPORT_ALERT,
    ActionType.EU_NON_COMPLIANCE: AlertKind.EU_NON_COMPLIANCE,
    ActionType.INJUNCTION: AlertKind.ENFORCEMENT,
    ActionType.SEIZURE: AlertKind.ENFORCEMENT,
}
# Which event a summary of several leads with: the most serious first.
SEVERITY: list[str] = [
    AlertKind.WARNING_LETTER,
    AlertKind.IMPORT_ALERT,
    AlertKind.EU_NON_COMPLIANCE,
    AlertKind.ENFORCEMENT,
    AlertKind.INSPECTION,
    AlertKind.FORM_483,
    AlertKind.CERTIFICATE,
    AlertKind.COMPLIANCE_DROP,
]
TOLD_CLASSIFICATIONS = (Classification.OAI, Classification.VAI)


@dataclass(frozen=True, slots=True)
class SiteEvent:
    """One event on a site: its key (unique per site), kind, one line saying what happened,
    when, where the record came from, and the anchor of its row on the profile."""

    key: str
    kind: str
    text: str
    date: datetime.date | None
    source: str
    anchor: str

    def item(self, profile_url: str) -> dict:
        """The event as an alert's item (stored as JSON)."""
        return {
            "kind": self.kind,
            "text": self.text,
            "date": self.date.isoformat() if self.date else "",
            "source": self.source,
            "url": f"{profile_url}#{self.anchor}",
        }


def action_key(authority: str, action_type: str, case_id: str, pk: int) -> str:
    return f"action:{authority}:{action_type}:{case_id}" if case_id else f"action:row:{pk}"


def inspection_key(authority: str, inspection_id: str, classification: str) -> str:
    """An inspection's key: one per inspection, and one more should FDA classify it OAI later
    (a VAI inspection made OAI is told again, the most serious news an inspection gives)."""
    key = f"inspection:{authority}:{inspection_id}"
    return f"{key}:OAI" if classification == Classification.OAI else key


def current_events(
    site_ids: Iterable[int], today: datetime.date
) -> dict[int, dict[str, SiteEvent]]:
    """The events each of these sites' records hold today, by site id and key: four queries."""
    site_ids = list(site_ids)
    found: dict[int, dict[str, SiteEvent]] = defaultdict(dict)
    if not site_ids:
        return found

    def add(site_id: int, event: SiteEvent) -> None:
        found[site_id].setdefault(event.key, event)

    actions = (
        RegulatoryAction.objects.filter(site_id__in=site_ids)
        .order_by("pk")
        .values_list(
            "pk", "site_id", "authority", "action_type", "case_id", "action_date", "source"
        )
    )
    for pk, site_id, authority, action_type, case_id, day, source in actions:
        label = ActionType(action_type).label if action_type in ActionType.values else action_type
        cited = f" {case_id}" if case_id else ""
        add(
            site_id,
            SiteEvent(
                key=action_key(authority, action_type, case_id, pk),
                kind=ACTION_KINDS.get(action_type, AlertKind.ENFORCEMENT),
                text=f"{authority} {label.lower()}{cited} dated {day.isoformat()}",
                date=day,
                source=source,
                anchor=f"action-{pk}",
            ),
        )

    # One event per inspection, at its worst classification. Its anchor is the row the profile
    # shows that classification on: the inspection's rows so classified, first by project area
    # (partners/directory/profile.py groups them so).
    rows = (
        Inspection.objects.filter(site_id__in=site_ids, classification__in=TOLD_CLASSIFICATIONS)
        .order_by("project_area", "pk")
        .values_list(
            "pk", "site_id", "authority", "inspection_id", "end_date", "classification", "source"
        )
    )
    shown: dict[tuple[int, str, str], tuple] = {}
    for row in rows:
        ident = (row[1], row[2], row[3])
        held = shown.get(ident)
        if held is None or (row[5] == Classification.OAI and held[5] != Classification.OAI):
            shown[ident] = row
    for pk, site_id, authority, inspection_id, end_date, classification, source in sorted(
        shown.values()
    ):
        add(
            site_id,
            SiteEvent(
                key=inspection_key(authority, inspection_id, classification),
                kind=AlertKind.INSPECTION,
                text=(
                    f"{authority} inspection {inspection_id} classified {classification}, "
                    f"ended {end_date.isoformat()}"
                ),
                date=end_date,
                source=source,
                anchor=f"inspection-{pk}",
            ),
        )

    documents = (
        Published483.objects.filter(site_id__in=site_ids)
        .order_by("pk")
        .values_list("pk", "site_id", "record_date", "publish_date", "record_type", "source")
    )
    for pk, site_id, record_date, publish_date, record_type, source in documents:
        day = record_date or publish_date
        add(
            site_id,
            SiteEvent(
                key=f"483:{pk}",
                kind=AlertKind.FORM_483,
                text=f"FDA published a {record_type or 'Form 483'} dated {day.isoformat()}",
                date=day,
                source=source,
                anchor=f"483-{pk}",
            ),
        )

    certificates = Certification.objects.filter(
        site_id__in=site_ids, valid_until__isnull=False
    ).order_by("pk")
    for certificate in certificates:
        state = certification_state(certificate, today)
        if state not in (CertificationState.EXPIRING, CertificationState.EXPIRED):
            continue
        name = certificate.get_kind_display()
        reference = f" {certificate.reference}" if certificate.reference else ""
        until = certificate.valid_until.isoformat()
        text = (
            f"{name}{reference} expired on {until}"
            if state == CertificationState.EXPIRED
            else f"{name}{reference} expires on {until}"
        )
        add(
            certificate.site_id,
            SiteEvent(
                key=f"certificate:{certificate.pk}:{until}:{state}",
                kind=AlertKind.CERTIFICATE,
                text=text,
                date=certificate.valid_until,
                source=certificate.source,
                anchor=f"site-{certificate.site_id}-certifications",
            ),
        )
    return found


def profile_urls(site_ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """Each site's profile address, name and provider's name: one query. An establishment
    named after its firm (as FDA's registrations name them) is named by its city instead, so
    that "provider — site" does not say the firm twice ("Acme Ltd. (Linhai)" of Acme Ltd.
    reads "Acme Ltd. — Linhai")."""
    rows = Site.objects.filter(pk__in=list(site_ids)).values_list(
        "pk", "name", "city", "provider__name", "provider__slug"
    )
    places = {}
    for pk, name, city, provider, slug in rows:
        if name.casefold().startswith(provider.casefold()):
            name = city or name
        places[pk] = (reverse("partners:provider", args=[slug]), name, provider)
    return places
