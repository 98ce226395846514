"""The comparison in the JSON API: the same data as the page, bad choices a 400 naming
`candidates`, another organisation's shortlist a 404, the files logged as exports."""

import csv
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from sourcing.choices import Stage, Verb
from sourcing.models import Activity
from tests.factories import CandidateFactory, ShortlistFactory

pytestmark = pytest.mark.django_db


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def pair(helix_list):
    return [
        CandidateFactory(shortlist=helix_list, site__name="Ghent", stage=Stage.RFI_SENT),
        CandidateFactory(shortlist=helix_list, site__name="Milan"),
    ]


def _url(shortlist, tail: str = "") -> str:
    return f"/api/shortlists/{shortlist.pk}/comparison/{tail}"


def test_a_viewer_reads_the_comparison_as_the_page_builds_it(helix_list, pair, vera):
    ids = ",".join(str(candidate.pk) for candidate in reversed(pair))
    response = client_of(vera).get(_url(helix_list), {"candidates": ids})

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"built_at", "brief", "candidates", "groups"}
    assert data["brief"] == {"id": helix_list.brief.pk, "title": "Phase 2 mAb"}
    assert [c["site_name"] for c in data["candidates"]] == ["Milan", "Ghent"]
    stage = next(
        row for group in data["groups"] for row in group["rows"] if row["label"] == "Stage"
    )
    assert stage["differs"] is True
    assert [cell["text"] for cell in stage["cells"]] == ["Longlisted", "RFI sent"]


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ("", "Choose from 2 to 6 candidates to compare; 0 are chosen."),
        ("{a}", "Choose from 2 to 6 candidates to compare; 1 is chosen."),
        ("{a},x", "Give the candidates' ids separated by commas, e.g. 12,15,19; “x” is not one."),
        ("{a},{other}", "Candidate {other} is not on the shortlist “EU fill”."),
    ],
)
def test_a_bad_choice_is_a_400_naming_candidates(helix_list, pair, helen, candidates, message):
    other = CandidateFactory(shortlist=ShortlistFactory(brief=helix_list.brief))
    values = {"a": pair[0].pk, "other": other.pk}

    response = client_of(helen).get(_url(helix_list), {"candidates": candidates.format(**values)})

    assert response.status_code == 400
    assert response.json() == {"candidates": [message.format(**values)]}


@pytest.mark.parametrize("tail", ["", "csv/", "xlsx/"])
@pytest.mark.parametrize("huge", ["9999999999999999999999999", str(2**63), "0", "-3"])
def test_an_id_outside_the_range_of_ids_is_a_400_naming_candidates(
    helix_list, pair, helen, tail, huge
):
    ids = f"{huge},{pair[0].pk}"
    response = client_of(helen).get(_url(helix_list, tail), {"candidates": ids})

    assert response.status_code == 400
    [message] = response.json()["candidates"]
    assert message.startswith("There is no candidate number")
    assert not Activity.objects.filter(verb=Verb.EXPORTED).exists()


def test_seven_candidates_are_a_400(helix_list, helen):
    ids = ",".join(str(CandidateFactory(shortlist=helix_list).pk) for _ in range(7))
    response = client_of(helen).get(_url(helix_list), {"candidates": ids})
    assert response.status_code == 400
    assert "7 are chosen" in response.json()["candidates"][0]


@pytest.mark.parametrize("tail", ["", "csv/", "xlsx/"])
def test_another_organisation_finds_nothing(helix_list, pair, otto, tail):
    ids = f"{pair[0].pk},{pair[1].pk}"
    assert client_of(otto).get(_url(helix_list, tail), {"candidates": ids}).status_code == 404
    assert not Activity.objects.filter(verb=Verb.EXPORTED).exists()


@pytest.mark.parametrize("tail", ["", "csv/"])
def test_the_anonymous_are_refused(helix_list, pair, tail):
    ids = f"{pair[0].pk},{pair[1].pk}"
    assert client_of().get(_url(helix_list, tail), {"candidates": ids}).status_code == 401


def test_the_comparison_as_csv_and_xlsx_logged(helix_list, pair, vera):
    ids = f"{pair[0].pk},{pair[1].pk}"

    response = client_of(vera).get(_url(helix_list, "csv/"), {"candidates": ids})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Group", "Row", "Differs"]
    assert ["Site", "Stage", "yes", "RFI sent", "Longlisted"] in rows

    response = client_of(vera).get(_url(helix_list, "xlsx/"), {"candidates": ids})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet["A1"].value == "Group"

    entries = Activity.objects.filter(shortlist=helix_list, verb=Verb.EXPORTED)
    assert [entry.detail["format"] for entry in entries.order_by("pk")] == ["csv", "xlsx"]
    assert entries.first().summary.startswith("the comparison of Ghent, Milan as ")


def test_an_unknown_file_format_is_not_found(helix_list, pair, helen):
    ids = f"{pair[0].pk},{pair[1].pk}"
    assert client_of(helen).get(_url(helix_list, "pdf/"), {"candidates": ids}).status_code == 404


def test_the_api_makes_as_many_queries_for_six_candidates_as_for_two(
    helix_list, helen, django_assert_max_num_queries
):
    candidates = [CandidateFactory(shortlist=helix_list) for _ in range(6)]
    client = client_of(helen)
    # The shortlist, the candidates with their sites and quotes, six prefetches of the sites'
    # records, the brief and its three term sets, the team's criteria, members and scores.
    queries = 15
    for count in (2, 6):
        ids = ",".join(str(candidate.pk) for candidate in candidates[:count])
        with django_assert_max_num_queries(queries):
            response = client.get(_url(helix_list), {"candidates": ids})
        assert len(response.json()["candidates"]) == count
