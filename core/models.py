"""The abstract base every timestamped model of the project inherits."""

from django.db import models


class TimeStamped(models.Model):
    """`created_at` and `updated_at`, set by the database layer on insert and on every save."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
