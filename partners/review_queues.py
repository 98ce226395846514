"""The curators' review queues: catalogue rows that need a curator's look, counted on the admin's
front page and worked through as a filter ("review") of each model's admin list.

A queue is a condition on one model, built for a day. Adding one is adding an entry to QUEUES:
the front page counts it and the model's admin list offers it, as long as that admin lists
`ReviewQueueFilter` (partners/admin.py).
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from partners.choices import CertificationKind, CertificationStatus, VerificationStatus
from partners.models import Certification, Provider, Site
from partners.regulatory.linking import ambiguous_fei_condition, ambiguous_records

# How far ahead "expiring soon" looks.
EXPIRY_NOTICE_DAYS = 90
# The admin list's query parameter that selects a queue.
QUEUE_PARAMETER = "review"
# How many ambiguous FEIs the front page names.
LISTED_FEIS = 5


@dataclass(frozen=True)
class ReviewQueue:
    """Rows of `model` meeting `condition(today)`; `key` names the queue in the admin's URL."""

    key: str
    model: type[models.Model]
    title: str
    explanation: str
    condition: Callable[[datetime.date], Q]
    # What the rows amount to, said under the queue's title when it is not just their number.
    summary: Callable[[], str] | None = None

    def rows(self, today: datetime.date) -> models.QuerySet:
        return self.model._default_manager.filter(self.condition(today))

    @property
    def url(self) -> str:
        """The model's admin list, filtered to the queue."""
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return f"{changelist}?{QUEUE_PARAMETER}={self.key}"


def _not_renewed() -> Q:
    """An active certificate with no later one of the same kind at its site: once a renewal is
    entered, the old certificate leaves the expiry queues by itself."""
    later = Certification.objects.filter(
        site=OuterRef("site"), kind=OuterRef("kind"), status=CertificationStatus.ACTIVE
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=OuterRef("valid_until")))
    return Q(status=CertificationStatus.ACTIVE) & ~Q(Exists(later))


# FDA's establishment registrations have their own queue: every one of an import expires on
# the same day, and they would bury the certificates a provider has to be asked for.
_REGISTRATION = Q(kind=CertificationKind.FDA_REGISTRATION)


def _expiring(today: datetime.date) -> Q:
    notice = today + datetime.timedelta(days=EXPIRY_NOTICE_DAYS)
    return Q(valid_until__gte=today, valid_until__lte=notice) & ~_REGISTRATION & _not_renewed()


def _expired(today: datetime.date) -> Q:
    return Q(valid_until__lt=today) & ~_REGISTRATION & _not_renewed()


def _registration_expired(today: datetime.date) -> Q:
    return Q(valid_until__lt=today) & _REGISTRATION & _not_renewed()


def _ambiguous_summary() -> str:
    """What the ambiguous records amount to, as "7 records of FEIs 3001234567, 3002345678"."""
    records = ambiguous_records()
    if not records:
        return ""
    total = sum(records.values())
    feis = list(records)
    named = ", ".join(feis[:LISTED_FEIS])
    more = f" and {len(feis) - LISTED_FEIS:,} more" if len(feis) > LISTED_FEIS else ""
    noun = "record" if total == 1 else "records"
    return f"{total:,} {noun} of FEI{'s' if len(feis) > 1 else ''} {named}{more}."


QUEUES: tuple[ReviewQueue, ...] = (
    ReviewQueue(
        key="unverified",
        model=Provider,
        title="Unverified providers",
        explanation="Profiles no curator has checked yet.",
        condition=lambda today: Q(verification_status=VerificationStatus.UNVERIFIED),
    ),
    ReviewQueue(
        key="expiring",
        model=Certification,
        title=f"Certificates expiring within {EXPIRY_NOTICE_DAYS} days",
        explanation="Active and not yet renewed: ask the provider for the new one.",
        condition=_expiring,
    ),
    ReviewQueue(
        key="expired",
        model=Certification,
        title="Certificates expired and not renewed",
        explanation="Enter the renewal, or mark the certificate withdrawn.",
        condition=_expired,
    ),
    ReviewQueue(
        key="registration_expired",
        model=Certification,
        title="FDA registrations past their expiry date",
        explanation="Not renewed in the registration file imported last: re-import FDA's "
        "current file, or ask whether the establishment still operates.",
        condition=_registration_expired,
    ),
    ReviewQueue(
        key="no_fei",
        model=Site,
        title="Sites without FEI or DUNS",
        explanation="No FDA establishment identifier nor D-U-N-S number: no inspection or action "
        "can link to them, and no registration import can find them.",
        condition=lambda today: Q(fei_number="", duns_number=""),
    ),
    ReviewQueue(
        key="ambiguous_fei",
        model=Site,
        title="Ambiguous FEIs",
        explanation="Sites sharing an FEI whose records name a firm none of them is named after: "
        "those records are linked to no site. Name the right site as FDA names the firm, or "
        "correct an FEI.",
        condition=lambda today: ambiguous_fei_condition(),
        summary=_ambiguous_summary,
    ),
)


def queues_of(model: type[models.Model]) -> list[ReviewQueue]:
    return [queue for queue in QUEUES if queue.model is model]


def queue_named(key: str) -> ReviewQueue | None:
    return next((queue for queue in QUEUES if queue.key == key), None)


def queue_counts(
    queues: Iterable[ReviewQueue], today: datetime.date
) -> list[tuple[ReviewQueue, int]]:
    """Each queue with the number of rows in it: one COUNT a queue. (Counted together as one
    conditional aggregate per model, the certificates' "not renewed" subquery runs once per
    row, and PostgreSQL compiles the query: ten times slower on a 20,000-site catalogue.)"""
    return [(queue, queue.rows(today).order_by().count()) for queue in queues]
