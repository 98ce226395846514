"""Errors of the JSON API, shared by both apps: a bad parameter is a 400 naming it, and a 404
speaks the app's words."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.http import NOT_FOUND_RESOURCE, says_djangos_default

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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but a 404 from get_object_or_404 ("No Brief matches the given query.")
    says the app's words instead (REST_FRAMEWORK's EXCEPTION_HANDLER)."""
    if isinstance(exc, Http404) and says_djangos_default(exc):
        exc = NotFound(NOT_FOUND_RESOURCE)
    return drf_exception_handler(exc, context)
