"""Errors of the JSON API, shared by both apps: a bad parameter is a 400 naming it."""

from rest_framework.exceptions import ValidationError


def field_error(field: str, message: str) -> ValidationError:
    """A 400 whose body is `{field: [message]}`, as DRF's serializers answer a bad field."""
    return ValidationError({field: [message]})
