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
        # A field's messages; for a list or object field, its items' messages by index or key;
        # a `detail` string for a body that could not be read at all.
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object"},
                {"type": "string"},
            ]
        },
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


# The answers any operation may give besides its own: documented on every operation by
# `document_error_responses` (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS), so that a client, and
# schemathesis in tests/test_api_schema_fuzz.py, finds each status the API really answers.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "The messages for each offending field, keyed by its name, or a `detail` "
    "for a request that could not be read at all.",
    "additionalProperties": {
        "anyOf": [{"type": "array"}, {"type": "string"}, {"type": "object"}],
    },
}
COMMON_ERRORS = {
    "400": ("FieldErrors", "Bad input: the messages for each offending field, keyed by its name."),
    "401": ("Error", "Not signed in, or the credentials are wrong."),
    "403": ("Error", "Signed in, but not allowed to do this."),
    "404": ("Error", "Nothing at this address, or nothing the user may see."),
    "429": ("Error", "Too many requests: try again after the time `Retry-After` says."),
}
BODY_ERRORS = {"415": ("Error", "The request body is in a media type the operation does not read.")}


def _document_json_bodies_only(body: dict) -> None:
    """A body the API reads as JSON is documented as JSON only: its forms (DRF's form and
    multipart parsers, which every view has) flatten the nested fields (weights, must-have
    items) that JSON keeps. An upload keeps its multipart form."""
    content = body.get("content", {})
    if "application/json" in content:
        body["content"] = {"application/json": content["application/json"]}


def document_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Every operation documents the errors every operation may answer (COMMON_ERRORS), as
    `{"detail": ...}` or field errors, unless it documents them itself."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("FieldErrors", FIELD_ERRORS_SCHEMA)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(COMMON_ERRORS)
            if "requestBody" in operation:
                errors.update(BODY_ERRORS)
                _document_json_bodies_only(operation["requestBody"])
            responses = operation["responses"]
            for status, (component, description) in errors.items():
                if status in responses:
                    continue
                responses[status] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{component}"}
                        }
                    },
                }
    return result
