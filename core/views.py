"""The app's own answer to a request refused by the CSRF check (settings.CSRF_FAILURE_VIEW).

A form posted from a page open since before the user signed in again, or kept in a tab for
long, carries a token that is no longer valid. Django's own failure page speaks to developers;
this one, in the app's layout, tells the user to reload the page. An htmx request (the brief
form's live preview) gets a short 403 marked `X-CSRF-Failure`, which static/js/app.js turns into
a banner instead of drawing a page inside a panel.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

PAGE_EXPIRED_MESSAGE = "This page expired — reload it and try again."


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        response = HttpResponseForbidden(PAGE_EXPIRED_MESSAGE, content_type="text/plain")
        response["X-CSRF-Failure"] = "true"
        response["Cache-Control"] = "no-store"
        return response
    page = loader.render_to_string("403.html", {"page_expired": True}, request=request)
    return HttpResponseForbidden(page)
