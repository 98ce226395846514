"""The API's parsers (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): DRF's, but a body no field
accepts is a 400 naming the field, never a server error further on.

- JSON: a document nested deeper than MAX_JSON_DEPTH is a 400 (parsing a much deeper one
  would exhaust Python's recursion limit: a RecursionError, a 500); a NUL character in any
  string is a 400 naming its field. (DRF reads a JSON body as `request.body`, so Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE bounds its size: a 400 above it.)
- Forms and multipart: a NUL in a field's name or value, or in an uploaded file's name, is a
  400 naming the field.
"""

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core.validators import (
    NUL_IN_FIELD,
    NUL_IN_FILE_NAME,
    TOO_DEEP,
    depth_exceeds,
    nul_field,
    nul_file_field,
    nul_in_query_dict,
)


def _refuse_nul(field: str | None, message: str = NUL_IN_FIELD) -> None:
    if field is not None:
        raise ValidationError({field: [message]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        _refuse_nul(nul_field(data))
        return data


def _no_constant(name: str) -> None:
    # NaN and Infinity are not JSON (DRF's own parser refuses them in strict mode).
    raise ValueError(f"{name} is not a JSON value")


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul(nul_in_query_dict(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul(nul_in_query_dict(parsed.data))
        _refuse_nul(nul_file_field(parsed.files), NUL_IN_FILE_NAME)
        return parsed
