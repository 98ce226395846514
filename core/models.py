"""The abstract base every timestamped model of the project inherits, and bounded free text."""

from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models


def bounded_text(max_length: int, **options: Any) -> models.TextField:
    """A TextField of at most `max_length` characters, checked wherever Django checks a
    CharField's: its model forms (and the textarea's maxlength), DRF's model serializers (a 400
    naming the field and the limit), the model's full_clean and the importers that read a
    field's max_length. The column stays `text`: the limit asks nothing of the database."""
    return models.TextField(
        max_length=max_length, validators=[MaxLengthValidator(max_length)], **options
    )


class TimeStamped(models.Model):
    """`created_at` and `updated_at`, set by the database layer on insert and on every save."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
