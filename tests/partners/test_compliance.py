"""The compliance score: the published formula as plain functions, its properties, its storage."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from partners.choices import ActionType, Classification, ComplianceState
from partners.demo.seeding import seed_catalogue
from partners.models import Inspection, RegulatoryAction, Site
from partners.regulatory.compliance import (
    ACTION_WEIGHTS,
    BASE,
    INSPECTION_WEIGHTS,
    SCORED,
    UNKNOWN,
    ActionEvent,
    ComplianceResult,
    InspectionEvent,
    compute_compliance,
)
from partners.regulatory.stored_scores import recompute_compliance_scores
from partners.tasks import recompute_compliance
from tests.factories import InspectionFactory, RegulatoryActionFactory, SiteFactory

AS_OF = datetime.date(2025, 6, 30)


def _days_ago(days: int) -> datetime.date:
    return AS_OF - datetime.timedelta(days=days)


def fda(classification: str, end_date: datetime.date, inspection_id: str = "1234567", **kw):
    return InspectionEvent("FDA", classification, end_date, inspection_id, **kw)


def letter(action_date: datetime.date, case_id: str = "580123") -> ActionEvent:
    return ActionEvent("FDA", "warning-letter", action_date, case_id)


def score(inspections=(), actions=(), as_of: datetime.date = AS_OF) -> float | None:
    return compute_compliance(inspections, actions, as_of).score


RECENT_NAI = fda("NAI", _days_ago(200), "2000001")


# --- The formula, record by record -----------------------------------------------------------


def test_the_weights_cover_the_catalogue_vocabulary():
    assert set(INSPECTION_WEIGHTS) == set(Classification.values)
    assert set(ACTION_WEIGHTS) == set(ActionType.values)
    assert {SCORED, UNKNOWN} == set(ComplianceState.values)


def test_an_oai_within_two_years_lowers_the_score_more_than_one_seven_years_old():
    # Given the same site with an OAI inspection 1.5 or 7 years ago, and a recent clean one
    recent = score([RECENT_NAI, fda("OAI", _days_ago(550))])
    old = score([RECENT_NAI, fda("OAI", _days_ago(7 * 365))])

    # Then both are below the clean record, and the recent OAI costs more
    clean = score([RECENT_NAI])
    assert recent < old < clean
    assert clean - recent > 25


def test_a_warning_letter_lowers_the_score():
    without = score([RECENT_NAI])
    with_letter = score([RECENT_NAI], [letter(_days_ago(100))])

    assert without - with_letter == pytest.approx(35 * 0.5 ** (100 / 365.25 / 3), abs=0.1)


def test_nai_inspections_lift_the_score_above_the_base():
    one = score([RECENT_NAI])
    three = score([RECENT_NAI, fda("NAI", _days_ago(700), "2000002"), fda("NAI", _days_ago(1400))])

    assert BASE < one < three <= 100


def test_no_number_of_clean_inspections_makes_up_for_a_recent_oai():
    # Given twenty recent NAI inspections by three authorities and one OAI last month
    clean = [
        InspectionEvent(authority, "NAI", _days_ago(30 + 60 * n), f"{authority}-{n}")
        for n in range(20)
        for authority in ("FDA", "EMA", "MHRA")
    ]

    # Then the OAI still leaves the site below the base
    assert score([*clean, fda("OAI", _days_ago(30))]) < BASE
    assert score(clean) == 100.0


def test_a_vai_lowers_the_score_a_little():
    assert BASE - 5 <= score([fda("VAI", _days_ago(10))]) < BASE
    assert BASE - 5 < score([fda("VAI", _days_ago(400))]) < BASE


def test_a_site_without_an_inspection_in_five_years_is_unknown_not_good():
    # Given a site whose last inspection, clean, ended six years ago
    result = compute_compliance([fda("NAI", datetime.date(2019, 5, 1))], [], AS_OF)

    # Then it has no score, and says why
    assert result.score is None
    assert result.state == UNKNOWN
    assert str(result.lines[0]) == (
        "No inspection since 2019-05-01: not enough recent history to score "
        "(a score needs an inspection ending on or after 2020-06-30)"
    )


def test_a_site_never_inspected_is_unknown_and_its_warning_letter_is_still_shown():
    result = compute_compliance([], [letter(_days_ago(400))], AS_OF)

    assert result.state == UNKNOWN
    assert result.lines[0].text.startswith("No inspection on record")
    assert "FDA warning letter 580123 dated 2024-05-26" in result.lines[1].text


def test_an_inspection_ending_exactly_five_years_ago_still_counts_as_recent():
    assert compute_compliance([fda("VAI", datetime.date(2020, 6, 30))], [], AS_OF).state == SCORED
    assert compute_compliance([fda("VAI", datetime.date(2020, 6, 29))], [], AS_OF).state == UNKNOWN


def test_one_fda_inspection_with_two_project_areas_counts_once_with_its_worst_classification():
    # Given FDA's two rows of one inspection, one per project area
    day = _days_ago(300)
    rows = [
        fda("NAI", day, project_area="Pre-License/Pre-Approval Inspection"),
        fda("OAI", day, project_area="Drug Quality Assurance"),
    ]
    result = compute_compliance(rows, [], AS_OF)

    # Then it scores as one OAI inspection, with one line
    assert result.score == score([fda("OAI", day)])
    assert [line.text.split(" ended")[0] for line in result.lines] == ["FDA OAI inspection 1234567"]


def test_two_nai_rows_of_one_inspection_lift_like_one():
    day = _days_ago(300)
    rows = [
        fda("NAI", day, project_area="Drug Quality Assurance"),
        fda("NAI", day, project_area=""),
    ]

    assert score(rows) == score([fda("NAI", day)])


def test_explanation_lines_cite_each_records_id_date_and_points():
    # Given an OAI, a warning letter and two clean inspections
    result = compute_compliance(
        [
            fda("OAI", datetime.date(2023, 10, 20)),
            InspectionEvent("EMA", "NAI", datetime.date(2022, 5, 2), "INS-DE-2022-00042"),
            InspectionEvent("MHRA", "NAI", datetime.date(2024, 11, 1), "Insp GMP 1234/567890-0003"),
        ],
        [letter(datetime.date(2024, 3, 2))],
        AS_OF,
    )

    # Then each line says what it cost or added and which record, heaviest first
    assert [str(line) for line in result.lines] == [
        "\u221227.0: FDA OAI inspection 1234567 ended 2023-10-20 (1.7 years ago)",
        "\u221225.8: FDA warning letter 580123 dated 2024-03-02 (1.3 years ago)",
        "+10.7: 2 NAI inspections in the last 5 years: "
        "MHRA Insp GMP 1234/567890-0003 ended 2024-11-01 (+6.9); "
        "EMA INS-DE-2022-00042 ended 2022-05-02 (+3.9)",
    ]
    # And the points add up to the score
    assert result.score == round(BASE + sum(line.points for line in result.lines), 1) == 32.9


def test_records_dated_after_the_as_of_date_are_ignored():
    history = [RECENT_NAI]
    future = AS_OF + datetime.timedelta(days=1)

    result = compute_compliance([*history, fda("OAI", future, "2999999")], [letter(future)], AS_OF)

    assert result.score == score(history)
    assert str(result.lines[-1]) == "Not counted: 2 records dated after 2025-06-30"


def test_a_future_inspection_does_not_make_an_unknown_site_scored():
    assert score([fda("NAI", AS_OF + datetime.timedelta(days=30))]) is None


def test_records_older_than_ten_years_do_not_count():
    history = [RECENT_NAI]
    ancient = _days_ago(11 * 365)

    result = compute_compliance([*history, fda("OAI", ancient)], [letter(ancient)], AS_OF)

    assert result.score == score(history)
    assert str(result.lines[-1]) == "Not counted: 2 records older than 10 years (before 2015-06-30)"


def test_the_score_is_clamped_at_zero_and_says_so():
    result = compute_compliance(
        [fda("OAI", _days_ago(30 + n), f"300000{n}") for n in range(4)], [], AS_OF
    )

    assert result.score == 0.0
    assert result.lines[-1].text.startswith("Clamped to 0.0: the record sums to \u2212")


def test_an_unknown_classification_is_refused():
    with pytest.raises(ValueError, match="Unknown inspection classification"):
        fda("No Action Indicated (NAI)", AS_OF)
    with pytest.raises(ValueError, match="Unknown regulatory action type"):
        ActionEvent("FDA", "Warning Letter", AS_OF)


# --- Properties ------------------------------------------------------------------------------

dates = st.dates(min_value=_days_ago(12 * 366), max_value=AS_OF + datetime.timedelta(days=400))
# Few ids, so that generated rows often share one: one inspection's several project areas.
inspection_events = st.builds(
    InspectionEvent,
    authority=st.sampled_from(["FDA", "EMA", "MHRA"]),
    classification=st.sampled_from(list(INSPECTION_WEIGHTS)),
    end_date=dates,
    inspection_id=st.sampled_from(["", "1000001", "1000002", "1000003", "INS-DE-2023-00042"]),
    project_area=st.sampled_from(["Drug Quality Assurance", "Pre-License/Pre-Approval", "GMP"]),
)
action_events = st.builds(
    ActionEvent,
    authority=st.sampled_from(["FDA", "EMA"]),
    action_type=st.sampled_from(list(ACTION_WEIGHTS)),
    action_date=dates,
    case_id=st.sampled_from(["", "580001", "580002"]),
)
inspection_lists = st.lists(inspection_events, max_size=12)
action_lists = st.lists(action_events, max_size=4)
adverse_actions = st.sampled_from(list(ACTION_WEIGHTS))
properties = settings(max_examples=150, deadline=None)


def _never_raised(before: ComplianceResult, after: ComplianceResult) -> None:
    """`after` (the record with one more adverse event) scores no better than `before`."""
    # More inspections can make an unknown site scored, never a scored site unknown.
    assert not (before.state == SCORED and after.state == UNKNOWN)
    if before.state == SCORED:
        assert after.score <= before.score
    elif after.state == SCORED:
        # The OAI that made the site scorable scored it below the base: never shown as good.
        assert after.score < BASE


@properties
@given(inspection_lists, action_lists)
def test_the_score_is_between_0_and_100_or_unknown(inspections, actions):
    result = compute_compliance(inspections, actions, AS_OF)

    if result.state == SCORED:
        assert 0 <= result.score <= 100
        assert result.score == round(result.score, 1)
    else:
        assert result.state == UNKNOWN
        assert result.score is None
    assert result.lines or result.state == SCORED


@properties
@given(inspection_lists, action_lists, inspection_events)
def test_adding_an_oai_inspection_never_raises_the_score(inspections, actions, extra):
    oai = InspectionEvent(
        extra.authority, "OAI", extra.end_date, extra.inspection_id, extra.project_area
    )

    before = compute_compliance(inspections, actions, AS_OF)
    after = compute_compliance([*inspections, oai], actions, AS_OF)

    _never_raised(before, after)


@properties
@given(inspection_lists, action_lists, action_events, adverse_actions)
def test_adding_a_warning_letter_or_other_action_never_raises_the_score(
    inspections, actions, extra, action_type
):
    action = ActionEvent(extra.authority, action_type, extra.action_date, extra.case_id)

    before = compute_compliance(inspections, actions, AS_OF)
    after = compute_compliance(inspections, [*actions, action], AS_OF)

    assert after.state == before.state
    _never_raised(before, after)


FRESH_ID = "7777777"


def _points_citing(result: ComplianceResult, identifier: str) -> float:
    return sum(line.points for line in result.lines if line.points and identifier in line.text)


@properties
@given(
    inspection_lists,
    action_lists,
    st.sampled_from([*INSPECTION_WEIGHTS, *ACTION_WEIGHTS]),
    st.dates(min_value=_days_ago(11 * 365), max_value=AS_OF),
    st.integers(min_value=1, max_value=3000),
)
def test_the_same_event_counts_less_the_older_it_is(inspections, actions, kind, day, older_by):
    older_day = day - datetime.timedelta(days=older_by)

    def with_event(on: datetime.date) -> ComplianceResult:
        if kind in INSPECTION_WEIGHTS:
            event = InspectionEvent("FDA", kind, on, FRESH_ID)
            return compute_compliance([*inspections, event], actions, AS_OF)
        action = ActionEvent("FDA", kind, on, FRESH_ID)
        return compute_compliance(inspections, [*actions, action], AS_OF)

    newer, older = with_event(day), with_event(older_day)

    if kind != "NAI":
        # An adverse record has a line of its own: its weight shrinks with age.
        assert abs(_points_citing(older, FRESH_ID)) <= abs(_points_citing(newer, FRESH_ID))
    if newer.state == older.state == SCORED:
        if kind == "NAI":
            assert older.score <= newer.score
        else:
            assert older.score >= newer.score


@properties
@given(inspection_lists, action_lists, st.randoms(use_true_random=False))
def test_the_order_of_the_records_does_not_matter(inspections, actions, rng):
    shuffled_inspections, shuffled_actions = inspections[:], actions[:]
    rng.shuffle(shuffled_inspections)
    rng.shuffle(shuffled_actions)

    assert compute_compliance(shuffled_inspections, shuffled_actions, AS_OF) == (
        compute_compliance(inspections, actions, AS_OF)
    )


# --- Stored on the site ----------------------------------------------------------------------


@pytest.fixture
def sites() -> dict[str, Site]:
    """A clean site, a troubled one and one never inspected."""
    clean, troubled, never = SiteFactory(), SiteFactory(), SiteFactory()
    InspectionFactory(site=clean, classification="NAI", end_date=_days_ago(100))
    InspectionFactory(site=troubled, classification="OAI", end_date=_days_ago(300))
    InspectionFactory(site=troubled, classification="VAI", end_date=_days_ago(1200))
    RegulatoryActionFactory(site=troubled, action_date=_days_ago(200))
    return {"clean": clean, "troubled": troubled, "never": never}


def _stored(site: Site) -> tuple:
    site.refresh_from_db()
    return site.compliance_score, site.compliance_state, site.compliance_as_of


def _expected(site: Site) -> ComplianceResult:
    inspections = [
        InspectionEvent(*row)
        for row in Inspection.objects.filter(site=site).values_list(
            "authority", "classification", "end_date", "inspection_id", "project_area"
        )
    ]
    actions = [
        ActionEvent(*row)
        for row in RegulatoryAction.objects.filter(site=site).values_list(
            "authority", "action_type", "action_date", "case_id"
        )
    ]
    return compute_compliance(inspections, actions, AS_OF)


@pytest.mark.django_db
def test_recompute_stores_each_sites_score_and_state(sites):
    written = recompute_compliance_scores(as_of=AS_OF)

    assert written == 3
    for site in sites.values():
        expected = _expected(site)
        assert _stored(site) == (expected.score, expected.state, AS_OF)
    assert sites["clean"].compliance_score > BASE > sites["troubled"].compliance_score
    assert sites["never"].compliance_state == ComplianceState.UNKNOWN


@pytest.mark.django_db
def test_a_later_recompute_rewrites_only_the_scores_that_decayed(sites):
    recompute_compliance_scores(as_of=AS_OF)

    with CaptureQueriesContext(connection) as queries:
        written = recompute_compliance_scores(as_of=AS_OF + datetime.timedelta(days=365))

    # A year on, the clean and troubled sites' records weigh less; the unknown site is the same
    assert written == 2
    assert _stored(sites["troubled"])[2] == AS_OF + datetime.timedelta(days=365)
    assert _stored(sites["never"]) == (None, ComplianceState.UNKNOWN, AS_OF)
    updates = [
        query for query in queries.captured_queries if 'UPDATE "partners_site"' in query["sql"]
    ]
    assert len(updates) == 2  # one per distinct new value


@pytest.mark.django_db
def test_recompute_on_the_same_day_writes_nothing(sites):
    recompute_compliance_scores(as_of=AS_OF)

    with CaptureQueriesContext(connection) as queries:
        written = recompute_compliance_scores(as_of=AS_OF)

    assert written == 0
    assert not [query for query in queries.captured_queries if "UPDATE" in query["sql"]]


@pytest.mark.django_db
def test_only_the_site_with_a_new_record_is_rewritten(sites):
    recompute_compliance_scores(as_of=AS_OF)
    before = _stored(sites["clean"])[0]

    InspectionFactory(site=sites["clean"], classification="OAI", end_date=_days_ago(10))
    written = recompute_compliance_scores(as_of=AS_OF)

    assert written == 1
    assert _stored(sites["clean"])[0] < before


@pytest.mark.django_db
def test_recompute_adds_no_history_and_keeps_updated_at(sites):
    history_rows = Site.history.count()
    updated_at = dict(Site.objects.values_list("pk", "updated_at"))

    recompute_compliance_scores(as_of=AS_OF)

    assert Site.history.count() == history_rows
    assert dict(Site.objects.values_list("pk", "updated_at")) == updated_at


def _similar_sites(count: int) -> None:
    for _ in range(count):
        site = SiteFactory()
        InspectionFactory(site=site, classification="VAI", end_date=_days_ago(90))
        RegulatoryActionFactory(site=site, action_date=_days_ago(60))


def _queries_of_a_full_recompute() -> int:
    Site.objects.update(compliance_score=None, compliance_state="unknown", compliance_as_of=None)
    with CaptureQueriesContext(connection) as queries:
        recompute_compliance_scores(as_of=AS_OF)
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_recompute_queries_do_not_grow_with_the_number_of_sites(sites):
    # Given a few sites, then thirty more with the same kind of record
    _similar_sites(3)
    few = _queries_of_a_full_recompute()
    _similar_sites(30)

    # Then scoring them all takes as many queries: reads per batch, writes per distinct score
    assert _queries_of_a_full_recompute() == few


@pytest.mark.django_db
def test_recompute_of_given_sites_leaves_the_others(sites):
    written = recompute_compliance_scores([sites["troubled"].pk], as_of=AS_OF)

    assert written == 1
    assert _stored(sites["clean"]) == (None, ComplianceState.UNKNOWN, None)


def _violates(constraint_name: str, **values) -> None:
    site = SiteFactory()
    with pytest.raises(IntegrityError, match=constraint_name), transaction.atomic():
        Site.objects.filter(pk=site.pk).update(**values)


@pytest.mark.django_db
def test_the_database_refuses_a_compliance_score_above_100():
    _violates(
        "partners_site_compliance_score_range", compliance_score=101, compliance_state="scored"
    )


@pytest.mark.django_db
def test_the_database_refuses_a_score_on_an_unknown_site_and_a_scored_site_without_one():
    name = "partners_site_compliance_score_matches_state"
    _violates(name, compliance_score=50, compliance_state="unknown")
    _violates(name, compliance_score=None, compliance_state="scored")


@pytest.mark.django_db
def test_the_recompute_task_can_run_twice():
    # Given a site inspected recently (the task scores as of today)
    site = SiteFactory()
    InspectionFactory(site=site, classification="NAI", end_date=timezone.localdate())

    # When the task runs, and runs again (a redelivery after a lost acknowledgement)
    first = recompute_compliance.delay([site.pk]).get()
    second = recompute_compliance.delay([site.pk]).get()

    # Then the second run finds nothing to do
    assert (first, second) == (1, 0)
    assert _stored(site)[:2] == (BASE + 8.0, ComplianceState.SCORED)


@pytest.mark.django_db
def test_seeded_sites_are_scored_as_of_the_demo_date():
    seed_catalogue(12, 2, AS_OF)

    stored = list(Site.objects.values_list("compliance_state", "compliance_as_of"))
    assert {as_of for _, as_of in stored} == {AS_OF}
    assert {state for state, _ in stored} == {ComplianceState.SCORED, ComplianceState.UNKNOWN}
    for site in Site.objects.all():
        assert site.compliance_score == _expected(site).score


@pytest.mark.django_db
def test_recompute_command_scores_sites_that_were_never_scored(sites, capsys):
    from django.core.management import call_command

    call_command("recompute_compliance")
    call_command("recompute_compliance")

    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == "Compliance scores recomputed: 3 sites changed."
    assert second == "Compliance scores recomputed: 0 sites changed."
    assert _stored(sites["troubled"])[1] == ComplianceState.SCORED
