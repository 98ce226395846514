"""History entries for rows written in bulk, made by the database rather than in Python.

simple_history's `bulk_history_create` builds every historical row again in Python and sends it
back; for the tens of thousands of rows an FDA import writes, that was half its time.
"""

import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from partners.models import Historied

# The columns simple_history adds to a model's own in its historical table, the id aside.
_HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


def copy_into_history(
    model: type[Historied],
    pks: list[int],
    *,
    default_user: Any,
    default_change_reason: str,
    default_date: datetime.datetime,
) -> bool:
    """Write the creation history rows ("+") of records just inserted, as one INSERT ... SELECT.

    The database copies the rows it has just stored, where simple_history's
    `bulk_history_create` would build each one again in Python and send it back: that was half
    the time of an import. Writes nothing and returns False when history is switched off or the
    historical table has columns this does not know (the caller then uses simple_history).
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return True
    history = model.history.model
    tracked = [field.column for field in history.tracked_fields]
    extra = {field.column for field in history._meta.concrete_fields} - set(tracked)
    if extra != {"history_id", *_HISTORY_COLUMNS}:
        return False
    quote = connection.ops.quote_name
    own = ", ".join(quote(column) for column in tracked)
    added = ", ".join(quote(column) for column in _HISTORY_COLUMNS)
    date = history._meta.get_field("history_date").get_db_prep_value(default_date, connection)
    user_id = default_user.pk if default_user is not None else None
    ids = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({own}, {added}) "
            f"SELECT {own}, %s, %s, '+', %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} IN ({ids})",
            [date, default_change_reason, user_id, *pks],
        )
    return True
