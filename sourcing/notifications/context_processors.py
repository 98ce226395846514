"""The bell's unread count, for the header of every page a signed-in user sees."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sourcing.notifications.inbox import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """`unread_notifications`: the signed-in user's unread count, counted (one query on the
    (recipient, read_at) index) only when a template shows it, so that fragments and pages
    without the header pay nothing. Nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
