"""Fill `Result.excluded_by` for the runs stored before it existed, from the reason's prefix.

A reason names its constraint first (matching/engine.py, MatchOutcome._reason): "Modality: ...",
"Excluded country: ...", "Must-have <Criterion label>: ...". The labels are copied here as they
were when this migration was written, as migrations must not import the code that changes.
"""

from django.db import migrations

PREFIXES = {
    "Modality:": "modality",
    "Excluded country:": "excluded_countries",
    **{
        f"Must-have {label.capitalize()}:": criterion
        for criterion, label in {
            "capability": "capability",
            "phase": "phase",
            "scale": "scale",
            "markets": "target markets",
            "certifications": "certifications",
            "compliance": "compliance record",
            "containment": "containment",
            "controlled_substances": "controlled substances",
            "geography": "geography",
            "development": "development",
        }.items()
    },
}


def backfill(apps, schema_editor):
    Result = apps.get_model("matching", "Result")
    missing = Result.objects.filter(eligible=False, excluded_by="")
    for prefix, constraint in PREFIXES.items():
        missing.filter(reason__startswith=prefix).update(excluded_by=constraint)


class Migration(migrations.Migration):
    dependencies = [("matching", "0003_result_excluded_by")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
