"""Free text has a length limit everywhere it can be written: a provider's description in the
catalogue import, the admin's form and the model's validation; a regulator record's long text in
the FDA import; a candidate's note, exit note and quote assumptions and a decision's rationale and
reopening reason in the pages and the API. Beyond it: refused, naming the field and the limit
(a 10 MB description used to be stored)."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.forms import modelform_factory
from django.test import Client
from rest_framework.test import APIClient

from partners.importers.fda import formats
from partners.importers.fda.formats import CellRejected
from partners.models import Citation, Provider
from partners.models.catalogue import PROVIDER_DESCRIPTION_MAX_LENGTH
from partners.models.regulator import REGULATOR_TEXT_MAX_LENGTH
from sourcing.models import (
    EXIT_NOTE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    RATIONALE_MAX_LENGTH,
    REOPEN_REASON_MAX_LENGTH,
    Decision,
    Note,
)
from tests.factories import BriefFactory, CandidateFactory, MembershipFactory, ShortlistFactory

pytestmark = pytest.mark.django_db

TEN_MB = "x" * (10 * 1024 * 1024)
# What a request may carry in its body (DATA_UPLOAD_MAX_MEMORY_SIZE is 2.5 MB): far above the
# limits, so it is the field's limit that refuses it.
ONE_MB = "x" * (1024 * 1024)


@pytest.fixture
def member():
    return MembershipFactory(user__username="bea")


@pytest.fixture
def candidate(member):
    shortlist = ShortlistFactory(brief=BriefFactory(organisation=member.organisation))
    return CandidateFactory(shortlist=shortlist, site__name="Milan")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The catalogue ------------------------------------------------------------------------------


def _provider_line(slug: str, **changes) -> dict:
    return {
        "name": slug.title(),
        "slug": slug,
        "kind": "cdmo",
        "country": "DE",
        "sites": [{"name": "Main plant", "country": "DE"}],
        **changes,
    }


def test_the_catalogue_import_rejects_a_10_mb_description_with_its_line(tmp_path):
    path = tmp_path / "catalogue.jsonl"
    lines = [_provider_line("kept"), _provider_line("bloated", description=TEN_MB)]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 lines rejected"):
        call_command("import_catalogue", str(path), stdout=io.StringIO(), stderr=err)

    assert (
        f"line 2: description: is {len(TEN_MB)} characters long; at most "
        f"{PROVIDER_DESCRIPTION_MAX_LENGTH} fit" in err.getvalue()
    )
    assert list(Provider.objects.values_list("slug", flat=True)) == ["kept"]


def test_the_admins_provider_form_and_the_model_refuse_a_long_description():
    form_class = modelform_factory(Provider, fields=["description"])
    form = form_class({"description": "x" * (PROVIDER_DESCRIPTION_MAX_LENGTH + 1)})

    assert not form.is_valid()
    assert form.errors["description"] == [
        f"Ensure this value has at most {PROVIDER_DESCRIPTION_MAX_LENGTH} characters "
        f"(it has {PROVIDER_DESCRIPTION_MAX_LENGTH + 1})."
    ]
    assert form.fields["description"].widget.attrs["maxlength"] == str(
        PROVIDER_DESCRIPTION_MAX_LENGTH
    )
    provider = Provider(name="Acme", slug="acme", kind="cdmo", country="DE", description=TEN_MB)
    with pytest.raises(ValidationError) as refused:
        provider.full_clean()
    assert list(refused.value.message_dict) == ["description"]


def test_the_fda_import_rejects_an_overlong_citation_cell():
    parse = formats.text(Citation, "long_description")

    assert parse("x" * REGULATOR_TEXT_MAX_LENGTH) == "x" * REGULATOR_TEXT_MAX_LENGTH
    with pytest.raises(CellRejected, match=f"at most {REGULATOR_TEXT_MAX_LENGTH} fit"):
        parse(TEN_MB)


# --- Sourcing: the API --------------------------------------------------------------------------


def test_a_1_mb_note_is_a_400_naming_the_field_and_the_limit(member, candidate):
    response = _api(member.user).post(
        f"/api/candidates/{candidate.pk}/notes/", {"text": ONE_MB}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "text": [f"Ensure this field has no more than {NOTE_MAX_LENGTH} characters."]
    }
    assert not Note.objects.exists()


def test_a_note_at_the_limit_is_kept(member, candidate):
    response = _api(member.user).post(
        f"/api/candidates/{candidate.pk}/notes/", {"text": "n" * NOTE_MAX_LENGTH}, format="json"
    )

    assert response.status_code == 201, response.json()


def test_an_overlong_exit_note_is_a_400(member, candidate):
    response = _api(member.user).post(
        f"/api/candidates/{candidate.pk}/move/",
        {"stage": "declined", "exit_reason": "timeline", "exit_note": ONE_MB},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["exit_note"] == [
        f"Ensure this field has no more than {EXIT_NOTE_MAX_LENGTH} characters."
    ]


def test_an_overlong_rationale_and_reopening_reason_are_400s(member, candidate):
    url = f"/api/shortlists/{candidate.shortlist_id}/decisions/"
    api = _api(member.user)

    response = api.post(url, {"chosen": [candidate.pk], "rationale": ONE_MB}, format="json")

    assert response.status_code == 400
    assert response.json()["rationale"] == [
        f"Ensure this field has no more than {RATIONALE_MAX_LENGTH} characters."
    ]
    assert not Decision.objects.exists()

    decided = api.post(url, {"chosen": [candidate.pk], "rationale": "Best fit."}, format="json")
    assert decided.status_code == 201, decided.json()
    reopened = api.post(f"{url}1/reopen/", {"reason": ONE_MB}, format="json")
    assert reopened.status_code == 400
    assert reopened.json()["reason"] == [
        f"Ensure this field has no more than {REOPEN_REASON_MAX_LENGTH} characters."
    ]


def test_a_10_mb_request_body_is_a_400_not_stored(member, candidate):
    client = _api(member.user)
    client.raise_request_exception = False

    response = client.post(
        f"/api/candidates/{candidate.pk}/notes/", {"text": TEN_MB}, format="json"
    )

    assert response.status_code == 400
    assert not Note.objects.exists()


# --- Sourcing: the pages ------------------------------------------------------------------------


def test_the_note_form_refuses_an_overlong_note_naming_the_field(member, candidate):
    client = Client()
    client.force_login(member.user)

    response = client.post(
        f"{candidate.get_absolute_url()}notes/", {"text": "x" * (NOTE_MAX_LENGTH + 1)}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Note: Ensure this value has at most {NOTE_MAX_LENGTH} characters" in page
    assert not Note.objects.exists()
