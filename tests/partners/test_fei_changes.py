"""A curator's change of a site's FEI moves regulator records between sites; every site that
gains or loses records is rescored once the change commits, so the profile, the directory, the
admin and the API agree, even when an import commits records of the FEI meanwhile."""

import datetime

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from partners.importers.fda import importer as fda
from partners.importers.fda.importer import import_fda_file
from partners.models import Inspection, Site
from partners.regulatory.linking import fei_holders
from partners.regulatory.stored_scores import recompute_compliance_scores
from partners.tasks import link_regulatory_records as link_regulatory_records_task
from tests.factories import InspectionFactory, SiteFactory

pytestmark = pytest.mark.django_db

OLD_FEI = "3001234567"
NEW_FEI = "3009999999"


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _inspected_site(fei: str = OLD_FEI, **fields) -> Site:
    """A site with nine inspections of its FEI, one of them OAI, its score stored."""
    site = SiteFactory(fei_number=fei, **fields)
    for n in range(8):
        InspectionFactory(fei_number=fei, classification="NAI", end_date=_days_ago(100 + 90 * n))
    InspectionFactory(fei_number=fei, classification="OAI", end_date=_days_ago(400))
    recompute_compliance_scores([site.pk])
    site.refresh_from_db()
    assert site.compliance_state == "scored"
    return site


def _change_form(response) -> dict:
    """What a browser posts back from an admin change page left as it is."""
    data: dict = {"_save": "Save"}
    form_list = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data |= {management.add_prefix(name): value for name, value in management.initial.items()}
        form_list += formset.forms
    for form in form_list:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(field, forms.JSONField):
                data[key] = field.prepare_value(value)
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif value is not None:
                data[key] = str(value)
    return data


def _save_site_in_admin(client, site: Site, django_capture_on_commit_callbacks, **changes):
    url = reverse("admin:partners_site_change", args=[site.pk])
    data = _change_form(client.get(url)) | changes
    # Celery runs in-process here; the callbacks run as the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
        if response.status_code == 200 and response.context.get("fei_confirmation"):
            # The admin first says what the FEI change moves; the curator confirms it.
            confirmation = {"_confirm_fei": response.context["fei_confirmation"]}
            response = client.post(url, data | confirmation)
    assert response.status_code == 302, response.context["adminform"].form.errors
    site.refresh_from_db()
    return site


def test_changing_a_sites_fei_in_the_admin_rescores_it(
    client, curator, django_capture_on_commit_callbacks
):
    site = _inspected_site()
    client.force_login(curator)

    site = _save_site_in_admin(client, site, django_capture_on_commit_callbacks, fei_number=NEW_FEI)

    # The nine inspections stay with the FEI, which no site carries now...
    assert not Inspection.objects.filter(site=site).exists()
    # ...and the stored score says what the profile says: nothing to score.
    assert site.compliance_state == "unknown"
    assert site.compliance_score is None
    api = client.get(f"/api/providers/{site.provider.slug}/").json()
    assert [s["compliance_score"] for s in api["sites"]] == [None]
    profile = client.get(site.provider.get_absolute_url()).content.decode()
    assert "Unknown" in profile


def test_an_fei_change_rescores_the_site_losing_records_and_the_site_gaining_them(
    client, curator, django_capture_on_commit_callbacks
):
    # Given records of an FEI held by one site, which FDA names "Zenith Chemicals"
    losing = _inspected_site(name="Basel")
    Inspection.objects.update(legal_name="ZENITH CHEMICALS, INC.")
    gaining = SiteFactory(fei_number="", name="Zenith Chemicals")
    recompute_compliance_scores([gaining.pk])
    client.force_login(curator)

    # When a curator gives the FEI to the site of that name too
    gaining = _save_site_in_admin(
        client, gaining, django_capture_on_commit_callbacks, fei_number=OLD_FEI
    )

    # Then the records move to it, and both sites are rescored
    losing.refresh_from_db()
    assert Inspection.objects.filter(site=gaining).count() == 9
    assert (losing.compliance_state, losing.compliance_score) == ("unknown", None)
    assert gaining.compliance_state == "scored"
    assert gaining.compliance_as_of == timezone.localdate()


def test_records_an_import_commits_after_the_sites_save_read_them_are_linked(
    django_capture_on_commit_callbacks,
):
    site = SiteFactory(fei_number="")

    with django_capture_on_commit_callbacks(execute=True):
        site.fei_number = NEW_FEI
        site.save()  # relinks the records committed so far: none
        # An import running alongside commits records of the FEI, linked to no site: it
        # looked the FEI up before the site had it.
        Inspection.objects.bulk_create(
            [
                Inspection(
                    authority="FDA",
                    fei_number=NEW_FEI,
                    inspection_id=str(2000000 + n),
                    end_date=_days_ago(200),
                    classification="VAI",
                )
                for n in range(3)
            ]
        )

    site.refresh_from_db()
    assert Inspection.objects.filter(site=site).count() == 3
    assert site.compliance_state == "scored"


INSPECTIONS_CSV = (
    "FEI Number,Legal Name,City,State,Zip,Country/Area,Fiscal Year,Inspection ID,"
    "Posted Citations,Inspection End Date,Classification,Project Area,Product Type,"
    "Additional Details,FMD-145 Date\n"
)


def test_a_site_given_an_fei_while_an_import_of_its_records_runs_ends_linked(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    site = SiteFactory(fei_number="")
    end_date = _days_ago(200).isoformat()
    path = tmp_path / "inspections.csv"
    path.write_text(
        INSPECTIONS_CSV
        + "".join(
            f"{NEW_FEI},Zenith Chemicals,Basel,-,4000,Switzerland,2025,{2000000 + n},No,"
            f"{end_date},Voluntary Action Indicated (VAI),Drug Quality Assurance,Drugs,,\n"
            for n in range(3)
        )
    )
    looked_up = fei_holders

    def holders_then_the_curators_save(feis):
        # The import looks the FEI up (no site has it yet); a curator's transaction then
        # gives the site that FEI and commits before the import writes and commits.
        holders = looked_up(feis)
        with django_capture_on_commit_callbacks(execute=True):
            site.fei_number = NEW_FEI
            site.save()
        return holders

    monkeypatch.setattr(fda, "fei_holders", holders_then_the_curators_save)
    with django_capture_on_commit_callbacks(execute=True):
        report = import_fda_file(path)

    assert report.ok, report.rejections
    assert report.created == 3
    assert report.linked == 0  # as the import saw it
    site.refresh_from_db()
    assert Inspection.objects.filter(site=site).count() == 3
    assert site.compliance_state == "scored"


def test_the_nightly_relink_rescores_the_sites_whose_records_it_moves(
    django_capture_on_commit_callbacks,
):
    # Given a scored site whose FEI was changed behind the models' back (a bulk load)
    site = _inspected_site()
    Site.objects.filter(pk=site.pk).update(fei_number=NEW_FEI)

    # When the nightly relink runs (twice: a task may be delivered again)
    with django_capture_on_commit_callbacks(execute=True):
        moved = link_regulatory_records_task.delay().get()
    with django_capture_on_commit_callbacks(execute=True) as again:
        moved_again = link_regulatory_records_task.delay().get()

    # Then the records are released and the site rescored, once
    site.refresh_from_db()
    assert (moved, moved_again) == (9, 0)
    assert again == []
    assert (site.compliance_state, site.compliance_score) == ("unknown", None)


def test_an_import_links_rows_of_a_shared_fei_by_firm_name_and_reports_the_rest(tmp_path):
    plant = SiteFactory(fei_number=NEW_FEI, name="Acme Sterile Products")
    SiteFactory(fei_number=NEW_FEI, name="Acme Labelling")
    end_date = _days_ago(200).isoformat()
    path = tmp_path / "inspections.csv"
    path.write_text(
        INSPECTIONS_CSV
        + "".join(
            f'{NEW_FEI},"{name}",Basel,-,4000,Switzerland,2025,{2000000 + n},No,'
            f"{end_date},Voluntary Action Indicated (VAI),Drug Quality Assurance,Drugs,,\n"
            for n, name in enumerate(["ACME STERILE PRODUCTS, INC.", "Zenith Chemicals"])
        )
    )

    report = import_fda_file(path)

    assert report.ok, report.rejections
    assert list(Inspection.objects.filter(site=plant).values_list("inspection_id", flat=True)) == [
        "2000000"
    ]
    assert Inspection.objects.get(inspection_id="2000001").site is None
    assert (report.linked, report.unmatched_feis, report.ambiguous_feis) == (1, 0, 1)
    assert (
        "FEIs several sites share, with rows naming none of them: 1 (see the review queue"
        in "\n".join(report.summary())
    )
