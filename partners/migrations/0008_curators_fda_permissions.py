"""Give the "Curators" group the permissions on the FDA record models added since 0003."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_CATALOGUE_MODELS = ["published483", "citation"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("partners")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Curators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="partners", content_type__model__in=NEW_CATALOGUE_MODELS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Curators"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="partners", content_type__model__in=NEW_CATALOGUE_MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("partners", "0007_regulator_import")]

    operations = [migrations.RunPython(grant, revoke)]
