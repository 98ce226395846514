"""The curators' review queues: what each holds, their counts on the admin's front page, and the
"review queue" filter of the admin lists that works through them."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from partners.models import Certification, Provider, Site
from partners.review_queues import QUEUES, queue_counts, queue_named
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def catalogue():
    """Two unverified providers of three; certificates around the 90-day notice, one of them
    renewed; one site of three without an FEI."""
    verified = ProviderFactory(name="Verified", verification_status="verified", verified_on=TODAY)
    unverified = ProviderFactory(name="Unverified")
    ProviderFactory(name="Also unverified")
    site = SiteFactory(provider=verified, name="Leverkusen", fei_number="3001234567")
    other = SiteFactory(provider=unverified, name="Cork", fei_number="3009999999")
    SiteFactory(provider=unverified, name="Ringaskiddy", fei_number="")
    return {
        "today": CertificationFactory(site=site, kind="eu-gmp", valid_until=days(0)),
        "in 90 days": CertificationFactory(site=site, kind="iso-9001", valid_until=days(90)),
        "in 91 days": CertificationFactory(site=site, kind="iso-14001", valid_until=days(91)),
        "open-ended": CertificationFactory(site=site, kind="cep", valid_until=None),
        "suspended, in 30 days": CertificationFactory(
            site=other, kind="eu-gmp", valid_until=days(30), status="suspended"
        ),
        # Renewed: a later certificate of the kind at the site takes it out of both queues.
        "in 10 days, renewed": CertificationFactory(
            site=other, kind="mhra-gmp", valid_until=days(10)
        ),
        "renewal": CertificationFactory(
            site=other, kind="mhra-gmp", issued_on=days(-5), valid_until=days(1000)
        ),
        "yesterday": CertificationFactory(site=other, kind="who-pq", valid_until=days(-1)),
        "expired, renewed": CertificationFactory(
            site=other, kind="iso-9001", issued_on=days(-900), valid_until=days(-200)
        ),
        "expired, renewed open-ended": CertificationFactory(
            site=other, kind="iso-13485", issued_on=days(-900), valid_until=days(-20)
        ),
        "open-ended renewal": CertificationFactory(
            site=other, kind="iso-13485", issued_on=days(-20), valid_until=None
        ),
        "renewal of the iso-9001": CertificationFactory(
            site=other, kind="iso-9001", issued_on=days(-200), valid_until=days(500)
        ),
        "withdrawn, expired": CertificationFactory(
            site=other, kind="dea-registration", valid_until=days(-3), status="withdrawn"
        ),
    }


def _in_queue(key: str, today: datetime.date = TODAY):
    return queue_named(key).rows(today)


def test_unverified_providers_queue(catalogue):
    names = set(_in_queue("unverified").values_list("name", flat=True))

    assert names == {"Unverified", "Also unverified"}


def test_expiring_queue_holds_active_certificates_ending_within_90_days_not_renewed(catalogue):
    expiring = set(_in_queue("expiring"))

    assert expiring == {catalogue["today"], catalogue["in 90 days"]}


def test_expired_queue_holds_active_certificates_past_their_date_not_renewed(catalogue):
    expired = set(_in_queue("expired"))

    assert expired == {catalogue["yesterday"]}


def test_sites_without_fei_queue(catalogue):
    names = set(_in_queue("no_fei").values_list("name", flat=True))

    assert names == {"Ringaskiddy"}


def test_sites_without_fei_or_duns_queue_leaves_out_a_site_known_by_its_duns(catalogue):
    SiteFactory(name="Known by DUNS", fei_number="", duns_number="150483782")

    names = set(_in_queue("no_fei").values_list("name", flat=True))

    assert names == {"Ringaskiddy"}


def test_registrations_past_their_expiry_have_their_own_queue():
    expired = CertificationFactory(kind="fda-registration", valid_until=days(-1))
    CertificationFactory(kind="fda-registration", valid_until=days(200))
    renewed = CertificationFactory(kind="fda-registration", valid_until=days(-30))
    CertificationFactory(site=renewed.site, kind="fda-registration", valid_until=days(335))
    expired_certificate = CertificationFactory(kind="eu-gmp", valid_until=days(-1))
    CertificationFactory(kind="fda-registration", valid_until=days(30))

    assert list(_in_queue("registration_expired")) == [expired]
    # ...and leave the certificates' queues to the certificates a provider is asked for.
    assert list(_in_queue("expired")) == [expired_certificate]
    assert not _in_queue("expiring").exists()


@pytest.fixture
def shared_fei():
    """An FEI two sites share; of its three inspections, one names a firm neither is named
    after. Another FEI one site holds has an inspection of any name."""
    plant = SiteFactory(name="Acme Sterile Products", fei_number="3001234567")
    labeller = SiteFactory(name="Acme Labelling", fei_number="3001234567")
    InspectionFactory(fei_number="3001234567", legal_name="ACME STERILE PRODUCTS INC")
    InspectionFactory(fei_number="3001234567", legal_name="Acme Labelling GmbH")
    InspectionFactory(fei_number="3001234567", legal_name="Zenith Chemicals")
    SiteFactory(name="Elsewhere", fei_number="3009999999")
    InspectionFactory(fei_number="3009999999", legal_name="Zenith Chemicals")
    return plant, labeller


def test_ambiguous_fei_queue_lists_the_sites_sharing_an_fei_with_records_linked_to_none(
    shared_fei,
):
    assert set(_in_queue("ambiguous_fei")) == set(shared_fei)
    assert queue_named("ambiguous_fei").summary() == "1 record of FEI 3001234567."


def test_ambiguous_fei_queue_empties_once_a_site_is_named_as_fda_names_the_firm(shared_fei):
    plant, _ = shared_fei
    SiteFactory(provider=plant.provider, name="Zenith Chemicals Ltd.", fei_number="3001234567")

    assert not _in_queue("ambiguous_fei").exists()
    assert queue_named("ambiguous_fei").summary() == ""


def test_admin_front_page_says_how_many_records_of_which_feis_are_ambiguous(
    client, curator, shared_fei
):
    InspectionFactory(fei_number="3001234567", legal_name="Someone Else")
    client.force_login(curator)

    html = client.get(reverse("admin:index")).content.decode()

    row = re.search(r'<tr class="review-queue-ambiguous_fei">(.*?)</tr>', html, re.S).group(1)
    assert "Ambiguous FEIs" in row
    assert "2 records of FEI 3001234567." in row
    assert re.search(r'<td class="review-queue-count">2</td>', row)


def test_queue_counts_count_each_queue_in_one_query(catalogue, django_assert_num_queries):
    with django_assert_num_queries(len(QUEUES)):
        counts = queue_counts(QUEUES, TODAY)

    assert {queue.key: count for queue, count in counts} == {
        "unverified": 2,
        "expiring": 2,
        "expired": 1,
        "registration_expired": 0,
        "no_fei": 1,
        "ambiguous_fei": 0,
    }


def test_each_queue_opens_its_models_admin_list():
    assert {queue.key: queue.url for queue in QUEUES} == {
        "unverified": "/admin/partners/provider/?review=unverified",
        "expiring": "/admin/partners/certification/?review=expiring",
        "expired": "/admin/partners/certification/?review=expired",
        "registration_expired": "/admin/partners/certification/?review=registration_expired",
        "no_fei": "/admin/partners/site/?review=no_fei",
        "ambiguous_fei": "/admin/partners/site/?review=ambiguous_fei",
    }
    assert {queue.model for queue in QUEUES} == {Provider, Certification, Site}


# -- In the admin ------------------------------------------------------------------------------


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def test_admin_front_page_counts_the_queues_and_links_them(client, curator):
    today = timezone.localdate()
    ProviderFactory(name="Unverified")
    site = SiteFactory(fei_number="3001234567")
    CertificationFactory(site=site, kind="eu-gmp", valid_until=today + datetime.timedelta(days=30))
    CertificationFactory(site=site, kind="who-pq", valid_until=today - datetime.timedelta(days=3))
    SiteFactory(fei_number="")
    client.force_login(curator)

    html = client.get(reverse("admin:index")).content.decode()

    assert "Review queues" in html
    for queue in QUEUES:
        assert f'href="{queue.url}"' in html
    counts = re.findall(
        r'<tr class="review-queue-(\w+)">.*?<td class="review-queue-count[^"]*">(\d+)</td>',
        html,
        re.S,
    )
    # Three providers: "Unverified" and the two the sites' factory made, none verified.
    assert dict(counts) == {
        "unverified": "3",
        "expiring": "1",
        "expired": "1",
        "registration_expired": "0",
        "no_fei": "1",
        "ambiguous_fei": "0",
    }


def test_admin_front_page_shows_queues_only_of_models_one_may_view(client, django_user_model):
    user = django_user_model.objects.create_user("sam", password="pw", is_staff=True)
    user.user_permissions.add(
        *Group.objects.get(name="Curators").permissions.filter(codename="view_site")
    )
    client.force_login(user)

    html = client.get(reverse("admin:index")).content.decode()

    assert "Sites without FEI or DUNS" in html
    assert "Unverified providers" not in html
    assert "Certificates expiring" not in html


def test_admin_front_page_has_no_queues_for_staff_who_may_view_none(client, django_user_model):
    user = django_user_model.objects.create_user("sam", password="pw", is_staff=True)
    client.force_login(user)

    html = client.get(reverse("admin:index")).content.decode()

    assert "Review queues" not in html


def test_admin_list_filter_works_through_a_queue(client, curator):
    today = timezone.localdate()
    soon = CertificationFactory(reference="SOON-1", valid_until=today + datetime.timedelta(days=9))
    CertificationFactory(reference="LATER-1", valid_until=today + datetime.timedelta(days=400))
    client.force_login(curator)

    response = client.get(
        reverse("admin:partners_certification_changelist"), {"review": "expiring"}
    )

    assert list(response.context["cl"].result_list) == [soon]
    html = response.content.decode()
    assert "By review queue" in html
    assert "Certificates expired and not renewed" in html


def test_admin_list_filter_offers_each_model_only_its_queues(client, curator):
    client.force_login(curator)

    sites = client.get(reverse("admin:partners_site_changelist")).content.decode()
    providers = client.get(reverse("admin:partners_provider_changelist"), {"_facets": "1"})

    assert "Sites without FEI or DUNS" in sites
    assert "Unverified providers" not in sites
    assert "Unverified providers" in providers.content.decode()


def test_unknown_queue_in_the_url_lists_everything(client, curator):
    ProviderFactory.create_batch(2)
    client.force_login(curator)

    response = client.get(reverse("admin:partners_provider_changelist"), {"review": "no_fei"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
