"""Helpers of the two-factor tests: an authenticator's current code, a user with two-factor on."""

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_code(device: TOTPDevice) -> str:
    """The six digits the user's authenticator app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


RECOVERY_CODES = ("abcd2345", "efgh6723")


def turn_on_two_factor(user, recovery_codes=RECOVERY_CODES) -> TOTPDevice:
    """Two-factor on, as the set-up page leaves it: a confirmed authenticator and recovery
    codes. Returns the authenticator."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in recovery_codes:
        StaticToken.objects.create(device=static, token=code)
    return device
