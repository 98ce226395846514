"""Where a certificate stands on a given day: the one rule every page and export shows.

Validity follows from the certificate's dates and status (DESIGN.md: never a bare boolean).
`Certification.is_valid_on` decides valid or not; this module adds the distinctions a reader
needs next to it: expiring soon, expired, not yet in force, suspended, withdrawn.
"""

import datetime

from django.db import models
from django.utils import timezone

from partners.choices import CertificationStatus
from partners.models import Certification

# A certificate this close to its end date still counts as valid but is flagged: renewals of GMP
# certificates take months, so a sponsor needs to see it before it lapses.
EXPIRY_WARNING_DAYS = 90


class CertificationState(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRING = "expiring", f"Expires within {EXPIRY_WARNING_DAYS} days"
    EXPIRED = "expired", "Expired"
    NOT_YET_VALID = "not-yet-valid", "Not yet valid"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"


def certification_state(
    certification: Certification, today: datetime.date | None = None
) -> CertificationState:
    """The state of `certification` on `today` (the local date when not given)."""
    today = today or timezone.localdate()
    # A suspension or withdrawal overrides the dates: the authority has spoken.
    if certification.status == CertificationStatus.SUSPENDED:
        return CertificationState.SUSPENDED
    if certification.status == CertificationStatus.WITHDRAWN:
        return CertificationState.WITHDRAWN
    if certification.is_valid_on(today):
        valid_until = certification.valid_until
        if valid_until is not None and (valid_until - today).days <= EXPIRY_WARNING_DAYS:
            return CertificationState.EXPIRING
        return CertificationState.VALID
    if certification.issued_on is not None and certification.issued_on > today:
        return CertificationState.NOT_YET_VALID
    return CertificationState.EXPIRED
