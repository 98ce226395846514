"""Two-factor sign-in: an authenticator app (TOTP) and ten single-use recovery codes, through
django-otp's devices.

Who must use it: curators (staff, who reach /admin/) and organisation admins, when
settings.TWO_FACTOR_REQUIRED is on (production); anyone may turn it on for themselves. Someone
who has it gives a code after the password at each sign-in. `TwoFactorRequiredMiddleware` holds
a signed-in user who owes that step (or who must set it up first) on the two-factor pages.

What the middleware needs to know about the user (has a device, is an organisation admin) is
looked up once, at sign-in, and kept in the session: no query per request. A role given during
a session applies from the next sign-in. API calls authenticated by token are not sessions and
are not concerned.
"""

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from matching.roles import is_admin

RECOVERY_CODE_COUNT = 10
# What the session remembers about the user from sign-in: {"device": bool, "org_admin": bool}.
FACTS_KEY = "accounts_two_factor"
# Recovery codes just made, waiting to be shown once on the recovery-codes page.
FRESH_CODES_KEY = "accounts_fresh_recovery_codes"

VERIFY = "verify"
ENROL = "enrol"

API_REFUSAL = "This session must complete two-factor sign-in first. API clients should use a token."


# --- Devices -------------------------------------------------------------------------------


def authenticator_of(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def has_two_factor(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being set up: the same one on every visit to the set-up page, so the QR
    code a user has already scanned stays valid."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user_id=user.pk, name="Authenticator app", confirmed=False
        )
    return device


def manual_key(device: TOTPDevice) -> str:
    """The secret as authenticator apps accept it typed in: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (dark on white, whatever the
    page's colours), named for screen readers."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, light="#fff")
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code for setting up your authenticator app" ',
        1,
    )


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Ten new single-use codes; any earlier ones stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user_id=user.pk, name="Recovery codes", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def confirm_authenticator(device: TOTPDevice, code: str) -> bool:
    """Turn two-factor on with the device being set up, if `code` is the one its app shows."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(_digits(code)):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Only one authenticator: another one left half set up goes.
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    return True


def check_code(user: AbstractBaseUser, code: str) -> Device | None:
    """The device that accepts `code` (the authenticator's six digits, or a recovery code, used
    up by it), or None. django-otp's devices slow down guessing: after each wrong code the next
    try on that device is refused for twice as long (1 s, 2 s, 4 s…)."""
    code = code.strip()
    authenticator = authenticator_of(user)
    if authenticator is not None and len(_digits(code)) == 6 and _digits(code).isdigit():
        with transaction.atomic():
            authenticator = TOTPDevice.objects.select_for_update().get(pk=authenticator.pk)
            if authenticator.verify_token(_digits(code)):
                return authenticator
        return None
    for recovery in StaticDevice.objects.filter(user_id=user.pk, confirmed=True):
        with transaction.atomic():
            recovery = StaticDevice.objects.select_for_update().get(pk=recovery.pk)
            if recovery.verify_token(code.replace(" ", "").lower()):
                return recovery
    return None


def throttled_until(user: AbstractBaseUser) -> Any:
    """When the next code may be tried, while wrong codes hold the user back; else None."""
    for device in _devices(user):
        allowed, details = device.verify_is_allowed()
        if not allowed and details and details.get("locked_until"):
            return details["locked_until"]
    return None


def turn_off(user: AbstractBaseUser) -> None:
    """Remove the authenticator and the recovery codes."""
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()


def _devices(user: AbstractBaseUser) -> Iterable[Device]:
    yield from TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
    yield from StaticDevice.objects.filter(user_id=user.pk, confirmed=True)


def _digits(code: str) -> str:
    return "".join(code.split())


# --- The session ---------------------------------------------------------------------------


def must_use_two_factor(user: AbstractBaseUser | AnonymousUser, org_admin: bool) -> bool:
    """Whether the user's role requires a second factor under the current settings."""
    return bool(settings.TWO_FACTOR_REQUIRED) and (getattr(user, "is_staff", False) or org_admin)


def remember_facts(request: HttpRequest, user: AbstractBaseUser) -> dict[str, bool]:
    facts = {"device": has_two_factor(user), "org_admin": is_admin(user)}
    request.session[FACTS_KEY] = facts
    return facts


def mark_verified(request: HttpRequest, device: Device) -> None:
    """The session has given its second factor (a new session key, as at sign-in)."""
    request.session.cycle_key()
    otp_login(request, device)
    facts = request.session.get(FACTS_KEY) or {"org_admin": False}
    request.session[FACTS_KEY] = {**facts, "device": True}


def mark_turned_off(request: HttpRequest) -> None:
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    facts = request.session.get(FACTS_KEY) or {"org_admin": False}
    request.session[FACTS_KEY] = {**facts, "device": False}


@receiver(user_logged_in, dispatch_uid="accounts.two_factor.remember_facts_at_sign_in")
def remember_facts_at_sign_in(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    if request is None or not hasattr(request, "session"):
        return
    remember_facts(request, user)


def is_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this session gave a second factor (django-otp's OTPMiddleware adds the method)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def signed_in_user(request: HttpRequest) -> AbstractBaseUser:
    """The request's user, on a page that requires signing in (login_required)."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise PermissionDenied
    return user


def step_owed(request: HttpRequest) -> str | None:
    """VERIFY when the signed-in user has two-factor on and has not given a code in this
    session, ENROL when their role requires two-factor and they have none, else None."""
    if SESSION_KEY not in request.session:
        return None
    user = request.user
    if isinstance(user, AnonymousUser) or not user.is_authenticated or is_verified(user):
        return None
    facts = request.session.get(FACTS_KEY)
    if facts is None:
        # A session from before two-factor existed.
        facts = remember_facts(request, user)
    if facts["device"]:
        return VERIFY
    if must_use_two_factor(user, facts["org_admin"]):
        return ENROL
    return None


class TwoFactorRequiredMiddleware:
    """Sends a signed-in user who owes a second factor to the page for it, before any other.

    Signing out, the owed step's own pages and the static files stay reachable. Goes after
    django_otp's OTPMiddleware (user.is_verified) and django_htmx's HtmxMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _token_call(request):
            # An API call with a token of its own is answered for the token's user, whatever
            # session cookie the browser also sends (the token never passed through two-factor
            # sign-in, and needs none).
            return self.get_response(request)
        step = step_owed(request)
        if step is None or _is_open_while_owing(request.path_info, step):
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": API_REFUSAL}, status=403)
        target = f"{reverse(f'accounts:two-factor-{step}')}?next={quote(request.get_full_path())}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)


def _token_call(request: HttpRequest) -> bool:
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    return request.path_info.startswith("/api/") and scheme in {"token", "bearer"}


def _is_open_while_owing(path: str, step: str) -> bool:
    open_paths = {reverse("logout"), reverse("login"), reverse("admin:logout")}
    if step == VERIFY:
        open_paths.add(reverse("accounts:two-factor-verify"))
    else:
        open_paths.add(reverse("accounts:two-factor-enrol"))
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    return path in open_paths or path.startswith(static_url) or path.startswith("/healthz")
