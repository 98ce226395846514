"""A curator reads on a provider's or a site's history what each save changed, in the page's
object and in the rows edited inline on its page, and why, when a reason was given."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import Certification, Published483, Published483RecordId, Site, Term
from tests.factories import (
    CertificationFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.partners.admin_forms import change_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(django_user_model, client):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    client.force_login(user)
    return user


@pytest.fixture
def site():
    return SiteFactory(
        provider=ProviderFactory(name="Rhine Valley Pharma"),
        name="Leverkusen",
        city="Leverkusen",
        fei_number="3001234567",
    )


def _save(client, url: str, **changes):
    data = change_form_data(client.get(url)) | {"_save": "Save"} | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    return response


def _history_rows(client, admin_url: str) -> list[str]:
    """The history page's entries, newest first, each as its text."""
    page = client.get(admin_url)
    assert page.status_code == 200
    body = re.search(r"<tbody>(.*?)</tbody>", page.content.decode(), re.S)
    assert body, "no history table"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", row)).split()) for row in rows]


def _site_change(site: Site) -> str:
    return reverse("admin:partners_site_change", args=[site.pk])


def _site_history(site: Site) -> str:
    return reverse("admin:partners_site_history", args=[site.pk])


# -- Inline edits in the parent's history ---------------------------------------------------------


def test_editing_only_a_certificate_shows_the_change_in_the_sites_history(client, curator, site):
    certificate = CertificationFactory(
        site=site,
        kind="eu-gmp",
        reference="DE_NW_01_GMP_2023_0042",
        issued_on=datetime.date(2023, 1, 1),
        valid_until=datetime.date(2026, 1, 1),
    )

    _save(client, _site_change(site), **{"certifications-0-valid_until": "2027-01-01"})

    certificate.refresh_from_db()
    assert certificate.valid_until == datetime.date(2027, 1, 1)
    newest, *older = _history_rows(client, _site_history(site))
    assert "cora" in newest
    assert (
        "Certification EU GMP certificate DE_NW_01_GMP_2023_0042: "
        "valid until 2026-01-01 → 2027-01-01" in newest
    )
    # The site itself did not change: no row of its own says so with nothing in it.
    assert site.history.count() == 1
    assert all("→" in row or "added" in row.lower() for row in older)


def test_editing_only_a_capabilitys_batch_size_shows_in_the_sites_history(client, curator, site):
    SiteCapabilityFactory(site=site, term=Term.objects.get(slug="mab"), max_batch_kg=250)

    _save(client, _site_change(site), **{"capabilities-0-max_batch_kg": "1250.5"})

    newest = _history_rows(client, _site_history(site))[0]
    assert "Site capability Monoclonal antibody: max batch (kg) 250 → 1,250.5" in newest
    assert site.history.count() == 1


def test_one_save_is_one_entry_with_the_site_and_its_rows(client, curator, site):
    CertificationFactory(site=site, reference="ISO-1", kind="iso-9001", authority="")
    CertificationFactory(site=site, reference="GMP-7", kind="eu-gmp")

    _save(
        client,
        _site_change(site),
        city="Köln",
        **{"certifications-1-DELETE": "on", "certifications-0-status": "suspended"},
    )

    rows = _history_rows(client, _site_history(site))
    newest = rows[0]
    assert "City: Leverkusen → Köln" in newest
    assert "Certification EU GMP certificate GMP-7: status Active → Suspended" in newest
    assert "Deleted certification ISO 9001 ISO-1" in newest
    # Then the site's creation and its certificates' (each made on its own, by the factories).
    assert len(rows) == 4


def test_provider_history_shows_the_changes_of_its_sites_rows(client, curator, site):
    provider = site.provider
    url = reverse("admin:partners_provider_change", args=[provider.pk])

    _save(client, url, **{"sites-0-city": "Köln"})

    newest = _history_rows(client, reverse("admin:partners_provider_history", args=[provider.pk]))[
        0
    ]
    assert "Site Leverkusen: city Leverkusen → Köln" in newest
    assert provider.history.count() == 1


def test_a_save_that_changed_nothing_is_no_entry(client, curator, site):
    # Left by the admin before it kept such saves out of the history.
    site.save()
    assert site.history.count() == 2

    rows = _history_rows(client, _site_history(site))

    assert len(rows) == 1
    assert "Site added" in rows[0]


def test_history_links_each_inline_record_to_its_own_history(client, curator, site):
    certificate = CertificationFactory(site=site, reference="GMP-9")
    _save(client, _site_change(site), **{"certifications-0-reference": "GMP-10"})

    page = client.get(_site_history(site)).content.decode()

    assert reverse("admin:partners_certification_history", args=[certificate.pk]) in page


# -- Reason for a change ----------------------------------------------------------------------


def test_change_form_asks_for_a_reason(client, curator, site):
    page = client.get(_site_change(site)).content.decode()

    assert "Reason for this change" in page
    assert 'name="change_reason"' in page


def test_reason_given_is_kept_with_every_record_the_save_changed_and_shown(client, curator, site):
    certificate = CertificationFactory(site=site, valid_until=datetime.date(2026, 5, 1))
    reason = "Renewed after the inspectorate's visit of 3 March"

    _save(
        client,
        _site_change(site),
        change_reason=reason,
        city="Köln",
        **{"certifications-0-valid_until": "2029-05-01"},
    )

    assert site.history.latest().history_change_reason == reason
    assert certificate.history.latest().history_change_reason == reason
    newest = _history_rows(client, _site_history(site))[0]
    assert reason in newest


def test_reason_alone_on_an_inline_edit_is_kept_on_the_record(client, curator, site):
    certificate = CertificationFactory(site=site, reference="GMP-1")

    _save(
        client,
        _site_change(site),
        change_reason="Reference typo",
        **{"certifications-0-reference": "GMP-11"},
    )

    assert certificate.history.latest().history_change_reason == "Reference typo"
    assert site.history.count() == 1
    assert "Reference typo" in _history_rows(client, _site_history(site))[0]


def test_reason_is_shown_on_the_history_of_a_record_edited_on_its_own_page(client, curator, site):
    certificate = CertificationFactory(site=site, reference="GMP-1")
    url = reverse("admin:partners_certification_change", args=[certificate.pk])

    _save(client, url, change_reason="Inspectorate's letter", reference="GMP-2")

    latest = Certification.history.filter(id=certificate.pk).latest()
    assert latest.history_change_reason == "Inspectorate's letter"
    page = client.get(reverse("admin:partners_certification_history", args=[certificate.pk]))
    assert "Inspectorate&#x27;s letter" in page.content.decode()


def _queries_of_history_with_changed_certificates(client, count: int) -> tuple[int, str]:
    site = SiteFactory()
    for n in range(count):
        CertificationFactory(site=site, reference=f"GMP-{n}")
    changes = {f"certifications-{n}-status": "withdrawn" for n in range(count)}
    _save(client, _site_change(site), city="Köln", **changes)
    with CaptureQueriesContext(connection) as queries:
        newest = _history_rows(client, _site_history(site))[0]
    return len(queries), newest


def test_history_page_reads_as_many_queries_however_many_records_a_save_changed(client, curator):
    few, _ = _queries_of_history_with_changed_certificates(client, 2)
    many, newest = _queries_of_history_with_changed_certificates(client, 12)

    assert newest.count("status Active → Withdrawn") == 12
    assert many == few


def test_a_published_483s_history_includes_its_record_ids(client, curator):
    document = Published483.objects.create(
        fei_number="3001234567", legal_name="Rhine Valley Pharma", publish_date="2025-02-01"
    )
    Published483RecordId.objects.create(document=document, record_id="12345")

    rows = _history_rows(client, reverse("admin:partners_published483_history", args=[document.pk]))

    assert any("Added published 483 record ID 12345" in row for row in rows)
