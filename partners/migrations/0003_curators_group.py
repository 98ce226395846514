"""Create the "Curators" group with exactly the permissions on the catalogue's models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATORS = "Curators"
CATALOGUE_MODELS = [
    "term",
    "phase",
    "deaschedule",
    "provider",
    "site",
    "sitecapability",
    "certification",
    "inspection",
    "regulatoryaction",
]


def create_curators(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="partners", content_type__model__in=CATALOGUE_MODELS
        )
    )


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CURATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_vocabulary"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators, remove_curators)]
