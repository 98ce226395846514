"""Ship the catalogue vocabulary: capability terms, development phases and DEA schedules."""

from django.db import migrations

from partners.vocabulary import install_vocabulary


def load_vocabulary(apps, schema_editor):
    install_vocabulary(
        apps.get_model("partners", "Term"),
        apps.get_model("partners", "Phase"),
        apps.get_model("partners", "DeaSchedule"),
    )


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(load_vocabulary, migrations.RunPython.noop)]
