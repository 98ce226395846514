"""Guard rails and the availability criterion.

A brief's batch size and OEL are checked against physically sensible ranges
(matching/validation.py, BATCH_SIZE_RANGE and OEL_RANGE). Briefs stored outside them keep their
values: they still open, and their page asks for a correction before they are run.

Every stored brief gets a weight for the new `availability` criterion, the default one (3): its
weights are stored per criterion. It has no effect until the brief gives a needed-by date.
"""

from django.db import migrations, models

import matching.validation

# Frozen here: a migration must not follow later changes of the code it migrates.
CRITERION = "availability"
DEFAULT_WEIGHT = 3


def add_availability_weight(apps, schema_editor) -> None:
    Brief = apps.get_model("matching", "Brief")
    changed = []
    for brief in Brief.objects.only("pk", "weights").iterator(chunk_size=2000):
        weights = dict(brief.weights or {})
        if CRITERION not in weights:
            weights[CRITERION] = DEFAULT_WEIGHT
            brief.weights = weights
            changed.append(brief)
    Brief.objects.bulk_update(changed, ["weights"], batch_size=2000)


def remove_availability_weight(apps, schema_editor) -> None:
    Brief = apps.get_model("matching", "Brief")
    changed = []
    for brief in Brief.objects.only("pk", "weights").iterator(chunk_size=2000):
        weights = dict(brief.weights or {})
        if weights.pop(CRITERION, None) is not None:
            brief.weights = weights
            changed.append(brief)
    Brief.objects.bulk_update(changed, ["weights"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0009_must_have_items"),
    ]

    operations = [
        migrations.AlterField(
            model_name="brief",
            name="batch_size",
            field=models.FloatField(
                blank=True,
                help_text="Per batch, in the unit: from 0.001 to 100,000.",
                null=True,
                validators=[matching.validation.validate_batch_size],
            ),
        ),
        migrations.AlterField(
            model_name="brief",
            name="max_oel_ug_m3",
            field=models.FloatField(
                blank=True,
                help_text="The product's occupational exposure limit, from 0.001 to 100,000 "
                "µg/m³; a site must contain down to it.",
                null=True,
                validators=[matching.validation.validate_oel],
                verbose_name="OEL to contain (µg/m³)",
            ),
        ),
        migrations.RunPython(add_availability_weight, remove_availability_weight),
    ]
