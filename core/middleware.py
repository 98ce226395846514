"""What an htmx request gets when its session has ended: a 401 it understands, never the
sign-in page; and a 404 in the app's words.

A view behind `login_required` answers a signed-out request with a redirect to the sign-in page.
The browser follows it inside the htmx request, and htmx would draw the whole sign-in page in
the panel the request meant to refresh (the brief form's live preview). Here an htmx request
redirected to sign in gets a 401 instead, naming where to sign in (`X-Login-URL`, with `next`
back to the page the user is on); static/js/app.js shows a banner with that link and swaps
nothing.
"""

from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote_plus, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import resolve_url

from core.http import NOT_FOUND_PAGE, NOT_FOUND_RESOURCE, HtmxHttpRequest, says_djangos_default
from core.validators import nul_file_field, nul_in_query_dict

SIGNED_OUT_MESSAGE = "You were signed out — sign in again."


def _is_redirect_to_sign_in(response: HttpResponse) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    target = urlsplit(response.headers.get("Location", ""))
    return target.path == urlsplit(resolve_url(settings.LOGIN_URL)).path


def sign_in_url(request: HtmxHttpRequest) -> str:
    """The sign-in page, with `next` back to the page the user is on (not to the fragment the
    htmx request asked for)."""
    page = request.htmx.current_url_abs_path or request.get_full_path()
    return redirect_to_login(page).headers["Location"]


class HtmxSignedOutMiddleware:
    """An htmx request that a view sends to sign in gets a 401 and the sign-in URL instead.

    Goes after django_htmx's HtmxMiddleware, which gives the request its `htmx` details."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.htmx or not _is_redirect_to_sign_in(response):
            return response
        signed_out = HttpResponse(SIGNED_OUT_MESSAGE, status=401, content_type="text/plain")
        signed_out["X-Login-URL"] = sign_in_url(request)
        # Never kept: the next request, signed in, gets the real answer.
        signed_out["Cache-Control"] = "no-store"
        return signed_out


class NotFoundMessageMiddleware:
    """A view's 404 in the app's words: one raised by get_object_or_404 ("No Brief matches the
    given query.") says what the app's 404 page says. In production the page is the app's
    404.html either way; with DEBUG on, Django's page for developers shows the message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Http404) and says_djangos_default(exception):
            raise Http404(NOT_FOUND_PAGE) from exception


NUL_MESSAGE = "The address holds a NUL character (%00), which no field accepts."
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulMiddleware:
    """A request whose path, query string or submitted form holds a NUL character gets a 400
    saying so, naming the form's field.

    No field of the app accepts one, and PostgreSQL refuses it in any text it is sent, so a
    lookup by a slug or a search with one would otherwise end in a server error. The API's
    bodies are looked through by its parsers (core/parsers.py), which answer in JSON whatever
    the method; here a page's form posted to a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = unquote_plus(request.META.get("QUERY_STRING", ""))
        if "\x00" in request.path or "\x00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        if field := self._nul_in_form(request):
            return HttpResponseBadRequest(
                f"The field “{field}” holds a NUL character, which no field accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _nul_in_form(request: HttpRequest) -> str | None:
        if (
            request.method != "POST"
            or request.path.startswith("/api/")
            or request.content_type not in FORM_MEDIA_TYPES
        ):
            return None
        try:
            return nul_in_query_dict(request.POST) or nul_file_field(request.FILES)
        except (RequestDataTooBig, TooManyFieldsSent):
            # Django's own 400 (or 413) follows when the view reads the form.
            return None


class ApiErrorsAsJsonMiddleware:
    """An error under /api/ is JSON, as the API's schema says, whoever answered it.

    DRF answers its views' errors in JSON; but an address no API route matches (`/api/runs/x/`),
    a body Django refuses before a view runs (larger than DATA_UPLOAD_MAX_MEMORY_SIZE) or an
    unexpected server error is answered by Django with the app's HTML page. Here such an answer
    keeps its status and says it as `{"detail": ...}`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
            # DRF's own answers: its browsable API (HTML), asked for, stays HTML.
            or hasattr(response, "accepted_renderer")
            or response.streaming
        ):
            return response
        as_json = JsonResponse({"detail": _api_error_detail(response)}, status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                as_json[header] = response[header]
        return as_json


def _api_error_detail(response: HttpResponse) -> str:
    if response.status_code == 404:
        return NOT_FOUND_RESOURCE
    if response.get("Content-Type", "").startswith("text/plain"):
        text = response.content.decode(errors="replace").strip()
        if text:
            return text
    return f"{HTTPStatus(response.status_code).phrase}."
