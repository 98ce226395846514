"""A published 483 is identified by its FEI, record date and download URL, and by the Record IDs
in Published483RecordId (0010), which take the place of its single Record ID.

Backwards, each document gets back one Record ID: the first FDA gave it.
"""

from collections import defaultdict

from django.db import migrations, models
from django.db.models import Q

CHUNK = 2000


def fda_numbering(record_id):
    """partners.models.regulator.fda_numbering, as it is when this migration was written."""
    if record_id.isdigit():
        return (1, int(record_id), "")
    return (0, 0, record_id)


def restore_record_id(apps, schema_editor):
    Published483 = apps.get_model("partners", "Published483")
    RecordId = apps.get_model("partners", "Published483RecordId")
    record_ids = defaultdict(list)
    for document_id, record_id in RecordId.objects.values_list("document_id", "record_id"):
        record_ids[document_id].append(record_id)
    documents = []
    for document in Published483.objects.only("pk"):
        # A document a curator entered without one gets its id, to stay unique.
        known = record_ids.get(document.pk) or [f"id-{document.pk}"]
        document.record_id = min(known, key=fda_numbering)
        documents.append(document)
    Published483.objects.bulk_update(documents, ["record_id"], batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [("partners", "0010_published483_record_ids")]

    operations = [
        migrations.RemoveConstraint(
            model_name="published483", name="partners_published483_unique_record"
        ),
        # Backwards, the column comes back filled with "" (the default given here), then each
        # row's first Record ID, before its unique constraint is back.
        migrations.AlterField(
            model_name="published483",
            name="record_id",
            field=models.CharField(default="", max_length=40, verbose_name="record ID"),
        ),
        migrations.AlterField(
            model_name="historicalpublished483",
            name="record_id",
            field=models.CharField(default="", max_length=40, verbose_name="record ID"),
        ),
        migrations.RunPython(migrations.RunPython.noop, restore_record_id),
        migrations.RemoveField(model_name="historicalpublished483", name="record_id"),
        migrations.RemoveField(model_name="published483", name="record_id"),
        migrations.AlterModelOptions(
            name="published483",
            options={"ordering": ["-publish_date", "pk"], "verbose_name": "published 483"},
        ),
        migrations.AddConstraint(
            model_name="published483",
            constraint=models.UniqueConstraint(
                condition=~Q(download_url="") & Q(record_date__isnull=False),
                fields=("fei_number", "record_date", "download_url"),
                name="partners_published483_unique_document",
            ),
        ),
        migrations.AddConstraint(
            model_name="published483",
            constraint=models.UniqueConstraint(
                condition=~Q(download_url="") & Q(record_date__isnull=True),
                fields=("fei_number", "download_url"),
                name="partners_published483_unique_undated_document",
            ),
        ),
    ]
