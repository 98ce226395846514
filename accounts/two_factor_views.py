"""The two-factor pages: the Security page, setting up an authenticator app, giving a code after
the password, recovery codes (shown once) and turning two-factor off. The rules live in
accounts/two_factor.py."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import two_factor
from accounts.two_factor_forms import AuthenticatorCodeForm, SecondFactorForm

WRONG_CODE = "That code is not right. Check the time on your phone, or use a recovery code."
# While setting up there are no recovery codes yet.
WRONG_SET_UP_CODE = (
    "That code is not right. Check the time on your phone and type the code it shows now."
)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _required(request: HttpRequest) -> bool:
    """Whether the user's role requires two-factor sign-in."""
    facts = request.session.get(two_factor.FACTS_KEY) or {"org_admin": False}
    return two_factor.must_use_two_factor(request.user, facts["org_admin"])


def _throttle_error(request: HttpRequest) -> str | None:
    until = two_factor.throttled_until(two_factor.signed_in_user(request))
    if until is None:
        return None
    return "Too many wrong codes. Wait a few seconds, then try again."


@never_cache
@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = two_factor.signed_in_user(request)
    enabled = two_factor.has_two_factor(user)
    return render(
        request,
        "accounts/two_factor_security.html",
        {
            "enabled": enabled,
            "required": _required(request),
            "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
            "disable_form": SecondFactorForm(auto_id="id_disable_%s"),
        },
    )


@never_cache
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    user = two_factor.signed_in_user(request)
    next_url = _next_url(request, reverse("accounts:security"))
    if two_factor.has_two_factor(user):
        messages.info(request, "Two-factor sign-in is already on.")
        return redirect("accounts:security")
    device = two_factor.pending_authenticator(user)
    required = _required(request)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm_authenticator(device, form.cleaned_data["code"]):
            device.refresh_from_db()
            request.session[two_factor.FRESH_CODES_KEY] = two_factor.new_recovery_codes(user)
            two_factor.mark_verified(request, device)
            codes_page = reverse("accounts:two-factor-recovery-codes")
            return redirect(f"{codes_page}?next={quote(next_url)}")
        form.add_error("code", _throttle_error(request) or WRONG_SET_UP_CODE)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_svg(device),
            "manual_key": two_factor.manual_key(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "next": next_url,
            "required": required,
            # Held here until it is set up: the menu's pages would only lead back.
            "minimal_header": required,
        },
    )


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = two_factor.signed_in_user(request)
    next_url = _next_url(request, settings.LOGIN_REDIRECT_URL)
    if two_factor.is_verified(user) or not two_factor.has_two_factor(user):
        return redirect(next_url)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_error(request)
        device = None if throttled else two_factor.check_code(user, form.cleaned_data["code"])
        if device is not None:
            two_factor.mark_verified(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code, which now no longer works; "
                    f"{left} left. Make new ones on the Security page if you are running out.",
                )
            return redirect(next_url)
        form.add_error("code", throttled or WRONG_CODE)
    # Every other page leads back here until the code is given: no menu.
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url, "minimal_header": True},
    )


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """GET: the codes just made, shown this once. POST: make new ones (the old stop working)."""
    user = two_factor.signed_in_user(request)
    if request.method == "POST":
        if not two_factor.has_two_factor(user):
            return redirect("accounts:security")
        request.session[two_factor.FRESH_CODES_KEY] = two_factor.new_recovery_codes(user)
        return redirect("accounts:two-factor-recovery-codes")
    codes = request.session.pop(two_factor.FRESH_CODES_KEY, None)
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "enabled": two_factor.has_two_factor(user),
            "next": _next_url(request, reverse("accounts:security")),
        },
    )


@never_cache
@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    user = two_factor.signed_in_user(request)
    form = SecondFactorForm(request.POST, auto_id="id_disable_%s")
    if form.is_valid():
        throttled = _throttle_error(request)
        if not throttled and two_factor.check_code(user, form.cleaned_data["code"]):
            two_factor.turn_off(user)
            two_factor.mark_turned_off(request)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("accounts:security")
        form.add_error("code", throttled or WRONG_CODE)
    return render(
        request,
        "accounts/two_factor_security.html",
        {
            "enabled": True,
            "required": _required(request),
            "codes_left": two_factor.recovery_codes_left(user),
            "disable_form": form,
        },
        status=400,
    )
