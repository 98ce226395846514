"""What the catalogue queues for after a commit, told apart from what later apps queue.

The catalogue's tests count the callbacks a save registers (`django_capture_on_commit_callbacks`);
sourcing also listens to the catalogue's saves (its watch sweep), so these tests count the
catalogue's own: callbacks of partners' modules and tasks.
"""

import functools
from collections.abc import Callable, Iterable


def origin(callback: Callable) -> str:
    """The dotted name a callback comes from: a Celery task's name, or the function's module."""
    while isinstance(callback, functools.partial):
        callback = callback.func
    task_name = getattr(getattr(callback, "__self__", None), "name", None)
    if isinstance(task_name, str):
        return task_name
    return getattr(callback, "__module__", "") or ""


def catalogue_callbacks(callbacks: Iterable[Callable]) -> list[Callable]:
    """The callbacks partners registered, in order."""
    return [callback for callback in callbacks if origin(callback).startswith("partners.")]
