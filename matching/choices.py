"""The matching app's fixed vocabularies: the ten criteria and a brief's batch units."""

from django.db import models

# A brief's weights run from MIN_WEIGHT (ignored) to MAX_WEIGHT; a new brief weighs every
# criterion equally, at DEFAULT_WEIGHT.
from matching.criteria import CRITERIA, DEFAULT_WEIGHT, MAX_WEIGHT, MIN_WEIGHT

__all__ = [
    "DEFAULT_WEIGHT",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "BatchUnit",
    "Criterion",
    "default_weights",
]


# The criteria are defined once, Django-free, in matching/criteria.py for the engine.
Criterion = models.TextChoices(
    "Criterion",
    [(name.upper(), (name, name.replace("_", " ").capitalize())) for name in CRITERIA],
)
Criterion.__doc__ = "The criteria a site is scored on (DESIGN.md, Matching), in the pages' order."


class BatchUnit(models.TextChoices):
    KG = "kg", "kg"
    L = "L", "L"


def default_weights() -> dict[str, int]:
    """Every criterion at the default weight (a callable, so each brief gets its own dict)."""
    return {criterion.value: DEFAULT_WEIGHT for criterion in Criterion}
