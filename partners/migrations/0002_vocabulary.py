"""Ship the catalogue vocabulary: capability terms, development phases and DEA schedules."""

from django.db import migrations

from partners.choices import DEA_SCHEDULES, PHASES
from partners.vocabulary import CAPABILITY_TERMS


def load_vocabulary(apps, schema_editor):
    Term = apps.get_model("partners", "Term")
    Phase = apps.get_model("partners", "Phase")
    DeaSchedule = apps.get_model("partners", "DeaSchedule")
    for kind, terms in CAPABILITY_TERMS.items():
        for slug, name in terms:
            Term.objects.update_or_create(slug=slug, defaults={"kind": kind, "name": name})
    for rank, (slug, name) in enumerate(PHASES):
        Phase.objects.update_or_create(slug=slug, defaults={"name": name, "rank": rank})
    for rank, (code, name) in enumerate(DEA_SCHEDULES):
        DeaSchedule.objects.update_or_create(code=code, defaults={"name": name, "rank": rank})


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(load_vocabulary, migrations.RunPython.noop)]
