"""The password reset page: Django's own view, throttled (accounts/password_reset.py)."""

import math

from axes.helpers import get_client_ip_address
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from accounts import password_reset


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the reset mail, as text and HTML, unless the client or the address asked too often.

    A client past its limit gets a 429 page saying to try again later; an address past its limit
    gets no mail but the same "check your e-mail" page as any other, so that nobody learns from
    it whether the address has an account."""

    html_email_template_name = "registration/password_reset_email_html.html"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = password_reset.client_over_limit(_client_address(request))
        if refused is not None:
            return _too_many_requests(request, refused.retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        if password_reset.email_over_limit(email, _client_address(self.request)):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def _client_address(request: HttpRequest) -> str:
    # The rule the sign-in lockout follows (settings: TRUSTED_PROXY_COUNT).
    return get_client_ip_address(request) or ""


def _too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    response = TemplateResponse(
        request,
        "registration/password_reset_throttled.html",
        {"wait": f"{minutes} minute{'s' if minutes != 1 else ''}"},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
