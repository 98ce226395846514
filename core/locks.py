"""Transaction-scoped locks that serialise whole jobs across processes and machines.

`hold_transaction_lock("fda-import")` inside `transaction.atomic()` makes any other transaction
asking for the same name wait until this one commits or rolls back (PostgreSQL's
`pg_advisory_xact_lock`). SQLite allows one writer at a time anyway, so there it does nothing.
"""

import zlib

from django.db import connection


def hold_transaction_lock(name: str) -> None:
    """Wait for, then hold until the end of the current transaction, the lock called `name`."""
    if not connection.in_atomic_block:
        raise RuntimeError("hold_transaction_lock is only meaningful inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(name.encode())  # a stable 32-bit key: the same in every process
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
