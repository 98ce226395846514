"""Response headers that keep an organisation's pages out of caches.

Everything a signed-in user is shown is theirs: the catalogue pages carry their name, their
shortlist buttons and their CSRF token, and the workspace pages (briefs, runs, results,
shortlists, decisions, members, exports) and the organisation-scoped API carry their
organisation's data. None of it may be kept by a shared cache, nor by the browser on disk once
they sign out: those answers say `Cache-Control: private, no-store`. What an anonymous visitor is
shown (the public catalogue and its API) keeps whatever caching its view chose.

The Content-Security-Policy and Permissions-Policy headers come from django-csp and
django-permissions-policy (config/settings.py); the browsable API, offered while DEBUG is on,
is the one page allowed style attributes.
"""

from collections.abc import Callable, Mapping
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from rest_framework.renderers import BrowsableAPIRenderer


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


class DeveloperBrowsableAPIRenderer(BrowsableAPIRenderer):
    """Django REST framework's browsable API (DEBUG only), whose templates place a few controls
    with style attributes: its pages alone may use them. Its scripts are files already."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_replace = {"style-src": [SELF, UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
