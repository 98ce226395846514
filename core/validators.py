"""Input no field of the app accepts, found wherever it arrives: a NUL character, and JSON
nested deeper than any document the API takes.

PostgreSQL refuses a NUL in any text it is sent, so a value holding one would end in a server
error at whatever query first used it (a vocabulary slug looked up, a title saved). Rather than
a check on each field, the request's data is looked through once, as it is read (the API's
parsers in core/parsers.py, the forms' POST in core.middleware.RefuseNulMiddleware), and the
first offending field is named in a 400.
"""

from collections.abc import Iterable, Mapping
from typing import Any

NUL = "\x00"
NUL_IN_FIELD = "Holds a NUL character (\\u0000), which no field accepts."
NUL_IN_FILE_NAME = "The file name holds a NUL character (\\u0000), which no file name may hold."

# Deeper than any document the API takes (a brief's `must_have_items` is three levels deep).
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The JSON document is nested more than {MAX_JSON_DEPTH} levels deep."


def nul_field(data: Any, name: str = "") -> str | None:
    """The name of the first field of `data` (parsed JSON, or a QueryDict's items) whose name or
    value holds a NUL character, `None` if none does. A nested field is named by its top-level
    field, as DRF's serializers key their errors; a NUL at the top level (a bare string) is
    named `non_field_errors`."""
    pending: list[tuple[str, Any]] = [(name, data)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                return field or "non_field_errors"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                key_text = str(key)
                if NUL in key_text:
                    return field or key_text.replace(NUL, "\\u0000")
                pending.append((field or key_text, item))
        elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
            pending.extend((field, item) for item in value)
    return None


def nul_in_query_dict(data: Any) -> str | None:
    """`nul_field` for a QueryDict (a form's fields, each with its list of values)."""
    return nul_field({key: data.getlist(key) for key in data})


def depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests lists and objects more than `limit` levels deep (without
    recursion, so any depth the parser built is measured)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return False


def nul_file_field(files: Any) -> str | None:
    """The field of the first uploaded file whose name (or field name) holds a NUL character."""
    for field in files:
        names = [field, *(upload.name or "" for upload in files.getlist(field))]
        if any("\x00" in name for name in names):
            return field.replace("\x00", "\\u0000")
    return None
