"""The catalogue version: read it to validate a cache, bump it whenever the catalogue changes.

Saves and deletes through the ORM bump it through signals (partners/signals.py); code that
writes in bulk (seeding, linking, score recomputation) calls `bump_catalogue_version` itself.
The bump is an UPDATE in the writer's transaction, so readers see the new token exactly when
they can see the new data.
"""

import uuid

from django.utils import timezone

from partners.models import CatalogueVersion

VERSION_ROW = 1


def current_catalogue_version() -> str:
    token = CatalogueVersion.objects.filter(pk=VERSION_ROW).values_list("token", flat=True).first()
    return token or bump_catalogue_version()


def bump_catalogue_version() -> str:
    token = uuid.uuid4().hex
    changed = CatalogueVersion.objects.filter(pk=VERSION_ROW).update(
        token=token, changed_at=timezone.now()
    )
    if not changed:
        CatalogueVersion.objects.update_or_create(
            pk=VERSION_ROW, defaults={"token": token, "changed_at": timezone.now()}
        )
    return token
