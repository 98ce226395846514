"""A verified provider has a verification date, enforced by a check constraint.

Providers verified without a date get the day they became verified, as their history records
it (the start of their latest verified stretch), or else the day their row last changed: a
date the verification truly happened by, where today would make an old verification look
fresh. Each gets a history entry saying so.
"""

import datetime

from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

VERIFIED = "verified"
CHANGE_REASON = "Verification date filled in from the record's history"


def verified_since(history) -> datetime.datetime | None:
    """When the latest unbroken run of verified states in `history` (oldest first) began."""
    since = None
    for record in history:
        if record.verification_status != VERIFIED:
            since = None
        elif since is None:
            since = record.history_date
    return since


def fill_verification_dates(apps, schema_editor):
    Provider = apps.get_model("partners", "Provider")
    HistoricalProvider = apps.get_model("partners", "HistoricalProvider")
    undated = Provider.objects.filter(verification_status=VERIFIED, verified_on__isnull=True)
    now = timezone.now()
    for provider in undated.iterator():
        history = HistoricalProvider.objects.filter(id=provider.pk).order_by(
            "history_date", "history_id"
        )
        since = verified_since(history.only("verification_status", "history_date"))
        provider.verified_on = timezone.localdate(since or provider.updated_at)
        # update(), not save(): the row's updated_at stays the last curator's change.
        Provider.objects.filter(pk=provider.pk).update(verified_on=provider.verified_on)
        entry = HistoricalProvider(
            history_date=now, history_type="~", history_change_reason=CHANGE_REASON
        )
        for field in Provider._meta.concrete_fields:
            setattr(entry, field.attname, getattr(provider, field.attname))
        entry.save()


class Migration(migrations.Migration):
    dependencies = [("partners", "0011_published483_identity")]

    operations = [
        migrations.RunPython(fill_verification_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="historicalprovider",
            name="verified_on",
            field=models.DateField(
                blank=True,
                help_text="The day a curator last verified the profile; required when verified.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="provider",
            name="verified_on",
            field=models.DateField(
                blank=True,
                help_text="The day a curator last verified the profile; required when verified.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="provider",
            constraint=models.CheckConstraint(
                condition=~Q(verification_status="verified") | Q(verified_on__isnull=False),
                name="partners_provider_verified_has_date",
                violation_error_message="A verified provider needs the date it was verified.",
            ),
        ),
    ]
