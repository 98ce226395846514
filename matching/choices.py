"""The matching app's fixed vocabularies: the criteria and a brief's batch units."""

from django.db import models

# A brief's weights run from MIN_WEIGHT (ignored) to MAX_WEIGHT; a new brief weighs every
# criterion equally, at DEFAULT_WEIGHT.
from matching.engine.criteria import (
    CRITERIA,
    CRITERION_LABELS,
    DEFAULT_WEIGHT,
    MAX_WEIGHT,
    MIN_WEIGHT,
    default_weights,
)

__all__ = [
    "DEFAULT_WEIGHT",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "BatchUnit",
    "Criterion",
    "Role",
    "default_weights",
]


# The criteria and their labels are defined once, Django-free, in matching/engine/criteria.py.
# django-stubs type only the member form of TextChoices' constructor, not Enum's functional API.
Criterion: type[models.TextChoices] = models.TextChoices(  # type: ignore[call-overload]
    "Criterion",
    [(name.upper(), (name, CRITERION_LABELS[name].capitalize())) for name in CRITERIA],
)
Criterion.__doc__ = "The criteria a site is scored on (DESIGN.md, Matching), in the pages' order."


class Role(models.TextChoices):
    """What a member may do in their organisation: an admin manages its members too, a member
    writes briefs, runs matches and works shortlists, a viewer reads."""

    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class BatchUnit(models.TextChoices):
    KG = "kg", "kg"
    L = "L", "L"
