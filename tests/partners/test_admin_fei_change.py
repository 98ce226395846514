"""Changing a site's FEI in the admin moves regulator records between sites: the save first says
how many records the change detaches and attaches, saves nothing, keeps every other edit of the
form, and saves once the curator confirms."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from partners.models import Inspection, Provider, RegulatoryAction, Site
from tests.factories import InspectionFactory, ProviderFactory, RegulatoryActionFactory, SiteFactory
from tests.partners.admin_forms import change_form_data

pytestmark = pytest.mark.django_db

OLD_FEI, NEW_FEI = "3001234567", "3009876543"


@pytest.fixture
def curator(django_user_model, client):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    client.force_login(user)
    return user


@pytest.fixture
def site():
    """A site holding two inspections (one OAI) and a warning letter of its FEI; FDA has an
    inspection of the other FEI that no site carries yet."""
    site = SiteFactory(
        provider=ProviderFactory(name="Rhine Valley Pharma"),
        name="Leverkusen",
        city="Leverkusen",
        fei_number=OLD_FEI,
    )
    InspectionFactory(fei_number=OLD_FEI, classification="OAI")
    InspectionFactory(fei_number=OLD_FEI, classification="VAI")
    RegulatoryActionFactory(fei_number=OLD_FEI)
    InspectionFactory(fei_number=NEW_FEI, classification="NAI")
    return site


def _url(site: Site) -> str:
    return reverse("admin:partners_site_change", args=[site.pk])


def _text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _confirmation(response) -> str:
    """The value the page's "Confirm and save" button posts."""
    found = re.search(r'name="_confirm_fei" value="([^"]*)"', response.content.decode())
    assert found, "no confirmation offered"
    return found.group(1)


def _post(client, url: str, data: dict, **changes):
    return client.post(url, data | changes)


def test_changing_the_fei_says_what_it_moves_and_saves_nothing(client, curator, site):
    data = change_form_data(client.get(_url(site)))

    response = _post(client, _url(site), data, fei_number=NEW_FEI, city="Köln", _save="Save")

    assert response.status_code == 200
    text = _text(response)
    assert (
        f"Changing the FEI of this site from {OLD_FEI} to {NEW_FEI} detaches 3 regulator "
        "records (2 inspections, 1 of them OAI; 1 regulatory action) from it and attaches "
        "1 inspection." in text
    )
    assert "Confirm and save" in text
    assert "Go back" in text
    # Not an error to correct.
    assert "Please correct" not in text
    site.refresh_from_db()
    assert (site.fei_number, site.city) == (OLD_FEI, "Leverkusen")
    assert Inspection.objects.filter(site=site).count() == 2
    # Every edit is still in the form.
    shown = change_form_data(response)
    assert (shown["fei_number"], shown["city"]) == (NEW_FEI, "Köln")


def test_confirming_saves_the_fei_and_every_other_edit(client, curator, site):
    data = change_form_data(client.get(_url(site)))
    warned = _post(client, _url(site), data, fei_number=NEW_FEI, city="Köln", _save="Save")

    confirmed = _post(
        client, _url(site), change_form_data(warned), _confirm_fei=_confirmation(warned)
    )

    assert confirmed.status_code == 302
    site.refresh_from_db()
    assert (site.fei_number, site.city) == (NEW_FEI, "Köln")
    assert list(Inspection.objects.filter(site=site).values_list("fei_number", flat=True)) == [
        NEW_FEI
    ]
    assert not RegulatoryAction.objects.filter(site=site).exists()


def test_going_back_keeps_the_edits_and_saves_nothing(client, curator, site):
    data = change_form_data(client.get(_url(site)))
    warned = _post(client, _url(site), data, fei_number=NEW_FEI, city="Köln", _save="Save")

    back = _post(client, _url(site), change_form_data(warned), _fei_go_back="1")

    assert back.status_code == 200
    assert "Confirm and save" not in _text(back)
    assert "Nothing is saved. Saving asks again about the FEI change." in _text(back)
    assert "confirm the FEI change" not in _text(back)
    shown = change_form_data(back)
    assert (shown["fei_number"], shown["city"]) == (NEW_FEI, "Köln")
    site.refresh_from_db()
    assert (site.fei_number, site.city) == (OLD_FEI, "Leverkusen")
    # Saving from there asks again.
    again = _post(client, _url(site), shown, _save="Save")
    assert again.status_code == 200
    assert "Confirm and save" in _text(again)


def test_saving_without_an_fei_change_needs_no_confirmation(client, curator, site):
    data = change_form_data(client.get(_url(site)))

    response = _post(client, _url(site), data, city="Köln", _save="Save")

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.city == "Köln"


def test_the_same_fei_written_with_leading_zeros_is_no_change(client, curator, site):
    data = change_form_data(client.get(_url(site)))

    response = _post(client, _url(site), data, fei_number=f"000{OLD_FEI}", _save="Save")

    assert response.status_code == 302


def test_an_fei_change_that_moves_no_record_is_saved_at_once(client, curator, site):
    quiet = SiteFactory(provider=site.provider, name="Dormagen", fei_number="3001111111")
    data = change_form_data(client.get(_url(quiet)))

    response = _post(client, _url(quiet), data, fei_number="3005555555", _save="Save")

    assert response.status_code == 302
    quiet.refresh_from_db()
    assert quiet.fei_number == "3005555555"


def test_a_confirmation_of_one_fei_does_not_confirm_another(client, curator, site):
    data = change_form_data(client.get(_url(site)))
    warned = _post(client, _url(site), data, fei_number=NEW_FEI, _save="Save")

    retyped = _post(
        client,
        _url(site),
        change_form_data(warned),
        fei_number="",
        _confirm_fei=_confirmation(warned),
    )

    assert retyped.status_code == 200
    assert f"Removing the FEI {OLD_FEI}" in _text(retyped)
    site.refresh_from_db()
    assert site.fei_number == OLD_FEI


def test_removing_the_fei_says_what_it_detaches(client, curator, site):
    data = change_form_data(client.get(_url(site)))

    response = _post(client, _url(site), data, fei_number="", _save="Save")

    assert f"Removing the FEI {OLD_FEI} from this site detaches 3 regulator records" in _text(
        response
    )


def test_confirmed_save_and_continue_returns_to_the_site(client, curator, site):
    data = change_form_data(client.get(_url(site)))
    warned = _post(client, _url(site), data, fei_number=NEW_FEI, _continue="Save and continue")

    confirmed = _post(
        client, _url(site), change_form_data(warned), _confirm_fei=_confirmation(warned)
    )

    assert confirmed.status_code == 302
    assert confirmed.url == _url(site)


def test_an_fei_changed_in_the_providers_site_rows_asks_for_confirmation(client, curator, site):
    other = SiteFactory(provider=site.provider, name="Dormagen", fei_number="")
    url = reverse("admin:partners_provider_change", args=[site.provider.pk])
    data = change_form_data(client.get(url))
    row = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(site.pk))

    warned = _post(
        client,
        url,
        data,
        description="Sterile fill-finish.",
        _save="Save",
        **{f"sites-{row}-fei_number": NEW_FEI},
    )

    assert warned.status_code == 200
    assert (
        f"Changing the FEI of “Leverkusen” from {OLD_FEI} to {NEW_FEI} detaches 3 regulator "
        "records" in _text(warned)
    )
    site.refresh_from_db()
    assert site.fei_number == OLD_FEI
    assert Provider.objects.get(pk=site.provider_id).description == ""

    confirmed = _post(client, url, change_form_data(warned), _confirm_fei=_confirmation(warned))

    assert confirmed.status_code == 302
    site.refresh_from_db()
    other.refresh_from_db()
    assert site.fei_number == NEW_FEI
    assert other.fei_number == ""
    assert Provider.objects.get(pk=site.provider_id).description == "Sterile fill-finish."


def test_giving_a_site_an_fei_says_what_it_attaches(client, curator, site):
    newcomer = SiteFactory(provider=site.provider, name="Dormagen", fei_number="")
    data = change_form_data(client.get(_url(newcomer)))

    response = _post(client, _url(newcomer), data, fei_number=NEW_FEI, _save="Save")

    assert f"Giving this site the FEI {NEW_FEI} attaches 1 inspection to it." in _text(response)
