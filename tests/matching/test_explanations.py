"""A run writes each explanation once per distinct set of facts (explanation_columns) and shares
it among the sites that have them: the shared sentence must be the one written for the site
itself, for every criterion, site and brief."""

import dataclasses
import datetime
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine.criteria import CRITERIA
from matching.engine.scoring import (
    _SENTENCES,
    explain,
    explain_rows,
    explanation_columns,
    score_catalogue,
)
from matching.engine.verdicts import verdict_rows
from matching.runs import breakdown_texts
from tests.matching.test_engine import make_index
from tests.matching.test_engine_properties import briefs, catalogues, methods

capacity_from = st.none() | st.dates(datetime.date(2026, 1, 1), datetime.date(2027, 12, 31))


# Two countries of one region, so that a sentence naming the country is told apart from one
# naming the region.
places = st.sampled_from(
    [{}, {"country": "FR", "region": "europe"}, {"country": "CA", "region": "north-america"}]
)


@st.composite
def repetitive_catalogues(draw):
    """A catalogue where several sites repeat another's facts, as real catalogues do."""
    sites = [
        dataclasses.replace(site, available_from=draw(capacity_from)) for site in draw(catalogues())
    ]
    copies = draw(st.lists(st.sampled_from(sites), max_size=6))
    return sites + [
        dataclasses.replace(site, site_id=len(sites) + number, **draw(places))
        for number, site in enumerate(copies, start=1)
    ]


def _written_alone(outcome, row: int, name: str) -> str:
    if not outcome.criteria.is_asked(name):
        return "Not asked."
    return _SENTENCES[name](outcome, row).rstrip(".") + "."


needed_by = capacity_from


@settings(max_examples=150)
@given(repetitive_catalogues(), briefs(), methods, needed_by)
def test_a_shared_sentence_is_the_one_written_for_each_site(sites, criteria, method, needed):
    criteria = dataclasses.replace(criteria, needed_by=needed)
    outcome = score_catalogue(criteria, make_index(*sites), method=method)
    rows = list(range(len(sites)))
    columns = explanation_columns(outcome, rows)
    assert [column.criterion for column in columns] == list(CRITERIA)
    for column in columns:
        assert column.sentences == [_written_alone(outcome, row, column.criterion) for row in rows]


@given(repetitive_catalogues(), briefs(), methods)
def test_a_rows_explanation_is_the_same_alone_or_in_a_run(sites, criteria, method):
    outcome = score_catalogue(criteria, make_index(*sites), method=method)
    rows = outcome.ranking.tolist()
    assert explain_rows(outcome, rows) == [explain(outcome, row) for row in rows]


@given(repetitive_catalogues(), briefs())
def test_no_rows_no_sentences(sites, criteria):
    outcome = score_catalogue(criteria, make_index(*sites))
    assert all(column.sentences == [] for column in explanation_columns(outcome, []))


@given(repetitive_catalogues(), briefs(), methods)
def test_a_stored_breakdown_is_the_json_of_the_explanation_and_verdicts(sites, criteria, method):
    outcome = score_catalogue(criteria, make_index(*sites), method=method)
    rows = outcome.ranking.tolist()
    expected = [
        json.dumps(
            [
                {
                    "criterion": part.criterion,
                    "sub_score": round(part.subscore, 4),
                    "weight": part.weight,
                    "must_have": part.must_have,
                    "sentence": part.sentence,
                    "verdict": verdict,
                }
                for part, verdict in zip(parts, verdicts, strict=True)
            ]
        )
        for parts, verdicts in zip(
            explain_rows(outcome, rows), verdict_rows(outcome, rows), strict=True
        )
    ]
    assert breakdown_texts(outcome, rows) == expected


@given(repetitive_catalogues(), briefs(), methods)
def test_breakdowns_written_a_few_rows_at_a_time_are_the_same(sites, criteria, method):
    """A run writes its breakdowns a chunk of rows at a time, so that its first rows reach the
    database sooner: in chunks of one, two and three rows they are the texts written at once."""
    from unittest import mock

    from matching import runs

    outcome = score_catalogue(criteria, make_index(*sites), method=method)
    rows = outcome.ranking.tolist()
    at_once = breakdown_texts(outcome, rows)
    chunks = runs._chunks
    with mock.patch.object(runs, "_chunks", lambda rows: chunks(rows, first=1, largest=3)):
        assert breakdown_texts(outcome, rows) == at_once
