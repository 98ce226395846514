"""The request a view reads django-htmx's details from, and what a 404 says."""

import re

from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

# What a missing page says, as the app's own 404 page (templates/404.html) says it; the API's
# 404 says the same of a missing resource.
NOT_FOUND_PAGE = "There is no page at this address."
NOT_FOUND_RESOURCE = "There is nothing at this address."
# What Django's get_object_or_404 says, in its words rather than the app's: "No Brief matches
# the given query." (for a brief that does not exist as for another organisation's).
_DJANGO_DEFAULT = re.compile(r"No \w+ matches the given query\.")


def says_djangos_default(exception: Http404) -> bool:
    """Whether the 404 carries get_object_or_404's own message rather than one of the app's."""
    return bool(_DJANGO_DEFAULT.fullmatch(str(exception)))


class HtmxHttpRequest(HttpRequest):
    """A request that went through HtmxMiddleware, which sets `htmx` on every request."""

    htmx: HtmxDetails
