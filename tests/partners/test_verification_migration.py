"""The migration that makes a verification date required fills in the dates missing first: the
day the provider became verified as its history says, else the day its row last changed."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection

from partners.models import Provider

MIGRATION = importlib.import_module("partners.migrations.0012_provider_verified_has_date")
HistoricalProvider = apps.get_model("partners", "HistoricalProvider")

pytestmark = pytest.mark.django_db


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC)


@pytest.fixture
def rows_from_before_the_constraint():
    """Lift the check for the test's transaction, as the rows met none before the migration."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            cursor.execute(
                "ALTER TABLE partners_provider DROP CONSTRAINT partners_provider_verified_has_date"
            )
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
    # On PostgreSQL the test's rollback puts the constraint back.


def _provider(slug: str, status: str, updated_at: datetime.datetime, verified_on=None):
    provider = Provider.objects.create(
        name=slug, slug=slug, kind="cdmo", country="DE", verification_status=status,
        verified_on=verified_on,
    )  # fmt: skip
    Provider.objects.filter(pk=provider.pk).update(updated_at=updated_at)
    provider.history.all().delete()
    return provider


def _history(provider: Provider, status: str, when: datetime.datetime) -> None:
    HistoricalProvider.objects.create(
        id=provider.pk, name=provider.name, slug=provider.slug, kind="cdmo", country="DE",
        verification_status=status, created_at=when, updated_at=when, history_date=when,
        history_type="~",
    )  # fmt: skip


def test_providers_verified_without_a_date_get_the_day_they_became_verified(
    rows_from_before_the_constraint,
):
    # Verified in March, unverified in May, verified again in July: July it is.
    reverified = _provider("reverified", "verified", _utc(2026, 8, 1, 9))
    _history(reverified, "unverified", _utc(2026, 1, 10))
    _history(reverified, "verified", _utc(2026, 3, 2))
    _history(reverified, "unverified", _utc(2026, 5, 5))
    _history(reverified, "verified", _utc(2026, 7, 14))
    _history(reverified, "verified", _utc(2026, 8, 1, 9))  # a later edit, still verified
    # Bulk-loaded: no history, so the day its row last changed.
    loaded = _provider("loaded", "verified", _utc(2025, 11, 20, 23, 59))
    dated = _provider("dated", "verified", _utc(2026, 1, 1), datetime.date(2025, 12, 24))
    unverified = _provider("unverified", "unverified", _utc(2026, 1, 1))

    MIGRATION.fill_verification_dates(apps, connection.schema_editor())

    assert dict(Provider.objects.values_list("slug", "verified_on")) == {
        "reverified": datetime.date(2026, 7, 14),
        "loaded": datetime.date(2025, 11, 20),
        "dated": datetime.date(2025, 12, 24),
        "unverified": None,
    }
    # The row's last change stays the curator's; the fill is in the history, with a reason.
    assert Provider.objects.get(slug="loaded").updated_at == _utc(2025, 11, 20, 23, 59)
    filled = HistoricalProvider.objects.filter(history_change_reason=MIGRATION.CHANGE_REASON)
    assert sorted(filled.values_list("id", "verified_on")) == sorted(
        [
            (reverified.pk, datetime.date(2026, 7, 14)),
            (loaded.pk, datetime.date(2025, 11, 20)),
        ]
    )
    assert not HistoricalProvider.objects.filter(id__in=[dated.pk, unverified.pk]).exists()


def test_the_constraint_is_added_after_the_dates_are_filled():
    operations = [type(operation).__name__ for operation in MIGRATION.Migration.operations]

    assert operations[0] == "RunPython"
    assert operations[-1] == "AddConstraint"
