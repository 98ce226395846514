"""The deploy check on the address notification e-mails link to."""

import pytest

from sourcing.checks import check_site_url


@pytest.mark.parametrize(
    "site_url", ["https://.example.com", "https://*", "cdmo.example.com", "https://*.example.com"]
)
def test_a_pattern_for_the_emails_address_is_refused_in_production(settings, site_url):
    settings.DEBUG = False
    settings.SITE_URL = site_url

    (warning,) = check_site_url(None)

    assert warning.id == "cdmo.W004"
    assert site_url in warning.msg


def test_a_real_address_passes(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://cdmo.example.com"

    assert check_site_url(None) == []
