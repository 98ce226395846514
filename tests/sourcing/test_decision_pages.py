"""Decision records as pages: the form (candidates in the race, preselected from the comparison),
errors beside the field, the record with its sections, reopening with a reason, the list, and
the shortlist's header naming the standing decision."""

import pytest
from bs4 import BeautifulSoup

from sourcing import decisions
from sourcing.choices import ExitReason, Stage
from sourcing.models import Candidate, Decision
from tests.factories import CandidateFactory
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def race(helix_list):
    """Lyon audited, Cork with a proposal, Basel declined, on Helix's "EU fill"."""
    lyon = CandidateFactory(
        shortlist=helix_list,
        site__name="Lyon",
        site__provider__name="Lyon Bio",
        stage=Stage.AUDITED,
    )
    cork = CandidateFactory(
        shortlist=helix_list,
        site__name="Cork",
        site__provider__name="Cork Bio",
        stage=Stage.PROPOSAL_RECEIVED,
    )
    basel = CandidateFactory(
        shortlist=helix_list,
        site__name="Basel",
        stage=Stage.DECLINED,
        exit_reason=ExitReason.NO_CAPACITY,
    )
    return {"shortlist": helix_list, "lyon": lyon, "cork": cork, "basel": basel}


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text().split())


def test_the_form_offers_the_candidates_in_the_race_preselected_from_the_comparison(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]

    page = _soup(
        client_of(helen).get(f"/shortlists/{shortlist.pk}/decide/?c={lyon.pk}&c={cork.pk}")
    )

    boxes = page.select("input[name=chosen]")
    assert [box["value"] for box in boxes] == [str(lyon.pk), str(cork.pk)]  # Basel is out
    assert all(box.has_attr("checked") for box in boxes)
    assert [i["value"] for i in page.select("input[name=compared]")] == [str(lyon.pk), str(cork.pk)]
    assert page.select_one(f"label[for=decide-chosen-{lyon.pk}]")
    assert page.select_one("label[for=decide-rationale]").get_text() == "Rationale"


def test_more_than_two_compared_are_kept_but_none_preselected(helen, race, helix_list):
    extra = CandidateFactory(shortlist=helix_list)
    ids = [race["lyon"].pk, race["cork"].pk, extra.pk]

    page = _soup(
        client_of(helen).get(f"/shortlists/{helix_list.pk}/decide/?c={','.join(map(str, ids))}")
    )

    assert not page.select("input[name=chosen][checked]")
    assert len(page.select("input[name=compared]")) == 3


def test_recording_a_decision_leads_to_its_record(helen, race):
    shortlist, lyon = race["shortlist"], race["lyon"]
    client = client_of(helen)

    response = client.post(
        f"/shortlists/{shortlist.pk}/decide/",
        {"chosen": [lyon.pk], "rationale": "Clean audit.\nBest price."},
    )

    decision = Decision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shortlists/{shortlist.pk}/decisions/1/"
    page = _soup(client.get(response["Location"]))
    chosen = _text(page.select_one("#chosen-heading").find_parent("section"))
    assert "Lyon · Lyon Bio · was Audited" in chosen
    rationale = page.select_one(".decision-rationale")
    assert [line.strip() for line in rationale.get_text("\n").splitlines() if line.strip()] == [
        "Clean audit.",
        "Best price.",
    ]
    assert "Decided by helen" in _text(page.select_one(".lede"))
    for heading in ("brief", "run", "comparison", "quotes", "team", "notes"):
        assert page.select_one(f"#{heading}-heading"), heading
    assert [_text(th) for th in page.select(".comparison-head a")] == ["Lyon", "Cork"]
    assert decision.standing


def test_a_refused_decision_says_why_beside_the_field_and_keeps_the_choice(helen, race):
    shortlist, lyon, basel = race["shortlist"], race["lyon"], race["basel"]
    client = client_of(helen)

    blank = client.post(f"/shortlists/{shortlist.pk}/decide/", {"chosen": [lyon.pk]})
    out = client.post(
        f"/shortlists/{shortlist.pk}/decide/", {"chosen": [basel.pk], "rationale": "Cheap"}
    )

    assert (blank.status_code, out.status_code) == (400, 400)
    errors = _text(_soup(blank).select_one(".form-errors"))
    assert errors == "Rationale: Say why these were chosen: the rationale is kept with the record."
    textarea = _soup(blank).select_one("#decide-rationale")
    assert textarea["aria-invalid"] == "true"
    assert _soup(blank).select_one(f"#decide-chosen-{lyon.pk}").has_attr("checked")
    assert "Chosen: Basel" in _text(_soup(out).select_one(".form-errors"))
    assert not Decision.objects.exists()


def test_a_standing_decision_is_named_on_the_form_and_a_second_is_refused(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]
    decisions.decide(shortlist, helen, [lyon.pk], "Best audit")
    client = client_of(helen)

    page = _soup(client.get(f"/shortlists/{shortlist.pk}/decide/"))
    refused = client.post(
        f"/shortlists/{shortlist.pk}/decide/", {"chosen": [cork.pk], "rationale": "Cork"}
    )

    notice = page.select_one(".notice")
    assert "Decision 1 stands" in _text(notice)
    assert notice.a["href"] == f"/shortlists/{shortlist.pk}/decisions/1/"
    assert not page.select("input[name=chosen]")
    assert refused.status_code == 400
    assert "Reopen the current decision first" in _text(_soup(refused).select_one(".form-errors"))


def test_a_viewer_reads_the_form_page_without_a_form(vera, race):
    page = _soup(client_of(vera).get(f"/shortlists/{race['shortlist'].pk}/decide/"))

    assert "Viewers can read" in _text(page.select_one(".notice"))
    assert not page.select("form.decide-form")


def test_reopening_from_the_record_needs_a_reason_then_marks_it(helen, race):
    shortlist, lyon = race["shortlist"], race["lyon"]
    decision = decisions.decide(shortlist, helen, [lyon.pk], "Best audit")
    client = client_of(helen)
    url = f"{decision.get_absolute_url()}reopen/"

    blank = client.post(url, {"reason": ""})
    done = client.post(url, {"reason": "The audit report came back with findings"})

    assert blank.status_code == 400
    assert _text(_soup(blank).select_one(".decision-reopen .form-errors")).startswith(
        "Reason: Say why the decision is reopened"
    )
    assert (done.status_code, done["Location"]) == (302, decision.get_absolute_url())
    page = _soup(client.get(decision.get_absolute_url()))
    banner = _text(page.select_one(".decision-reopened"))
    assert "by helen — The audit report came back with findings" in banner
    assert not page.select(".decision-reopen")  # nothing more to reopen
    assert Candidate.objects.get(pk=lyon.pk).stage == Stage.AUDITED


def test_the_list_shows_each_record_standing_or_reopened(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]
    first = decisions.decide(shortlist, helen, [lyon.pk], "Lyon")
    decisions.reopen(first, helen, "Capacity")
    decisions.decide(shortlist, helen, [cork.pk, lyon.pk], "Both")

    page = _soup(client_of(helen).get(f"/shortlists/{shortlist.pk}/decisions/"))

    rows = [[_text(cell) for cell in row.select("td")] for row in page.select("tbody tr")]
    assert [row[0] for row in rows] == ["Decision 2", "Decision 1"]
    assert rows[0][1] == "Cork (Cork Bio) and Lyon (Lyon Bio)"
    assert rows[0][2] == "helen"
    assert rows[0][4] == "Standing"
    assert rows[1][4].startswith("Reopened")


def test_the_shortlist_page_offers_a_decision_then_names_the_standing_one(helen, race):
    shortlist, lyon = race["shortlist"], race["lyon"]
    client = client_of(helen)

    before = _soup(client.get(shortlist.get_absolute_url())).select_one(".decision-line")
    decision = decisions.decide(shortlist, helen, [lyon.pk], "Best audit")
    after = _soup(client.get(shortlist.get_absolute_url())).select_one(".decision-line")

    assert before.select_one("a.button")["href"] == f"/shortlists/{shortlist.pk}/decide/"
    assert _text(before.select_one("a.button")) == "Record a decision"
    assert _text(after).startswith(f"Selected: Lyon — decision 1, {decision.decided_at:%-d %b %Y}")
    assert after.select_one("a")["href"] == decision.get_absolute_url()


def test_moving_to_selected_on_the_board_points_to_a_decision(helen, race):
    lyon = race["lyon"]

    response = client_of(helen).post(
        f"{lyon.get_absolute_url()}move/", {"stage": Stage.SELECTED, "view": "candidate"}
    )

    assert response.status_code == 400
    errors = _text(_soup(response).select_one(".candidate-side .form-errors"))
    assert errors.startswith("Stage: A candidate is selected through a decision")
    assert "Record a decision" in errors
    assert Candidate.objects.get(pk=lyon.pk).stage == Stage.AUDITED


@pytest.mark.parametrize("shown", ["record", "list"])
def test_the_record_and_list_queries_do_not_grow(
    helen, helix_list, shown, django_assert_max_num_queries
):
    client = client_of(helen)
    # The session, the user, the shortlist, the decision(s), the user's role and the bell's
    # unread count.
    queries = 6
    for count in (2, 6):
        while helix_list.candidates.count() < count:
            CandidateFactory(shortlist=helix_list)
        standing = decisions.standing_decision(helix_list)
        if standing is not None:
            decisions.reopen(standing, helen, "Again")
        ids = list(helix_list.candidates.values_list("pk", flat=True))
        decision = decisions.decide(helix_list, helen, ids[:1], "x", compared_ids=ids)
        url = (
            decision.get_absolute_url()
            if shown == "record"
            else f"/shortlists/{helix_list.pk}/decisions/"
        )
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def test_the_comparison_page_leads_to_the_form_with_the_candidates_compared(helen, race):
    shortlist, lyon, cork = race["shortlist"], race["lyon"], race["cork"]
    client = client_of(helen)

    compared = _soup(client.get(f"/shortlists/{shortlist.pk}/compare/?c={lyon.pk}&c={cork.pk}"))
    link = compared.find("a", string="Record a decision")
    form = _soup(client.get(link["href"]))

    assert link["href"] == f"/shortlists/{shortlist.pk}/decide/?c={lyon.pk}&c={cork.pk}"
    assert [i["value"] for i in form.select("input[name=chosen][checked]")] == [
        str(lyon.pk),
        str(cork.pk),
    ]


@pytest.mark.parametrize("given", ["%C2%B2", "-1", "9999999999999999999999999", "x,%C2%B9"])
def test_odd_candidate_ids_on_the_form_are_ignored(helen, race, given):
    """A superscript digit, a negative or a huge number names no candidate: the form shows,
    nothing compared."""
    response = client_of(helen).get(f"/shortlists/{race['shortlist'].pk}/decide/?c={given}")

    assert response.status_code == 200
    assert not _soup(response).select("input[name=compared]")
