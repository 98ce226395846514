"""The request a view reads django-htmx's details from."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through HtmxMiddleware, which sets `htmx` on every request."""

    htmx: HtmxDetails
