"""Errors of the JSON API, shared by both apps: a bad parameter is a 400 naming it."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import ValidationError

# A 400 as the OpenAPI schema documents it: the messages for each offending field.
FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="Bad input: the messages for each offending field, keyed by its name.",
)


def field_error(field: str, message: str) -> ValidationError:
    """A 400 whose body is `{field: [message]}`, as DRF's serializers answer a bad field."""
    return ValidationError({field: [message]})
