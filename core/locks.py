"""Transaction-scoped locks that serialise whole jobs across processes and machines.

`hold_transaction_lock("fda-import")` inside `transaction.atomic()` makes any other transaction
asking for the same name wait until this one commits or rolls back (PostgreSQL's
`pg_advisory_xact_lock`). SQLite allows one writer at a time anyway, so there it does nothing.
"""

import zlib

from django.db import connection


def try_hold_transaction_lock(name: str) -> bool:
    """Hold the lock called `name` until the end of the current transaction if no other
    transaction holds it; return at once either way, saying whether it is held."""
    if not connection.in_atomic_block:
        raise RuntimeError(
            "try_hold_transaction_lock is only meaningful inside transaction.atomic()"
        )
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_key(name)])
        return bool(cursor.fetchone()[0])


def _key(name: str) -> int:
    return zlib.crc32(name.encode())  # a stable 32-bit key: the same in every process


def hold_transaction_lock(name: str) -> None:
    """Wait for, then hold until the end of the current transaction, the lock called `name`."""
    if not connection.in_atomic_block:
        raise RuntimeError("hold_transaction_lock is only meaningful inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])
