"""Two-factor sign-in: required of curators and organisation admins when TWO_FACTOR_REQUIRED is
on, optional for everyone else; set up with an authenticator app, recovery codes shown once,
a code asked after the password at each sign-in, and turned off only with a code."""

import re
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tokens import create_token
from matching.choices import Role
from tests.accounts.two_factor_support import RECOVERY_CODES, current_code, turn_on_two_factor
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

ENROL = "/accounts/two-factor/set-up/"
VERIFY = "/accounts/two-factor/verify/"
CODES = "/accounts/two-factor/recovery-codes/"


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def curator():
    return UserFactory(username="curator", is_staff=True, is_superuser=True)


@pytest.fixture
def org_admin():
    return MembershipFactory(user__username="ada", role=Role.ADMIN).user


@pytest.fixture
def member():
    return MembershipFactory(user__username="mel", role=Role.MEMBER).user


def _sign_in(client, user) -> None:
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content


def test_a_curator_is_sent_to_set_up_two_factor_before_any_page_when_required(
    client, required, curator
):
    _sign_in(client, curator)

    for path in ("/", "/briefs/", "/admin/", "/admin/partners/provider/", "/accounts/security/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{ENROL}?next="), path
    assert client.get(ENROL).status_code == 200


def test_an_organisation_admin_is_sent_to_set_up_two_factor_when_required(
    client, required, org_admin
):
    _sign_in(client, org_admin)

    response = client.get("/briefs/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=/briefs/"


def test_a_member_without_an_admin_role_is_not_made_to_use_two_factor(client, required, member):
    _sign_in(client, member)

    assert client.get("/briefs/").status_code == 200
    assert client.get("/accounts/security/").status_code == 200


def test_nobody_is_made_to_use_two_factor_when_it_is_not_required(
    client, settings, curator, org_admin
):
    settings.TWO_FACTOR_REQUIRED = False
    _sign_in(client, curator)
    assert client.get("/admin/").status_code == 200

    client.logout()
    _sign_in(client, org_admin)
    assert client.get("/briefs/").status_code == 200


def test_two_factor_is_required_by_default_only_with_debug_off():
    import subprocess
    import sys

    def required_with(**env):
        script = "from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"
        environ = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "a.example"}
        environ.update(env)
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return result.stdout.strip()

    assert required_with(DEBUG="false") == "True"
    assert required_with(DEBUG="true") == "False"
    assert required_with(DEBUG="false", TWO_FACTOR_REQUIRED="false") == "False"
    assert required_with(DEBUG="true", TWO_FACTOR_REQUIRED="true") == "True"


def test_signing_out_stays_possible_while_two_factor_is_owed(client, required, curator):
    _sign_in(client, curator)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_setting_up_two_factor_shows_a_qr_code_and_the_key_then_ten_codes_once(
    client, required, curator
):
    _sign_in(client, curator)
    page = client.get(f"{ENROL}?next=/admin/").content.decode()
    device = TOTPDevice.objects.get(user=curator, confirmed=False)

    assert '<svg role="img" aria-label="QR code' in page
    key = re.search(r'<code class="secret-key" id="secret-key">([A-Z2-7 ]+)</code>', page)
    assert key is not None
    assert len(key.group(1).replace(" ", "")) == 32
    # The same device (and QR code) on a second visit: a scanned code stays valid.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=curator).count() == 1

    wrong = client.post(ENROL, {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5), tick=False):
        done = client.post(ENROL, {"code": current_code(device), "next": "/admin/"})
    assert done.status_code == 302
    assert done["Location"] == f"{CODES}?next=/admin/"
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=curator).values_list("token", flat=True)
    )
    assert 'href="/admin/"' in codes_page
    # Shown once.
    assert not re.findall(r"<li><code>", client.get(CODES).content.decode())

    assert client.get("/admin/").status_code == 200


def test_a_user_with_two_factor_gives_a_code_after_the_password(client, curator):
    """Also in the demo: someone who turned it on for themselves is asked too."""
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)

    response = client.get("/briefs/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=/briefs/"
    # No way round it: not the set-up page (a second authenticator), not the Security page.
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert client.get("/accounts/security/")["Location"].startswith(VERIFY)

    assert client.get(f"{VERIFY}?next=/briefs/").status_code == 200
    done = client.post(VERIFY, {"code": current_code(device), "next": "/briefs/"})

    assert done.status_code == 302
    assert done["Location"] == "/briefs/"
    assert client.get("/briefs/").status_code == 200


def test_the_code_page_sends_nowhere_outside_the_site(client, curator):
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)

    done = client.post(VERIFY, {"code": current_code(device), "next": "https://evil.example/"})

    assert done["Location"] == "/"


def test_a_recovery_code_signs_in_once(client, curator, django_user_model):
    turn_on_two_factor(curator)
    _sign_in(client, curator)

    done = client.post(VERIFY, {"code": RECOVERY_CODES[0].upper(), "next": "/briefs/"})
    assert done.status_code == 302
    assert done["Location"] == "/briefs/"
    assert "1 left" in client.get("/briefs/").content.decode()

    client.logout()
    _sign_in(client, curator)
    again = client.post(VERIFY, {"code": RECOVERY_CODES[0], "next": "/briefs/"})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()
    assert client.get("/briefs/").status_code == 302


def test_wrong_codes_are_slowed_down(client, curator):
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)

    client.post(VERIFY, {"code": "123456"})
    second = client.post(VERIFY, {"code": current_code(device)})

    assert second.status_code == 200
    assert "Too many wrong codes" in second.content.decode()
    assert client.get("/briefs/").status_code == 302


def test_an_htmx_request_owing_a_code_is_sent_to_the_page_for_it(client, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)

    response = client.get("/briefs/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == f"{VERIFY}?next=/briefs/"


def test_an_api_call_in_a_session_owing_a_code_is_refused(client, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)

    response = client.get("/api/briefs/")

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_a_token_call_is_answered_whatever_session_cookie_comes_with_it(client, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)  # a session still owing its code
    _, token = create_token(curator, "script", 30)

    response = client.get("/api/providers/", headers={"Authorization": f"Token {token}"})

    assert response.status_code == 200


def test_staff_owing_their_code_read_no_health_details(client, curator, required, settings):
    settings.HEALTHZ_TOKEN = ""
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)

    owing = client.get("/healthz/ready").json()
    client.post(VERIFY, {"code": current_code(device)})
    verified = client.get("/healthz/ready").json()

    assert "checks" not in owing
    assert "checks" in verified


def test_an_anonymous_api_call_is_not_concerned(client, required):
    assert client.get("/api/providers/").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(client, curator):
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)
    client.post(VERIFY, {"code": current_code(device)})

    response = client.post(CODES)
    page = client.get(response["Location"]).content.decode()

    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(codes) == 10
    assert not StaticToken.objects.filter(token__in=RECOVERY_CODES).exists()


def test_turning_two_factor_off_needs_a_code(client, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)
    client.post(VERIFY, {"code": RECOVERY_CODES[0]})

    refused = client.post("/accounts/two-factor/turn-off/", {"code": "zzzzzzzz"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=curator).exists()

    # A wrong code holds the next try back for a second.
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=2)):
        done = client.post("/accounts/two-factor/turn-off/", {"code": RECOVERY_CODES[1]})
    assert done["Location"] == "/accounts/security/"
    assert not TOTPDevice.objects.filter(user=curator).exists()
    assert "Off." in client.get("/accounts/security/").content.decode()
    assert client.get("/briefs/").status_code == 200


def test_a_curator_who_turns_two_factor_off_must_set_it_up_again(client, required, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)
    client.post(VERIFY, {"code": RECOVERY_CODES[0]})

    client.post("/accounts/two-factor/turn-off/", {"code": RECOVERY_CODES[1]})

    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_the_security_page_is_linked_from_every_page_for_a_signed_in_user(client, member):
    _sign_in(client, member)

    page = client.get("/").content.decode()

    assert 'href="/accounts/security/"' in page


MENU_LINKS = ('href="/briefs/"', 'href="/shortlists/"', 'href="/accounts/tokens/"')


def test_someone_setting_up_two_factor_by_choice_may_cancel_back_to_the_security_page(
    client, required, member
):
    _sign_in(client, member)

    page = client.get(ENROL).content.decode()

    assert re.search(r'<a [^>]*href="/accounts/security/"[^>]*>Cancel</a>', page)


def test_someone_required_to_set_up_two_factor_is_offered_no_way_round_it(
    client, required, org_admin
):
    _sign_in(client, org_admin)

    page = client.get(ENROL).content.decode()

    assert ">Cancel<" not in page
    assert 'href="/accounts/security/"' not in page
    for link in MENU_LINKS:
        assert link not in page, link
    assert "Sign out" in page


def test_the_code_page_shows_no_menu_whose_links_lead_back_to_it(client, curator):
    turn_on_two_factor(curator)
    _sign_in(client, curator)

    page = client.get(f"{VERIFY}?next=/briefs/").content.decode()

    for link in (*MENU_LINKS, 'href="/accounts/security/"', 'href="/admin/"'):
        assert link not in page, link
    assert "CDMO&nbsp;Match" in page
    assert page.count(">Sign out</button>") == 1


def test_the_menu_is_back_once_the_code_is_given(client, curator):
    device = turn_on_two_factor(curator)
    _sign_in(client, curator)
    client.post(VERIFY, {"code": current_code(device), "next": "/briefs/"})

    page = client.get("/briefs/").content.decode()

    for link in (*MENU_LINKS, 'href="/accounts/security/"', 'href="/admin/"'):
        assert link in page, link
