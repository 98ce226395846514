"""Domain verbs for catalogue querysets (`.valid_on(date)`, `.with_capability(slug)`, ...)."""

import datetime

from django.db import models
from django.db.models import Q


class CertificationQuerySet(models.QuerySet):
    def valid_on(self, date: datetime.date) -> "CertificationQuerySet":
        """Active certificates that have been issued by `date` and do not expire before it."""
        return self.filter(
            Q(issued_on__isnull=True) | Q(issued_on__lte=date),
            Q(valid_until__isnull=True) | Q(valid_until__gte=date),
            status="active",
        )


class RegulatorRecordQuerySet(models.QuerySet):
    def unlinked(self) -> "RegulatorRecordQuerySet":
        """Records whose FEI no site in the catalogue carries yet."""
        return self.filter(site__isnull=True).exclude(fei_number="")
