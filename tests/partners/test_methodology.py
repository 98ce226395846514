"""/methodology/: the compliance score's published method, read from
partners/regulatory/compliance.py."""

import datetime
import html as html_lib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.regulatory import compliance
from partners.regulatory.compliance import (
    ACTION_WEIGHTS,
    BASE,
    HALF_LIFE_YEARS,
    HORIZON_YEARS,
    INSPECTION_WEIGHTS,
    MINUS,
    NAI_CAP,
    WINDOW_YEARS,
    ActionEvent,
    InspectionEvent,
    decay,
    signed,
    weigh,
    years_before,
)
from partners.regulatory.methodology import (
    DECAY_AGES,
    describe_methodology,
    formula_steps,
    worked_example,
)

URL = "/methodology/"


def _page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _rows(fragment: str) -> list[list[str]]:
    """The cells of each body and footer row of the tables in `fragment`, as text."""
    body = re.sub(r"<thead>.*?</thead>", "", fragment, flags=re.S)
    return [
        [_text(cell) for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S)
    ]


def _number(shown: str) -> float:
    return float(shown.replace(MINUS, "-"))


# --- The page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_methodology_is_public_and_linked_from_the_site_nav(client):
    assert reverse("partners:methodology") == URL

    page = _page(client)

    assert "How the compliance score is computed" in page
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', page, re.S).group(0)
    assert f'href="{URL}" aria-current="page">Methodology</a>' in nav


@pytest.mark.django_db
def test_home_page_nav_links_to_the_methodology(client):
    page = client.get(reverse("partners:home")).content.decode()

    assert f'<a href="{URL}">Methodology</a>' in page


@pytest.mark.django_db
def test_formula_is_printed_with_the_modules_constants(client):
    page = _page(client)

    formula = _text(_section(page, "formula"))
    assert f"score = clamp({BASE:g} + Σ points, 0, 100)" in formula
    assert f"age ÷ {HALF_LIFE_YEARS:g}" in formula
    assert f"min({NAI_CAP:g}," in formula
    assert f"a base of {BASE:g} points" in formula
    assert f"half as much after {HALF_LIFE_YEARS:g} years" in formula
    assert f"count for {WINDOW_YEARS} years" in formula
    assert f"at most {NAI_CAP:g} points" in formula
    assert f"counts for {HORIZON_YEARS} years" in formula
    assert "score = clamp(BASE + Σ points, MIN_SCORE, MAX_SCORE)" in formula


@pytest.mark.django_db
def test_weights_table_shows_each_weight_of_the_module(client):
    rows = _rows(_section(_page(client), "weights"))

    shown = {record: (weight, counts_for) for record, weight, counts_for, _ in rows}
    expected_rows = len(INSPECTION_WEIGHTS) + len(ACTION_WEIGHTS)
    assert len(shown) == expected_rows
    for code, weight in INSPECTION_WEIGHTS.items():
        (record,) = [record for record in shown if record.endswith(f"({code})")]
        years = WINDOW_YEARS if code == "NAI" else HORIZON_YEARS
        assert shown[record] == (signed(weight), f"{years} years")
    assert shown["Warning letter"] == (signed(ACTION_WEIGHTS["warning-letter"]), "10 years")
    assert shown["EU statement of non-compliance"][0] == signed(ACTION_WEIGHTS["eu-non-compliance"])


@pytest.mark.django_db
def test_decay_table_is_the_modules_decay_function(client):
    today = timezone.localdate()

    rows = _rows(_section(_page(client), "decay"))

    assert [row[0] for row in rows] == [
        f"{years} year{'s' if years != 1 else ''}" for years in DECAY_AGES
    ]
    for years, (_, share, nai, vai, oai, action) in zip(DECAY_AGES, rows, strict=True):
        day = years_before(today, years)
        assert share == f"{decay(today, day):.1%}"
        assert vai == signed(weigh(INSPECTION_WEIGHTS["VAI"], today, day))
        assert oai == signed(weigh(INSPECTION_WEIGHTS["OAI"], today, day))
        assert action == signed(weigh(ACTION_WEIGHTS["warning-letter"], today, day))
        # Clean inspections stop counting after WINDOW_YEARS.
        if years <= WINDOW_YEARS:
            assert nai == signed(weigh(INSPECTION_WEIGHTS["NAI"], today, day))
        else:
            assert nai == "—"
    assert rows[DECAY_AGES.index(0)][1] == "100.0%"


@pytest.mark.django_db
def test_worked_example_lines_add_up_to_its_score(client):
    page = _page(client)
    example = _section(page, "example")
    score_table = example[example.index("example-score") :]

    rows = _rows(score_table[: score_table.index("</table>")])

    (base, base_label), *lines, (total, total_label) = rows
    assert (base, base_label) == (f"{BASE:.1f}", "Base score")
    assert total_label == "Compliance score"
    points = [_number(shown) for shown, _ in lines]
    assert round(BASE + sum(points), 1) == float(total)
    assert float(total) == worked_example(timezone.localdate()).result.score
    assert "In one line" in example


@pytest.mark.django_db
def test_worked_example_shows_each_rule_on_its_record(client):
    example = _text(_section(_page(client), "example"))

    # An OAI 1.7 years old; its NAI project-area row is not a second, clean, inspection.
    assert "FDA OAI inspection EX-1003" in example
    assert "1.7 years ago" in example
    assert "2 NAI inspections in the last 5 years: FDA EX-1004" in example
    assert "EX-1003 ended" not in example.split("2 NAI inspections")[1]
    assert "FDA warning letter EX-580001" in example
    assert "4.0 years ago" in example
    assert "Not counted: 1 record older than 10 years" in example


@pytest.mark.django_db
def test_page_states_the_unknown_rule_and_what_cannot_change_a_score(client):
    page = _page(client)

    unknown = _text(_section(page, "unknown"))
    assert f"ended in the last {WINDOW_YEARS} years" in unknown
    assert "shown as Unknown: not as good" in unknown
    counted_once = _text(_section(page, "counted-once"))
    assert "NAI < VAI < OAI" in counted_once
    assert "counts once" in counted_once
    not_for_sale = _text(_section(page, "not-for-sale"))
    assert "No commercial field exists that can change a score." in not_for_sale
    for name in ("classification", "end_date", "action_type", "action_date"):
        assert name in not_for_sale


@pytest.mark.django_db
def test_page_follows_the_module_when_a_constant_changes(client, monkeypatch):
    # Given other weights and half-life in the module (as if the method were revised)
    monkeypatch.setitem(INSPECTION_WEIGHTS, "OAI", -42.0)
    monkeypatch.setattr(compliance, "HALF_LIFE_YEARS", 4.0)

    page = _page(client)

    # Then the page shows them, and nothing it printed before
    weights = _rows(_section(page, "weights"))
    assert [weight for record, weight, *_ in weights if record.endswith("(OAI)")] == [
        f"{MINUS}42.0"
    ]
    formula = _text(_section(page, "formula"))
    assert "age ÷ 4)" in formula
    assert "age ÷ 3)" not in formula
    decay_rows = _rows(_section(page, "decay"))
    assert decay_rows[DECAY_AGES.index(0)][4] == f"{MINUS}42.0"


# --- As plain functions -------------------------------------------------------------------------


def test_every_formula_step_names_constants_and_fills_in_their_values():
    for step in formula_steps():
        assert "{" not in step.named + step.valued + step.applies_to
        assert step.named != step.valued
    assert formula_steps()[0].valued == f"score = clamp({BASE:g} + Σ points, 0, 100)"


def test_worked_example_is_scored_by_the_pure_function():
    as_of = datetime.date(2026, 6, 15)

    example = worked_example(as_of)

    assert example.result.state == "scored"
    assert example.result.score == example.total
    assert sum(1 for line in example.record_lines if line.points < 0) == 2
    assert len(example.records) == 6
    assert example.sum_expression.endswith(f"= {example.result.score:.1f}")


def test_methodology_lists_the_score_inputs_from_the_event_types():
    methodology = describe_methodology(datetime.date(2026, 6, 15))

    assert methodology.inspection_inputs == list(InspectionEvent.__dataclass_fields__)
    assert methodology.action_inputs == list(ActionEvent.__dataclass_fields__)
    assert methodology.severity == "NAI < VAI < OAI"
