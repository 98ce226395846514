"""Quantities read alike wherever people see them: thousands separated, no trailing zeros
("2,000 L"), on the brief's list and page, in the engine's sentences and the API that carries
them, in the relaxation the live preview suggests, and on the run page."""

import json

import pytest
from bs4 import BeautifulSoup
from django.template import Context, Template
from django.test import Client
from rest_framework.test import APIClient

from core.choices import JobStatus
from core.quantities import format_quantity
from matching.engine.scoring import Relaxation
from matching.models import Run
from matching.preview import Preview
from matching.runs import execute_run
from tests.matching.conftest import mab_site, phase2_mab_brief


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2000.0, "2,000"),
        (12000, "12,000"),
        (100_000.0, "100,000"),
        (2000.5, "2,000.5"),
        (1.25, "1.25"),
        (0.25, "0.25"),
        (0.001, "0.001"),
        (0.0005, "0.0005"),
        (0.12345, "0.123"),
    ],
)
def test_a_quantity_is_thousands_separated_without_trailing_zeros(value, text):
    assert format_quantity(value) == text


def test_the_quantity_filter_writes_the_same_and_leaves_nothing_empty():
    template = Template("{% load quantities %}[{{ a|quantity }}] [{{ b|quantity }}]")

    assert template.render(Context({"a": 2000.0, "b": None})) == "[2,000] []"


def test_the_previews_relaxation_separates_thousands():
    relaxation = Relaxation(criterion="scale", admitted=1234, requirement="2,000 L scale")
    preview = Preview(sites=(), eligible=0, excluded=0, relaxation=relaxation)

    assert preview.relaxation_sentence == (
        "Dropping the 2,000 L scale must-have would admit 1,234 more sites"
    )
    assert str(relaxation) == "drop the 2,000 L scale must-have: +1,234 sites"


@pytest.fixture
def large_run(helix, fresh_catalogue_index) -> Run:
    """A done run of a phase 2, 2,000 L mAb brief over a 12,000 L site and a 1,500 L one, with
    scale a must-have: the smaller one is excluded, and dropping the must-have would admit it."""
    mab_site("Berlin", "DE", "phase2", max_volume_l=12000)
    mab_site("Bonn", "DE", "phase2", max_volume_l=1500)
    brief = phase2_mab_brief(helix.membership.organisation, created_by=helix)
    brief.batch_size = 2000
    brief.batch_unit = "L"
    brief.must_haves = ["scale"]
    brief.save()
    run = Run.objects.create(brief=brief, organisation=brief.organisation)
    assert execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    return run


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


@pytest.mark.django_db
def test_the_pages_and_the_api_say_2000_l_with_a_separator(helix, large_run):
    client = Client()
    client.force_login(helix)
    api = APIClient()
    api.force_authenticate(helix)
    brief = large_run.brief

    listed = _text(client.get("/briefs/"))
    detail = _text(client.get(f"/briefs/{brief.pk}/"))
    run_page = _text(client.get(f"/runs/{large_run.pk}/"))
    results = json.dumps(api.get(f"/api/runs/{large_run.pk}/results/").json(), ensure_ascii=False)

    assert "2,000 L" in listed
    assert "2,000 L" in detail
    assert "handles up to 12,000 L, enough for a 2,000 L batch" in run_page
    assert "Max 12,000 L for a 2,000 L batch" in run_page
    assert "drop the 2,000 L scale must-have: +1 site" in run_page
    assert "handles up to 12,000 L, enough for a 2,000 L batch" in results
    assert "handles up to 1,500 L, only 75% of the 2,000 L batch" in results
    for text in (listed, detail, run_page, results):
        assert "2000 L" not in text
        assert "12000" not in text
