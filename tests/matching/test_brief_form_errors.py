"""A brief form refused on save says what to correct: its error summary names each field, links
to it, and takes the focus; a saved brief tells the browser to drop its unsaved draft."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from matching.choices import Criterion
from matching.models import Brief
from matching.views import DRAFT_SAVED_COOKIE
from partners.models import Term
from tests.factories import BriefFactory


def _form_data(**changes) -> dict:
    data = {
        "title": "Phase 2 mAb",
        "modality": Term.objects.get(slug="mab").pk,
        "phase": "phase2",
        "batch_size": "200",
        "batch_unit": "L",
        "target_markets": ["US", "EU"],
        **{f"weight_{criterion}": "3" for criterion in Criterion.values},
    }
    data.update(changes)
    return data


def _summary(response) -> tuple[BeautifulSoup, list]:
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one("#form-errors")
    assert summary is not None, "the page has no error summary"
    return soup, summary.select("li")


@pytest.fixture
def signed_in(client, sponsor):
    client.force_login(sponsor)
    return client


@pytest.mark.django_db
def test_the_error_summary_names_the_field_and_links_to_its_input(signed_in):
    response = signed_in.post(
        reverse("matching:brief-create"), _form_data(title="", batch_size="-5")
    )

    soup, problems = _summary(response)
    texts = [problem.get_text(" ", strip=True) for problem in problems]
    assert any(text.startswith(("Title :", "Title:")) for text in texts), texts
    assert any("Batch size" in text and "greater than 0" in text for text in texts), texts
    for problem in problems:
        link = problem.select_one("a[href^='#']")
        assert link is not None, f"no link in {problem.get_text()!r}"
        target = soup.find(id=link["href"][1:])
        assert target is not None, link
        assert target.name in ("input", "select", "textarea"), link
    assert not Brief.objects.exists()


@pytest.mark.django_db
def test_an_error_on_a_list_of_tick_boxes_links_to_its_first_box(signed_in):
    response = signed_in.post(
        reverse("matching:brief-create"),
        _form_data(must_have_target_markets=["JP"]),
    )

    soup, problems = _summary(response)
    (markets,) = [p for p in problems if "Target markets" in p.get_text()]
    link = markets.select_one("a")
    assert link["href"] == "#id_target_markets_0"
    assert soup.find(id="id_target_markets_0")["type"] == "checkbox"
    assert "marked a must-have but not chosen" in markets.get_text()


@pytest.mark.django_db
def test_an_error_on_the_weights_together_links_to_the_first_weight(signed_in):
    zero = {f"weight_{criterion}": "0" for criterion in Criterion.values}

    response = signed_in.post(reverse("matching:brief-create"), _form_data(**zero))

    soup, problems = _summary(response)
    (weights,) = [p for p in problems if p.select_one("a") and p.a.get_text() == "Weights"]
    assert soup.find(id=weights.a["href"][1:])["name"].startswith("weight_")


@pytest.mark.django_db
def test_the_error_summary_can_take_the_focus_and_is_announced(signed_in):
    response = signed_in.post(reverse("matching:brief-create"), _form_data(title=""))

    summary = BeautifulSoup(response.content, "html.parser").select_one("#form-errors")
    assert summary["tabindex"] == "-1"
    assert summary["role"] == "alert"
    assert "was not saved" in summary.get_text()


@pytest.mark.django_db
def test_saving_a_new_brief_tells_the_browser_to_drop_the_new_briefs_draft(signed_in):
    response = signed_in.post(reverse("matching:brief-create"), _form_data())

    assert response.status_code == 302
    assert response.cookies[DRAFT_SAVED_COOKIE].value == "new"


@pytest.mark.django_db
def test_saving_an_edited_brief_tells_the_browser_to_drop_its_draft(signed_in, sponsor):
    brief = BriefFactory(organisation=sponsor.membership.organisation)

    response = signed_in.post(reverse("matching:brief-edit", args=[brief.pk]), _form_data())

    assert response.status_code == 302
    assert response.cookies[DRAFT_SAVED_COOKIE].value == str(brief.pk)


@pytest.mark.django_db
def test_a_refused_save_leaves_the_draft_in_the_browser(signed_in):
    response = signed_in.post(reverse("matching:brief-create"), _form_data(title=""))

    assert response.status_code == 200
    assert DRAFT_SAVED_COOKIE not in response.cookies


@pytest.mark.django_db
def test_every_field_refers_a_screen_reader_to_help_and_errors_that_exist(signed_in):
    response = signed_in.post(
        reverse("matching:brief-create"),
        _form_data(title="", batch_size="-5", weight_capability="9"),
    )

    soup = BeautifulSoup(response.content, "html.parser")
    described = soup.select("[aria-describedby]")
    assert described
    missing = {
        element.get("id") or element.get("name"): ref
        for element in described
        for ref in element["aria-describedby"].split()
        if soup.find(id=ref) is None
    }
    assert missing == {}
    assert (
        "greater than 0"
        in soup.find(id=soup.find(id="id_batch_size")["aria-describedby"].split()[-1]).get_text()
    )
