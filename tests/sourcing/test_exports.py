"""Exports of a run's results and of a shortlist as CSV and XLSX (sourcing/exports.py and its
views): typed, inert to spreadsheet formulas, unicode-safe, streamed, scoped to the user's
organisation."""

import csv
import datetime
import io

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.choices import JobStatus
from matching.choices import Criterion, Role
from matching.engine.criteria import CRITERIA
from matching.models import Result
from sourcing import exports, scoring
from sourcing.choices import ExitReason, Stage, Verb
from sourcing.exports import Column, Kind, Table
from sourcing.models import Activity, Note, Quote
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    MembershipFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
SCORED_AT = datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def member():
    return MembershipFactory(user__username="bea")


@pytest.fixture
def viewer(member):
    return MembershipFactory(
        user__username="vic", organisation=member.organisation, role=Role.VIEWER
    )


@pytest.fixture
def outsider():
    return MembershipFactory(user__username="otto")


def _naive(*parts: int) -> datetime.datetime:
    """A datetime without tzinfo, as spreadsheets hold them (in the project's time zone, UTC)."""
    return datetime.datetime(*parts, tzinfo=datetime.UTC).replace(tzinfo=None)


def client_of(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _breakdown(offset: float) -> list[dict]:
    return [
        {
            "criterion": criterion,
            "sub_score": round(offset + n / 100, 2),
            "weight": 3,
            "must_have": False,
            "sentence": "",
        }
        for n, criterion in enumerate(CRITERIA)
    ]


@pytest.fixture
def run(member):
    """A finished run: a formula-like provider and site ranked first, unicode names after,
    and one site excluded by the markets must-have."""
    brief = BriefFactory(organisation=member.organisation)
    run = RunFactory(
        brief=brief,
        status=JobStatus.DONE,
        sites_scored=4,
        eligible=3,
        excluded=1,
        funnel=[{"constraint": "markets", "label": "markets", "removed": 1}],
    )
    sites = [
        SiteFactory(name="+1+1", provider__name=FORMULA, country="CH"),
        SiteFactory(name="Zürich", provider__name="Łódź Pharma", country="PL"),
        SiteFactory(name="東京", provider__name="東京バイオ", country="JP"),
        SiteFactory(name="-Dusseldorf", provider__name="@Rhein", country="DE"),
    ]
    for rank, site in enumerate(sites[:3], start=1):
        Result.objects.create(
            run=run,
            site=site,
            site_name=site.name,
            provider_name=site.provider.name,
            eligible=True,
            rank=rank,
            score=90.5 - rank,
            breakdown=_breakdown(0.5 - rank / 10),
        )
    Result.objects.create(
        run=run,
        site=sites[3],
        site_name=sites[3].name,
        provider_name=sites[3].provider.name,
        eligible=False,
        reason="=1+2 It has no marketing authority the brief targets.",
        excluded_by="markets",
    )
    return run


@pytest.fixture
def shortlist(member):
    shortlist = ShortlistFactory(
        brief=BriefFactory(organisation=member.organisation), title="EU fill & finish"
    )
    selected = CandidateFactory(
        shortlist=shortlist,
        site__name="+1+1",
        site__provider__name=FORMULA,
        stage=Stage.RFI_SENT,
        owner=member.user,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
        score=81.25,
        rank=2,
        scored_at=SCORED_AT,
    )
    Note.objects.create(candidate=selected, author=member.user, text="Call back")
    Note.objects.create(candidate=selected, author=member.user, text="Sent the RFI")
    CandidateFactory(
        shortlist=shortlist,
        site__name="東京",
        site__provider__name="Łódź Zürich",
        stage=Stage.DECLINED,
        exit_reason=ExitReason.NO_CAPACITY,
        exit_note="-full until 2028",
    )
    return shortlist


def _csv_rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _sheet(response):
    assert isinstance(response, FileResponse)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.worksheets[0]


def _export(user, name: str, pk: int, fmt: str):
    return client_of(user).get(reverse(f"sourcing:{name}", kwargs={"pk": pk, "fmt": fmt}))


# --- The writers --------------------------------------------------------------------------------


def _table(rows) -> Table:
    return Table(
        name="t",
        title="T",
        columns=[
            Column("Name"),
            Column("Delta", Kind.NUMBER),
            Column("Count", Kind.INTEGER),
            Column("On", Kind.DATE),
            Column("At", Kind.DATETIME),
        ],
        rows=iter(rows),
    )


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("Zürich", "Zürich"),
    ],
)
def test_text_that_a_spreadsheet_would_read_as_a_formula_is_made_inert(text, written):
    assert exports.inert(text) == written


def test_a_negative_number_stays_a_number_and_text_like_it_does_not():
    on = datetime.date(2026, 5, 1)
    at = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)
    row = ("-3.5", -3.5, -2, on, at)

    lines = b"".join(exports.csv_lines(_table([row]))).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(lines)))[1] == [
        "'-3.5",
        "-3.5",
        "-2",
        "2026-05-01",
        "2026-05-01 12:00:00",
    ]

    with exports.xlsx_file(_table([row])) as file:
        sheet = load_workbook(file).worksheets[0]
    name, delta, count, day, moment = (cell.value for cell in sheet[2])
    assert (name, delta, count) == ("'-3.5", -3.5, -2)
    assert isinstance(delta, float)
    assert isinstance(count, int)
    assert day == _naive(2026, 5, 1)  # openpyxl reads date cells as datetimes
    assert sheet["D2"].is_date
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    assert moment == _naive(2026, 5, 1, 12, 0)
    assert moment.tzinfo is None


def test_control_characters_that_xlsx_cannot_hold_are_dropped():
    with exports.xlsx_file(_table([("a\x0bb", None, None, None, None)])) as file:
        sheet = load_workbook(file).worksheets[0]
    assert sheet["A2"].value == "ab"


# --- A run's results ----------------------------------------------------------------------------


def test_a_runs_results_as_csv_ranked_then_excluded_inert_and_unicode(member, run):
    response = _export(member.user, "run-export", run.pk, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (f'attachment; filename="run-{run.pk}-results.csv"')
    header, *rows = _csv_rows(response)
    labels = [Criterion(criterion).label for criterion in CRITERIA]
    assert header == [
        "Rank",
        "Site",
        "Provider",
        "Country",
        "Status",
        "Score",
        *labels,
        "Excluded by",
        "Reason",
    ]
    assert [row[:6] for row in rows] == [
        ["1", "'+1+1", "'" + FORMULA, "Switzerland", "ranked", "89.5"],
        ["2", "Zürich", "Łódź Pharma", "Poland", "ranked", "88.5"],
        ["3", "東京", "東京バイオ", "Japan", "ranked", "87.5"],
        ["", "'-Dusseldorf", "'@Rhein", "Germany", "excluded", ""],
    ]
    count = len(CRITERIA)
    assert rows[0][6 : 6 + count] == [str(round(0.4 + n / 100, 2)) for n in range(count)]
    assert rows[3][6:] == [""] * count + [
        "Markets",
        "'=1+2 It has no marketing authority the brief targets.",
    ]


def test_a_runs_results_as_xlsx_typed_frozen_and_sized(member, run):
    response = _export(member.user, "run-export", run.pk, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"] == (f'attachment; filename="run-{run.pk}-results.xlsx"')
    sheet = _sheet(response)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 32
    assert sheet.column_dimensions["A"].width == 7
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["Rank", "Site", "Provider", "Country", "Status", "Score"]
    assert rows[1][:6] == [1, "'+1+1", "'" + FORMULA, "Switzerland", "ranked", 89.5]
    assert isinstance(rows[1][0], int)
    assert all(isinstance(value, float) for value in rows[1][5:16])
    assert rows[2][1:3] == ["Zürich", "Łódź Pharma"]
    assert rows[3][1:3] == ["東京", "東京バイオ"]
    assert rows[4][1:5] == ["'-Dusseldorf", "'@Rhein", "Germany", "excluded"]
    assert rows[4][-2:] == ["Markets", "'=1+2 It has no marketing authority the brief targets."]
    # No cell holds a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_viewer_may_export_a_run(viewer, run):
    assert _export(viewer.user, "run-export", run.pk, "csv").status_code == 200
    assert _export(viewer.user, "run-export", run.pk, "xlsx").status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_organisations_run_is_not_found(outsider, run, fmt):
    assert _export(outsider.user, "run-export", run.pk, fmt).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exporting_a_run_needs_signing_in(run, fmt):
    response = _export(None, "run-export", run.pk, fmt)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_format_is_not_found(member, run):
    assert _export(member.user, "run-export", run.pk, "pdf").status_code == 404


def test_the_run_page_links_its_exports(member, run):
    page = client_of(member.user).get(run.get_absolute_url())
    for fmt in exports.FORMATS:
        url = reverse("sourcing:run-export", kwargs={"pk": run.pk, "fmt": fmt})
        assert f'href="{url}"'.encode() in page.content


# --- A shortlist --------------------------------------------------------------------------------


def test_a_shortlist_as_csv_in_the_pipelines_order_inert_and_unicode(member, shortlist):
    response = _export(member.user, "shortlist-export", shortlist.pk, "csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="shortlist-{shortlist.pk}-eu-fill-finish.csv"'
    )
    header, *rows = _csv_rows(response)
    assert header == [
        "Site",
        "Provider",
        "Stage",
        "Exit reason",
        "Exit note",
        "Owner",
        "Next step due",
        "Overdue",
        "Run",
        "Run score",
        "Run rank",
        "Scored at (UTC)",
        "Added at (UTC)",
        "Notes",
    ]
    due = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    assert [row[:12] for row in rows] == [
        [
            *("'+1+1", "'" + FORMULA, "RFI sent", "", "", "bea", due, "yes", "", "81.25", "2"),
            "2026-03-04 09:30:00",
        ],
        [
            *("東京", "Łódź Zürich", "Declined by the provider", "No capacity"),
            *("'-full until 2028", "", "", "no", "", "", "", ""),
        ],
    ]
    assert [row[13] for row in rows] == ["2", "0"]


def test_a_shortlist_as_xlsx_typed_with_dates(member, shortlist):
    response = _export(member.user, "shortlist-export", shortlist.pk, "xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="shortlist-{shortlist.pk}-eu-fill-finish.xlsx"'
    )
    sheet = _sheet(response)
    assert sheet.title == "EU fill & finish"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 32
    first = [cell.value for cell in sheet[2]]
    assert first[:3] == ["'+1+1", "'" + FORMULA, "RFI sent"]
    due = timezone.localdate() - datetime.timedelta(days=2)
    assert first[6] == _naive(due.year, due.month, due.day)
    assert sheet["G2"].is_date
    assert (first[9], first[10], first[13]) == (81.25, 2, 2)
    assert first[11] == _naive(2026, 3, 4, 9, 30)
    assert isinstance(first[12], datetime.datetime)
    assert first[12].tzinfo is None
    assert [cell.value for cell in sheet[3]][:5] == [
        "東京",
        "Łódź Zürich",
        "Declined by the provider",
        "No capacity",
        "'-full until 2028",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_shortlists_export_is_logged(viewer, shortlist, fmt):
    assert _export(viewer.user, "shortlist-export", shortlist.pk, fmt).status_code == 200

    entry = Activity.objects.get(shortlist=shortlist, verb=Verb.EXPORTED)
    assert entry.actor == viewer.user
    assert entry.summary == f"“EU fill & finish” as {fmt.upper()} (2 candidates)"
    assert entry.detail == {"format": fmt, "rows": 2}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_organisations_shortlist_is_not_found(outsider, shortlist, fmt):
    assert _export(outsider.user, "shortlist-export", shortlist.pk, fmt).status_code == 404
    assert not Activity.objects.filter(verb=Verb.EXPORTED).exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exporting_a_shortlist_needs_signing_in(shortlist, fmt):
    response = _export(None, "shortlist-export", shortlist.pk, fmt)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_shortlist_titled_without_latin_letters_is_named_by_its_number(member):
    shortlist = ShortlistFactory(brief=BriefFactory(organisation=member.organisation), title="東京")
    table = exports.shortlist_table(shortlist)
    assert (table.name, table.title) == (f"shortlist-{shortlist.pk}", "東京")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("'Q3' fill", "Q3' fill"),
        ("''", "Shortlist"),
        ("EU: fill/finish [2027]?*", "EU fill finish 2027"),
        ("a" * 30 + "'b", "a" * 30),  # cut to 31, the apostrophe then at the end
        ("Q3\x07 fill\x00", "Q3 fill"),
        ("history", "Shortlist"),
        ("History of Q3", "History of Q3"),
    ],
)
def test_a_sheet_title_is_one_excel_takes(text, title):
    assert exports.sheet_title(text, "Shortlist") == title


def test_a_shortlist_titled_in_apostrophes_exports_a_sheet_excel_takes(member):
    shortlist = ShortlistFactory(
        brief=BriefFactory(organisation=member.organisation), title="'Q3' fill"
    )
    CandidateFactory(shortlist=shortlist)

    response = _export(member.user, "shortlist-export", shortlist.pk, "xlsx")

    assert response.status_code == 200
    assert _sheet(response).title == "Q3' fill"


def test_the_shortlist_page_links_its_exports(viewer, shortlist):
    page = client_of(viewer.user).get(shortlist.get_absolute_url())
    for fmt in exports.FORMATS:
        url = reverse("sourcing:shortlist-export", kwargs={"pk": shortlist.pk, "fmt": fmt})
        assert f'href="{url}"'.encode() in page.content


# --- Team scores in a shortlist's export -------------------------------------------------------


@pytest.fixture
def scored(member, shortlist):
    """Two criteria; bea has scored the first candidate, a colleague both candidates."""
    criteria = scoring.set_criteria(shortlist, member.user, [("Quote", 3), ("Audit", 1)])
    colleague = MembershipFactory(organisation=member.organisation).user
    first, second = shortlist.candidates.order_by("pk")
    scoring.score(first, member.user, {criteria[0].pk: 4, criteria[1].pk: 2})
    scoring.score(first, colleague, {criteria[0].pk: 2})
    scoring.score(second, colleague, {criteria[0].pk: 5, criteria[1].pk: 5})
    return criteria


def test_a_shortlists_export_has_the_team_scores_the_user_may_see(member, shortlist, scored):
    response = _export(member.user, "shortlist-export", shortlist.pk, "xlsx")

    sheet = _sheet(response)
    header = [cell.value for cell in sheet[1]]
    assert header[-3:] == ["Team: Quote (mean)", "Team: Audit (mean)", "Team: weighted mean"]
    first, second = ([cell.value for cell in sheet[row]] for row in (2, 3))
    # Bea scored the first: she sees the means (the audit's of the one who gave it: missing
    # is never zero).
    assert first[-3:] == [3.0, 2.0, round((3 * 3.0 + 2.0) / 4, 2)]
    assert isinstance(first[-1], float)
    # She has not scored the second: hidden from her, as on the page.
    assert second[-3:] == [exports.HIDDEN] * 3


def test_a_viewer_exports_team_scores_once_revealed(member, viewer, shortlist, scored):
    before = _csv_rows(_export(viewer.user, "shortlist-export", shortlist.pk, "csv"))
    assert before[1][-1] == exports.HIDDEN
    shortlist.scores_revealed_at = timezone.now()
    shortlist.save()

    after = _csv_rows(_export(viewer.user, "shortlist-export", shortlist.pk, "csv"))

    assert after[1][-3:] == ["3.0", "2.0", "2.75"]
    assert after[2][-3:] == ["5.0", "5.0", "5.0"]


def test_the_shortlists_export_makes_as_many_queries_for_many_candidates(
    member, shortlist, scored, django_assert_max_num_queries
):
    client = client_of(member.user)
    url = reverse("sourcing:shortlist-export", kwargs={"pk": shortlist.pk, "fmt": "csv"})
    # The session, the user, the shortlist, the log entry (a count and an insert, in a
    # savepoint), the criteria, the candidates, their ids and the team's criteria, members and
    # scores.
    queries = 13
    for count in (2, 20):
        for _ in range(shortlist.candidates.count(), count):
            CandidateFactory(shortlist=shortlist)
        with django_assert_max_num_queries(queries):
            rows = _csv_rows(client.get(url))
        assert len(rows) == count + 1


# --- The comparison -----------------------------------------------------------------------------


@pytest.fixture
def compared(member, shortlist):
    """The shortlist's two candidates compared, the formula-named provider's quoted."""
    first, second = shortlist.candidates.order_by("pk")
    Quote.objects.create(
        candidate=first,
        price="99500.50",
        currency="EUR",
        lead_time_weeks=12,
        valid_until=datetime.date(2030, 1, 31),
        assumptions="-5% for two batches",
    )
    return [first, second]


def _compare_export(user, shortlist, candidates, fmt: str):
    url = reverse("sourcing:compare-export", kwargs={"pk": shortlist.pk, "fmt": fmt})
    return client_of(user).get(url, {"c": [candidate.pk for candidate in candidates]})


def _by_label(rows) -> dict[str, list]:
    return {row[1]: row for row in rows}


def test_a_comparison_as_xlsx_typed_and_inert(member, shortlist, compared):
    response = _compare_export(member.user, shortlist, compared, "xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="shortlist-{shortlist.pk}-comparison.xlsx"'
    )
    sheet = _sheet(response)
    assert sheet.title == "Comparison"
    assert sheet.freeze_panes == "A2"
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == ["Group", "Row", "Differs", f"'+1+1 ({FORMULA})", "東京 (Łódź Zürich)"]
    rows_by_label = _by_label(rows)
    assert rows_by_label["Provider"] == ["Site", "Provider", "yes", "'" + FORMULA, "Łódź Zürich"]
    price = rows_by_label["Price"]
    assert price[3:] == [99500.5, "no quote yet"]
    assert isinstance(price[3], float)
    lead = rows_by_label["Lead time (weeks)"]
    assert lead[3] == 12
    assert isinstance(lead[3], int)
    assert lead[4] is None  # a dash on the page: nothing
    valid = rows_by_label["Valid until"]
    assert valid[3] == _naive(2030, 1, 31)
    row_number = rows.index(valid) + 2
    assert sheet.cell(row=row_number, column=4).is_date
    assert rows_by_label["Assumptions"][3] == "'-5% for two batches"
    score = rows_by_label["Score"]
    assert score[3:] == [81.25, "not scored"]
    assert rows_by_label["Rank in the run"][3] == 2
    due = timezone.localdate() - datetime.timedelta(days=2)
    assert rows_by_label["Next step due"][3] == _naive(due.year, due.month, due.day)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_comparison_as_csv_inert_and_unicode(member, shortlist, compared):
    response = _compare_export(member.user, shortlist, compared, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = _csv_rows(response)
    assert header[3:] == [f"'+1+1 ({FORMULA})", "東京 (Łódź Zürich)"]
    rows_by_label = _by_label(rows)
    assert rows_by_label["Provider"][3:] == ["'" + FORMULA, "Łódź Zürich"]
    assert rows_by_label["Site"][3:] == ["'+1+1", "東京"]
    assert rows_by_label["Price"][3:] == ["99500.5", "no quote yet"]
    assert rows_by_label["Valid until"][3] == "2030-01-31"
    assert rows_by_label["Stage"][:3] == ["Site", "Stage", "yes"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_flagged_row_is_followed_by_a_note_giving_the_flags_in_words(
    member, shortlist, compared, fmt
):
    until = timezone.localdate() + datetime.timedelta(days=10)
    Quote.objects.create(candidate=compared[1], price="5000", currency="USD", valid_until=until)

    response = _compare_export(member.user, shortlist, compared, fmt)

    assert response.status_code == 200
    rows = _csv_rows(response) if fmt == "csv" else [list(row) for row in _sheet(response).values]
    rows = rows[1:]
    empty = "" if fmt == "csv" else None
    rows_by_label = _by_label(rows)
    labels = [row[1] for row in rows]
    # The note follows its row; a row without flags has none.
    valid = labels.index("Valid until")
    assert labels[valid + 1] == "Valid until — note"
    assert rows_by_label["Valid until — note"][2:] == [
        "yes",
        empty,
        f"expiring: expires {until.isoformat()} (in 10 days, within 30)",
    ]
    assert "Lead time (weeks) — note" not in labels
    price = "Price: currencies differ (EUR, USD), not comparable as is"
    assert rows_by_label[price][3:] == (
        ["99500.5", "5000.0"] if fmt == "csv" else [99500.5, 5000.0]
    )
    assert rows_by_label[price + " — note"][3:] == [
        "concern: EUR 99,500.50",
        "concern: USD 5,000.00",
    ]
    assert rows_by_label["Stage — note"][:5] == [
        "Site",
        "Stage — note",
        "yes",
        empty,
        "concern: Declined by the provider: No capacity",
    ]


def test_a_note_gives_the_text_alone_when_it_starts_with_the_flags_words():
    table = exports.comparison_table(
        {
            "candidates": [
                {"site_name": "Ghent", "provider_name": "Flanders Bio"},
                {"site_name": "Milan", "provider_name": "Brianza"},
            ],
            "groups": [
                {
                    "name": "Quality",
                    "rows": [
                        {
                            "label": "EU GMP certificate",
                            "differs": True,
                            "cells": [
                                {
                                    "text": "expired 2025-01-31",
                                    "flag": "expired",
                                    "value": "2025-01-31",
                                },
                                {"text": "none", "flag": "missing", "value": None},
                            ],
                        }
                    ],
                }
            ],
        }
    )

    rows = list(table.rows)

    assert rows[0][3:] == (datetime.date(2025, 1, 31), "none")
    assert rows[1] == (
        "Quality",
        "EU GMP certificate — note",
        "yes",
        "expired 2025-01-31",
        "missing: none",
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_comparisons_export_is_logged_and_scoped(
    member, viewer, outsider, shortlist, compared, fmt
):
    assert _compare_export(outsider.user, shortlist, compared, fmt).status_code == 404
    assert _compare_export(viewer.user, shortlist, compared, fmt).status_code == 200

    entry = Activity.objects.get(shortlist=shortlist, verb=Verb.EXPORTED)
    assert entry.actor == viewer.user
    assert entry.summary == f"the comparison of +1+1, 東京 as {fmt.upper()}"
    assert entry.detail == {"format": fmt, "comparison": [c.pk for c in compared]}


def test_a_comparison_of_one_candidate_is_not_exported(member, shortlist, compared):
    response = _compare_export(member.user, shortlist, compared[:1], "xlsx")
    assert response.status_code == 400
    assert not Activity.objects.filter(verb=Verb.EXPORTED).exists()


# --- The same files through the API -------------------------------------------------------------


def _api_export(user, kind: str, pk: int, fmt: str):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/{kind}/{pk}/export/{fmt}/")


def test_the_api_gives_a_runs_results_as_xlsx_with_typed_inert_cells(member, run):
    response = _api_export(member.user, "runs", run.pk, "xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}-results.xlsx"'
    rows = [[cell.value for cell in row] for row in _sheet(response).iter_rows()]
    assert rows[1][:6] == [1, "'+1+1", "'" + FORMULA, "Switzerland", "ranked", 89.5]


def test_the_api_gives_a_shortlist_as_csv_and_logs_the_export(member, shortlist):
    response = _api_export(member.user, "shortlists", shortlist.pk, "csv")

    assert response.status_code == 200
    header, *rows = _csv_rows(response)
    sites = {row[header.index("Site")] for row in rows}
    assert sites == {"'+1+1", "東京"}
    logged = Activity.objects.get(shortlist=shortlist, verb=Verb.EXPORTED)
    assert logged.actor == member.user


@pytest.mark.parametrize("kind", ["runs", "shortlists"])
def test_the_apis_exports_are_for_the_organisation_only(
    kind, member, viewer, outsider, run, shortlist
):
    pk = run.pk if kind == "runs" else shortlist.pk

    assert _api_export(viewer.user, kind, pk, "csv").status_code == 200
    assert _api_export(outsider.user, kind, pk, "csv").status_code == 404
    assert _api_export(None, kind, pk, "xlsx").status_code == 401
    assert _api_export(member.user, kind, pk, "pdf").status_code == 404
    assert not Activity.objects.filter(shortlist=shortlist, actor=outsider.user).exists()
