"""The catalogue version: read it to validate a cache, bump it whenever the catalogue changes.

Saves and deletes through the ORM bump it through signals (partners/signals.py); code that
writes in bulk (seeding, linking, score recomputation) calls `bump_catalogue_version` itself.
The bump is an UPDATE in the writer's transaction, so readers see the new token exactly when
they can see the new data.
"""

import contextlib
import datetime
import threading
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.utils import timezone

from partners.models import CatalogueVersion

VERSION_ROW = 1
T = TypeVar("T")


# The version a block of code has read once and goes on using (`one_catalogue_version`).
_pinned: ContextVar[str | None] = ContextVar("catalogue_version", default=None)


def current_catalogue_version() -> str:
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    token = CatalogueVersion.objects.filter(pk=VERSION_ROW).values_list("token", flat=True).first()
    return token or bump_catalogue_version()


@contextlib.contextmanager
def one_catalogue_version() -> Iterator[str]:
    """Reads the version once for the block: inside it, `current_catalogue_version()` answers
    that version without a query (the caches a page reads are then checked against one and the
    same version, and a page building several of them reads it once). A bump inside the block
    moves it to the new version."""
    reset = _pinned.set(None)
    try:
        version = current_catalogue_version()
        _pinned.set(version)
        yield version
    finally:
        _pinned.reset(reset)


def bump_catalogue_version() -> str:
    token = uuid.uuid4().hex
    if _pinned.get() is not None:
        _pinned.set(token)
    changed = CatalogueVersion.objects.filter(pk=VERSION_ROW).update(
        token=token, changed_at=timezone.now()
    )
    if not changed:
        CatalogueVersion.objects.update_or_create(
            pk=VERSION_ROW, defaults={"token": token, "changed_at": timezone.now()}
        )
    return token


class CatalogueCache(Generic[T]):
    """A value built from the catalogue, kept per process until the catalogue version or the
    day changes (the day, because certificate validity and record ages depend on it).

    Checking it costs one small query; `build(version, today)` runs only when it is stale.
    """

    def __init__(self, build: Callable[[str, datetime.date], T]) -> None:
        self._build = build
        self._entry: tuple[str, datetime.date, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        key = (current_catalogue_version(), timezone.localdate())
        entry = self._entry
        if entry is not None and entry[:2] == key:
            return entry[2]
        with self._lock:
            if self._entry is None or self._entry[:2] != key:
                self._entry = (*key, self._build(*key))
            return self._entry[2]

    def clear(self) -> None:
        self._entry = None
