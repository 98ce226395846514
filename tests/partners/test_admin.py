"""Curators edit the catalogue in the admin; every edit is kept with who made it and when."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from partners.models import Provider, Site
from tests.factories import (
    CertificationFactory,
    InspectionFactory,
    ProviderFactory,
    SiteCapabilityFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def _provider_form(provider: Provider, sites: list[Site], **changes) -> dict:
    data = {
        "name": provider.name,
        "slug": provider.slug,
        "kind": provider.kind,
        "country": provider.country.code,
        "website": provider.website,
        "description": provider.description,
        "verification_status": provider.verification_status,
        "verified_on": "",
        "sites-TOTAL_FORMS": str(len(sites)),
        "sites-INITIAL_FORMS": str(len(sites)),
        "sites-MIN_NUM_FORMS": "0",
        "sites-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, site in enumerate(sites):
        data |= {
            f"sites-{i}-id": str(site.pk),
            f"sites-{i}-provider": str(provider.pk),
            f"sites-{i}-name": site.name,
            f"sites-{i}-country": site.country.code,
            f"sites-{i}-city": site.city,
            f"sites-{i}-fei_number": site.fei_number,
        }
    data.update(changes)
    return data


def test_curators_group_holds_exactly_the_catalogue_and_unlock_permissions():
    group = Group.objects.get(name="Curators")
    catalogue = Permission.objects.filter(
        content_type__app_label="partners",
        content_type__model__in=[
            "term", "phase", "deaschedule", "provider", "site", "sitecapability",
            "certification", "inspection", "regulatoryaction", "regulatorimport",
            "published483", "published483recordid", "citation",
        ],
    )  # fmt: skip

    # And seeing failed sign-ins and unlocking an account (accounts/migrations/0002).
    unlock = Permission.objects.filter(
        content_type__app_label="axes",
        codename__in=["view_accessattempt", "delete_accessattempt"],
    )

    assert set(group.permissions.all()) == set(catalogue) | set(unlock)
    assert catalogue.count() == 13 * 4  # add, change, delete, view of each model
    assert unlock.count() == 2


def test_curator_edits_a_provider_and_its_sites_inline_and_history_keeps_who(client, curator):
    provider = ProviderFactory(name="Rhine Valley Pharma")
    site = SiteFactory(provider=provider, name="Leverkusen", fei_number="")
    client.force_login(curator)
    url = reverse("admin:partners_provider_change", args=[provider.pk])

    response = client.post(
        url,
        _provider_form(
            provider,
            [site],
            description="Sterile fill-finish and lyophilisation.",
            **{"sites-0-fei_number": "3001234567", "sites-0-city": "Köln"},
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    provider.refresh_from_db()
    site.refresh_from_db()
    assert provider.description == "Sterile fill-finish and lyophilisation."
    assert (site.city, site.fei_number) == ("Köln", "3001234567")
    provider_change = provider.history.latest()
    site_change = site.history.latest()
    assert provider_change.history_user == curator
    assert site_change.history_user == curator
    assert [c.field for c in site_change.diff_against(site_change.prev_record).changes] == [
        "city",
        "fei_number",
    ]
    history_page = client.get(reverse("admin:partners_provider_history", args=[provider.pk]))
    assert history_page.status_code == 200
    assert "cora" in history_page.content.decode()


def test_site_page_reaches_capabilities_certifications_inspections_and_actions(client, curator):
    site = SiteFactory(fei_number="3001234567")
    SiteCapabilityFactory(site=site, max_batch_kg=250)
    CertificationFactory(site=site, reference="DE_NW_01_GMP_2023_0042")
    InspectionFactory(fei_number="3001234567", inspection_id="1234567")
    client.force_login(curator)

    provider_page = client.get(reverse("admin:partners_provider_change", args=[site.provider.pk]))
    site_page = client.get(reverse("admin:partners_site_change", args=[site.pk]))

    assert reverse("admin:partners_site_change", args=[site.pk]) in provider_page.content.decode()
    html = site_page.content.decode()
    assert site_page.status_code == 200
    # Each record kind is an inline formset of the site, holding the site's own rows.
    for prefix in ["capabilities", "certifications", "inspections", "actions"]:
        assert f'id="{prefix}-group"' in html
    assert 'name="capabilities-0-max_batch_kg" value="250.0"' in html
    assert 'name="certifications-0-reference" value="DE_NW_01_GMP_2023_0042"' in html
    assert 'name="inspections-0-inspection_id" value="1234567"' in html


def test_curator_cannot_manage_user_accounts(client, curator):
    client.force_login(curator)

    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:partners_provider_changelist")).status_code == 200


def test_demo_accounts_are_printed_and_reused(django_user_model, settings, capsys):
    settings.DEBUG = True

    call_command("demo_accounts")
    call_command("demo_accounts")

    out = capsys.readouterr().out
    assert "curator  / curator-demo-2026" in out
    assert "sponsor  / sponsor-demo-2026" in out
    assert django_user_model.objects.filter(username__in=["curator", "sponsor"]).count() == 2
    curator = django_user_model.objects.get(username="curator")
    assert curator.is_staff
    assert curator.groups.filter(name="Curators").exists()
    assert curator.check_password("curator-demo-2026")
    assert not django_user_model.objects.get(username="sponsor").is_staff


def test_each_demo_organisation_gets_one_example_brief_kept_as_edited(settings, capsys):
    from matching.models import Brief

    settings.DEBUG = True
    call_command("demo_accounts")
    briefs = {brief.organisation.slug: brief for brief in Brief.objects.all()}
    assert set(briefs) == {"helix-therapeutics", "northwind-biologics"}
    assert briefs["helix-therapeutics"].title == "Phase 2 mAb, EU and US supply"
    assert list(briefs["northwind-biologics"].dosage_forms.values_list("slug", flat=True)) == [
        "oral-solid"
    ]
    Brief.objects.filter(pk=briefs["helix-therapeutics"].pk).update(batch_size=500)

    call_command("demo_accounts")

    assert Brief.objects.count() == 2
    assert Brief.objects.get(pk=briefs["helix-therapeutics"].pk).batch_size == 500
    assert "Example brief for Helix Therapeutics" in capsys.readouterr().out


def test_demo_accounts_are_refused_in_production_settings(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False

    with pytest.raises(CommandError, match="only created with DEBUG on"):
        call_command("demo_accounts")
