"""Response headers that keep an organisation's pages out of caches.

Everything a signed-in user is shown is theirs: the catalogue pages carry their name, their
shortlist buttons and their CSRF token, and the workspace pages (briefs, runs, results,
shortlists, decisions, members, exports) and the organisation-scoped API carry their
organisation's data. None of it may be kept by a shared cache, nor by the browser on disk once
they sign out: those answers say `Cache-Control: private, no-store`. What an anonymous visitor is
shown (the public catalogue and its API) keeps whatever caching its view chose.

The Content-Security-Policy and Permissions-Policy headers come from django-csp and
django-permissions-policy (config/settings.py).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _may_be_signed_in(request: HttpRequest) -> bool:
    """Whether the request carries credentials at all: a session cookie or an API token. Without
    either it is anonymous, and its session is left unread (reading it would add `Vary: Cookie`
    to every public page)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META


class PrivateNoStoreMiddleware:
    """A response to a signed-in user (by session or, in the API, by token) is never stored.

    Reads `request.user` after the view: Django REST framework's authentication sets it there
    for a token-authenticated API call."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if _may_be_signed_in(request) and user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
