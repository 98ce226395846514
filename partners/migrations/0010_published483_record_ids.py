"""Published 483s keep every Record ID FDA gave them, and the 483s stored twice are merged.

FDA has renumbered published 483s: the same document (same FEI, record date and download URL)
appears in a later export under a new Record ID, and importing both exports stored it twice. Each
document's Record ID moves to a table of its own (Published483RecordId); documents sharing an FEI,
record date and download URL are merged into the oldest of them, which takes every Record ID of
the group and the values FDA gave under the latest one (as the importer does from now on). The
merged-away rows' history is repointed to the document kept, which gets a history row saying what
was merged; the merged-away rows are deleted. Documents without a download URL are left alone:
nothing tells them apart from another 483 of the same FEI and day.

Backwards this is a no-op for the merge (the documents stay merged); 0011 gives each document
back one Record ID, its first.
"""

import uuid
from collections import defaultdict

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

# The fields a merged document takes from the row FDA published under its latest Record ID (the
# identity, FEI, record date and download URL, is the same in all of them).
VALUES = (
    "authority",
    "legal_name",
    "state",
    "country_area",
    "product_type",
    "source",
    "retrieved_at",
    "record_type",
    "publish_date",
    "site_id",
)
CHUNK = 2000
REASON_LIMIT = 100  # HistoricalPublished483.history_change_reason.max_length


def fda_numbering(record_id):
    """partners.models.regulator.fda_numbering, as it is when this migration was written."""
    if record_id.isdigit():
        return (1, int(record_id), "")
    return (0, 0, record_id)


def merge_renumbered_483s(apps, schema_editor):
    """Give every 483 its Record ID as a row of its own, merging the 483s stored twice."""
    now = timezone.now()
    merged_ids = merge_duplicates(apps, now)
    give_record_id_rows(apps, merged_ids, now)
    if merged_ids:
        # What profiles show changed: caches keyed by the catalogue version must rebuild.
        CatalogueVersion = apps.get_model("partners", "CatalogueVersion")
        CatalogueVersion.objects.update(token=uuid.uuid4().hex, changed_at=now)


def merge_duplicates(apps, now):
    """Merge each group of documents sharing FEI, record date and download URL into its oldest
    row; returns {kept document's id: the Record IDs of the rows merged into it}."""
    Published483 = apps.get_model("partners", "Published483")
    identity = ("fei_number", "record_date", "download_url")
    # GROUP BY puts NULL record dates together, as the undated constraint of 0011 does.
    twice = (
        Published483.objects.exclude(download_url="")
        .values(*identity)
        .annotate(documents=Count("pk"))
        .filter(documents__gt=1)
        .order_by()
    )
    urls = sorted({row["download_url"] for row in twice})
    merged_ids = {}
    for start in range(0, len(urls), CHUNK):
        groups = defaultdict(list)
        documents = Published483.objects.filter(download_url__in=urls[start : start + CHUNK])
        for document in documents.order_by("created_at", "pk"):
            groups[tuple(getattr(document, name) for name in identity)].append(document)
        for kept, *duplicates in groups.values():
            if duplicates:
                merged_ids[kept.pk] = merge(apps, kept, duplicates, now)
    return merged_ids


def merge(apps, kept, duplicates, now):
    """Merge the duplicates into the document kept; returns their Record IDs."""
    Published483 = apps.get_model("partners", "Published483")
    HistoricalPublished483 = apps.get_model("partners", "HistoricalPublished483")
    latest = max([kept, *duplicates], key=lambda document: fda_numbering(document.record_id))
    for name in VALUES:
        setattr(kept, name, getattr(latest, name))
    kept.updated_at = now
    Published483.objects.filter(pk=kept.pk).update(
        updated_at=now, **{name: getattr(kept, name) for name in VALUES}
    )
    others = [duplicate.pk for duplicate in duplicates]
    # Their history is the document's history now.
    HistoricalPublished483.objects.filter(id__in=others).update(id=kept.pk)
    record_ids = [duplicate.record_id for duplicate in duplicates]
    reason = "Merged: FDA published it again as Record ID " + ", ".join(record_ids)
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 1] + "\u2026"
    HistoricalPublished483.objects.create(
        **{field.attname: getattr(kept, field.attname) for field in kept._meta.fields},
        history_date=now,
        history_type="~",
        history_change_reason=reason,
    )
    Published483.objects.filter(pk__in=others).delete()
    return record_ids


def give_record_id_rows(apps, merged_ids, now):
    """One Published483RecordId per Record ID, known since its document was, each with the
    history row of its creation."""
    Published483 = apps.get_model("partners", "Published483")
    RecordId = apps.get_model("partners", "Published483RecordId")
    HistoricalRecordId = apps.get_model("partners", "HistoricalPublished483RecordId")
    documents = Published483.objects.order_by("pk").values_list("pk", "record_id", "created_at")
    last = 0
    while chunk := list(documents.filter(pk__gt=last)[:CHUNK]):
        last = chunk[-1][0]
        rows = [
            RecordId(document_id=pk, record_id=record_id)
            for pk, first, _ in chunk
            for record_id in (first, *merged_ids.get(pk, ()))
        ]
        created = RecordId.objects.bulk_create(rows)
        # auto_now_add stamped them now; a Record ID has been known since its document was.
        known_since = {pk: created_at for pk, _, created_at in chunk}
        for row in created:
            row.created_at = known_since[row.document_id]
        RecordId.objects.bulk_update(created, ["created_at"])
        HistoricalRecordId.objects.bulk_create(
            HistoricalRecordId(
                id=row.pk,
                record_id=row.record_id,
                document_id=row.document_id,
                created_at=row.created_at,
                updated_at=row.updated_at,
                history_date=now,
                history_type="+",
                history_change_reason=(
                    "Merged: FDA renumbered the 483"
                    if row.record_id in merged_ids.get(row.document_id, ())
                    else "The Record ID the 483 was imported with"
                ),
            )
            for row in created
        )


def grant(apps, schema_editor):
    """Curators edit a 483's Record IDs with the 483 (0008 gave them the 483s)."""
    app_config = apps.get_app_config("partners")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Curators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="partners", content_type__model="published483recordid"
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Curators"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="partners", content_type__model="published483recordid"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0009_directory_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Published483RecordId",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("record_id", models.CharField(max_length=40, verbose_name="record ID")),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="record_ids",
                        to="partners.published483",
                    ),
                ),
            ],
            options={
                "verbose_name": "published 483 record ID",
                "ordering": ["document", "record_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("record_id",), name="partners_published483recordid_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="HistoricalPublished483RecordId",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(blank=True, editable=False)),
                ("updated_at", models.DateTimeField(blank=True, editable=False)),
                ("record_id", models.CharField(max_length=40, verbose_name="record ID")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                        max_length=1,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="partners.published483",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical published 483 record ID",
                "verbose_name_plural": "historical published 483 record IDs",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(merge_renumbered_483s, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
    ]
