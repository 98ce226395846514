"""The sourcing pages: the shortlists, a shortlist as a board and as a table, a candidate's page,
the activity log, and "add to a shortlist" from a run, a profile and the directory."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from core.choices import JobStatus
from matching.models import Result
from sourcing import decisions, pipeline
from sourcing.choices import EXITS, PIPELINE, ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate, Note, Shortlist
from tests.factories import (
    BriefFactory,
    CandidateFactory,
    RunFactory,
    ShortlistFactory,
    SiteFactory,
    UserFactory,
)
from tests.sourcing.conftest import client_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BREAKDOWN = [
    {"criterion": "phase", "sub_score": 1.0, "weight": 3, "must_have": True, "sentence": "Phase 2"},
    {"criterion": "geography", "sub_score": 0.5, "weight": 2, "must_have": False, "sentence": ""},
]


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _done_run(brief, *sites, days_ago: int = 2):
    """A finished run of the brief ranking the sites in this order, each with BREAKDOWN."""
    run = RunFactory(
        brief=brief,
        status=JobStatus.DONE,
        finished_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    for rank, site in enumerate(sites, start=1):
        Result.objects.create(
            run=run,
            site=site,
            site_name=site.name,
            provider_name=site.provider.name,
            eligible=True,
            rank=rank,
            score=95.0 - rank,
            breakdown=BREAKDOWN,
        )
    return run


@pytest.fixture
def team(helen, vera, helix_list):
    """Helix's "EU fill" with four candidates: Milan scored from a run, Cork contacted with an
    overdue next step for helen, Basel rejected for its quality record, Lyon selected."""
    milan = SiteFactory(name="Milan", provider__name="Brianza Bio", country="IT", city="Monza")
    run = _done_run(helix_list.brief, milan)
    pipeline.add_sites(helix_list, [milan.pk], helen, run=run)
    cork = CandidateFactory(shortlist=helix_list, site__name="Cork", site__country="IE")
    cork_due = timezone.localdate() - datetime.timedelta(days=3)
    Candidate.objects.filter(pk=cork.pk).update(stage=Stage.CONTACTED, owner=helen, due_on=cork_due)
    basel = CandidateFactory(shortlist=helix_list, site__name="Basel", site__country="CH")
    pipeline.move(basel, Stage.REJECTED, helen, ExitReason.QUALITY_RECORD, "Two 483s")
    lyon = CandidateFactory(shortlist=helix_list, site__name="Lyon", site__country="FR")
    decisions.decide(helix_list, helen, [lyon.pk], "The only one audited without findings.")
    return {
        "shortlist": helix_list,
        "run": run,
        "milan": Candidate.objects.get(site=milan),
        "cork": cork,
        "basel": basel,
        "lyon": lyon,
    }


# The organisation's shortlists


def test_the_list_shows_each_shortlist_with_its_counts_and_last_activity(helen, team):
    ShortlistFactory(title="Northwind's own")  # another organisation's

    page = _soup(client_of(helen).get("/shortlists/"))

    rows = page.select(".shortlists-table tbody tr")
    assert len(rows) == 1
    cells = [_text(cell) for cell in rows[0].select("td")]
    assert cells[:5] == ["EU fill", "Phase 2 mAb", "2", "1", "1"]
    assert "decided to select Lyon" in cells[5]
    assert rows[0].a["href"] == f"/shortlists/{team['shortlist'].pk}/"
    assert page.select_one("form[action='/shortlists/'] button").get_text() == "Create shortlist"


def test_a_member_creates_a_shortlist_for_a_brief_of_the_organisation(helen, helix_brief):
    client = client_of(helen)

    response = client.post("/shortlists/", {"title": " CMC audit ", "brief": helix_brief.pk})

    shortlist = Shortlist.objects.get(title="CMC audit")
    assert response.status_code == 302
    assert response["Location"] == f"/shortlists/{shortlist.pk}/"
    assert (shortlist.brief, shortlist.created_by) == (helix_brief, helen)
    assert shortlist.activity.get().verb == Verb.CREATED


def test_creating_a_shortlist_without_a_title_or_with_another_organisations_brief_is_refused(
    helen,
):
    client = client_of(helen)

    untitled = client.post("/shortlists/", {"title": "  "})
    foreign = client.post("/shortlists/", {"title": "EU", "brief": BriefFactory().pk})

    assert untitled.status_code == foreign.status_code == 400
    assert _text(_soup(untitled).select_one(".form-errors")) == "Title: Give the shortlist a title."
    assert _text(_soup(foreign).select_one(".form-errors")).startswith("Brief: Select a valid")
    assert not Shortlist.objects.exists()


def test_a_viewer_reads_the_list_without_the_form(vera, team):
    page = _soup(client_of(vera).get("/shortlists/"))

    assert len(page.select(".shortlists-table tbody tr")) == 1
    assert page.select_one("form[action='/shortlists/']") is None


def test_someone_without_an_organisation_is_told_so():
    page = _soup(client_of(UserFactory()).get("/shortlists/"))

    assert "does not belong to a sponsor organisation" in _text(page.select_one(".lede"))
    assert page.select_one(".shortlists-table") is None


def test_the_nav_links_to_the_shortlists_marked_current_on_sourcing_pages(helen, team):
    client = client_of(helen)

    on_list = _soup(client.get("/shortlists/")).select_one("nav[aria-label=Main]")
    on_briefs = _soup(client.get("/briefs/")).select_one("nav[aria-label=Main]")

    assert on_list.select_one("a[href='/shortlists/']")["aria-current"] == "page"
    assert not on_briefs.select_one("a[href='/shortlists/']").has_attr("aria-current")
    assert "Shortlists" not in _text(_soup(client_of().get("/")).select_one("nav[aria-label=Main]"))


# A shortlist as a board and as a table


def test_the_board_has_a_column_per_stage_in_order_then_those_out_of_the_race(helen, team):
    page = _soup(client_of(helen).get(team["shortlist"].get_absolute_url()))

    columns = page.select(".board .board-column")
    headings = [column.h2.contents[0].strip() for column in columns]
    assert headings == [stage.label for stage in PIPELINE] + ["Out of the race"]
    names = {
        column.h2.contents[0].strip(): [_text(card.h3) for card in column.select(".candidate-card")]
        for column in columns
    }
    assert names["Longlisted"] == ["Milan"]
    assert names["Contacted"] == ["Cork"]
    assert names["Selected"] == ["Lyon"]
    assert names["Out of the race"] == ["Basel"]
    basel = page.select_one(f"#candidate-{team['basel'].pk}")
    assert "Rejected by us Quality record : Two 483s" in _text(basel.select_one(".candidate-exit"))
    cork = page.select_one(f"#candidate-{team['cork'].pk}")
    assert cork.select_one(".badge-overdue").get_text() == "Overdue"
    milan = page.select_one(f"#candidate-{team['milan'].pk}")
    assert "Score 94.0 · #1" in _text(milan)
    assert "Not scored" in _text(cork)


def test_each_card_has_a_move_control_posting_to_the_candidate(helen, team):
    page = _soup(client_of(helen).get(team["shortlist"].get_absolute_url()))

    milan = team["milan"]
    form = page.select_one(f"#candidate-{milan.pk} form.move-form")
    url = f"/shortlists/{milan.shortlist_id}/candidates/{milan.pk}/move/"
    assert (form["action"], form["hx-post"], form["hx-target"]) == (url, url, "#candidates")
    stages = [option["value"] for option in form.select("select[name=stage] option")]
    assert stages == [stage.value for stage in (*PIPELINE, *EXITS)]
    assert form.select_one("select[name=stage] option[selected]")["value"] == Stage.LONGLISTED
    reasons = [option["value"] for option in form.select("select[name=exit_reason] option")]
    assert reasons == ["", *ExitReason.values]
    assert form.select_one("input[name=view]")["value"] == "board"
    label = form.select_one(f"label[for={form.select_one('select[name=stage]')['id']}]")
    assert _text(label) == "Stage of Milan"


def test_the_table_lists_every_candidate_with_its_facts(helen, team):
    page = _soup(client_of(helen).get(f"{team['shortlist'].get_absolute_url()}?view=table"))

    table = page.select_one(".candidates-table")
    headers = [_text(th) for th in table.select("thead th")]
    # The Compare ticks come first, in sight without scrolling the wide table sideways.
    assert headers == [
        "Compare",
        "Site",
        "Provider",
        "Country",
        "Stage",
        "Exit reason",
        "Owner",
        "Next step due",
        "Score",
        "Added",
    ]
    assert all(row.td["class"] == ["compare-col"] for row in table.tbody("tr"))
    rows = {
        _text(row.th): [_text(td) for td in row.select("td:not(.compare-col)")]
        for row in table.tbody("tr")
    }
    assert list(rows) == ["Milan", "Cork", "Basel", "Lyon"]
    run_day = f"{team['run'].finished_at:%-d %b %Y}"
    assert [row.select_one(".stage").get_text() for row in table.tbody("tr")] == [
        "Longlisted",
        "Contacted",
        "Rejected by us",
        "Selected",
    ]
    assert rows["Milan"][:2] + rows["Milan"][3:7] == [
        "Brianza Bio",
        "Italy",
        "—",
        "—",
        "—",
        f"94.0 #1, run of {run_day}",
    ]
    cork_due = timezone.localdate() - datetime.timedelta(days=3)
    assert rows["Cork"][3:7] == [
        "—",
        "helen",
        f"due {cork_due:%-d %b %Y} Overdue",
        "not scored",
    ]
    assert rows["Basel"][3] == "Quality record : Two 483s"
    assert page.select_one(".method-switch a[aria-current=page]").get_text() == "Table"
    move = table.select_one(".stage-cell form.move-form")  # in the stage's cell
    assert move.select_one("input[name=view]")["value"] == "table"


def test_a_viewer_sees_the_board_and_table_without_move_controls(vera, team):
    client = client_of(vera)
    url = team["shortlist"].get_absolute_url()

    board = _soup(client.get(url))
    table = _soup(client.get(f"{url}?view=table"))

    assert len(board.select(".candidate-card")) == 4
    assert len(table.select(".candidates-table tbody tr")) == 4
    assert board.select("form.move-form") == table.select("form.move-form") == []


# Moves


def test_a_move_without_htmx_saves_and_goes_back_to_the_board_or_table(helen, team):
    client = client_of(helen)
    milan = team["milan"]
    url = f"/shortlists/{milan.shortlist_id}/candidates/{milan.pk}/move/"

    response = client.post(url, {"stage": Stage.RFI_SENT, "view": "table"})

    assert response.status_code == 302
    assert response["Location"] == f"/shortlists/{milan.shortlist_id}/?view=table"
    milan.refresh_from_db()
    assert milan.stage == Stage.RFI_SENT
    entry = Activity.objects.filter(candidate=milan, verb=Verb.MOVED).get()
    assert entry.summary == "Milan (Brianza Bio) from Longlisted to RFI sent"
    assert "Milan moved to RFI sent." in _text(_soup(client.get(response["Location"])))


def test_a_move_with_htmx_swaps_the_region_with_the_candidate_in_its_new_column(helen, team):
    milan = team["milan"]
    url = f"/shortlists/{milan.shortlist_id}/candidates/{milan.pk}/move/"

    response = client_of(helen).post(url, {"stage": Stage.CDA_SIGNED, "view": "board"}, **HTMX)

    assert response.status_code == 200
    region = _soup(response).select_one("#candidates")
    assert region is not None
    assert region.find_parent("main") is None  # the fragment only
    column = region.select_one(f"#column-{Stage.CDA_SIGNED}").find_parent("section")
    assert [_text(card.h3) for card in column.select(".candidate-card")] == ["Milan"]
    assert _text(region.select_one("[role=status]")) == "Milan moved to CDA signed."
    assert region.select("a[autofocus]") == [column.select_one(".candidate-card h3 a")]


def test_an_unknown_stage_is_a_400_naming_the_field_and_changes_nothing(helen, team):
    milan = team["milan"]
    url = f"/shortlists/{milan.shortlist_id}/candidates/{milan.pk}/move/"
    logged = Activity.objects.count()

    response = client_of(helen).post(url, {"stage": "shipped", "view": "board"})

    assert response.status_code == 400
    card = _soup(response).select_one(f"#candidate-{milan.pk}")
    errors = card.select_one(".form-errors")
    assert _text(errors).startswith("Stage: Unknown stage “shipped”: use one of longlisted")
    assert card.select_one("select[name=stage]")["aria-invalid"] == "true"
    assert card.select_one("select[name=stage]")["aria-describedby"] == errors["id"]
    milan.refresh_from_db()
    assert milan.stage == Stage.LONGLISTED
    assert Activity.objects.count() == logged


@pytest.mark.parametrize("htmx", [False, True])
def test_leaving_the_race_without_a_reason_is_refused_beside_the_control(helen, team, htmx):
    cork = team["cork"]
    url = f"/shortlists/{cork.shortlist_id}/candidates/{cork.pk}/move/"
    logged = Activity.objects.count()

    response = client_of(helen).post(
        url,
        {"stage": Stage.DECLINED, "exit_note": "No slot", "view": "table"},
        **(HTMX if htmx else {}),
    )

    assert response.status_code == 400
    page = _soup(response)
    assert (page.select_one("main") is None) == htmx
    row = page.select_one(f"#candidate-{cork.pk}")
    assert _text(row.select_one(".form-errors")).startswith(
        "Reason: Say why the candidate is declined by the provider: no capacity, timeline"
    )
    assert row.select_one("details.move-exit").has_attr("open")
    # What was sent is shown again, to be completed.
    assert row.select_one("select[name=stage] option[selected]")["value"] == Stage.DECLINED
    assert row.select_one("input[name=exit_note]")["value"] == "No slot"
    # The keyboard lands on the field to complete, not at the top of the page.
    assert [field["name"] for field in page.select("[autofocus]")] == ["exit_reason"]
    cork.refresh_from_db()
    assert (cork.stage, cork.exit_reason, cork.exit_note) == (Stage.CONTACTED, "", "")
    assert Activity.objects.count() == logged


def test_leaving_the_race_with_a_reason_lists_it_out_of_the_race(helen, team):
    cork = team["cork"]
    url = f"/shortlists/{cork.shortlist_id}/candidates/{cork.pk}/move/"

    response = client_of(helen).post(
        url,
        {"stage": Stage.ON_HOLD, "exit_reason": ExitReason.TIMELINE, "view": "board"},
        **HTMX,
    )

    assert response.status_code == 200
    out = _soup(response).select_one("#column-out").find_parent("section")
    assert [_text(card.h3) for card in out.select(".candidate-card")] == ["Cork", "Basel"]
    assert "On hold Timeline" in _text(out.select_one(f"#candidate-{cork.pk} .candidate-exit"))


def test_a_move_from_the_candidates_page_returns_there(helen, team):
    cork = team["cork"]
    client = client_of(helen)
    base = cork.get_absolute_url()

    moved = client.post(f"{base}move/", {"stage": Stage.AUDITED, "view": "candidate"})
    refused = client.post(f"{base}move/", {"stage": Stage.REJECTED, "view": "candidate"})

    assert (moved.status_code, moved["Location"]) == (302, base)
    assert refused.status_code == 400
    errors = _soup(refused).select_one(".candidate-side .form-errors")
    assert _text(errors).startswith("Reason: Say why the candidate is rejected by us")
    cork.refresh_from_db()
    assert cork.stage == Stage.AUDITED


# A candidate's page


def test_a_scored_candidates_page_shows_its_site_score_rank_breakdown_and_log(helen, team):
    milan = team["milan"]
    page = _soup(client_of(helen).get(milan.get_absolute_url()))

    site = milan.site
    profile = f"/providers/{site.provider.slug}/#site-{site.pk}"
    assert page.select_one("#site-heading").find_parent("section").a["href"] == profile
    score = _text(page.select_one("#score-heading").find_parent("section"))
    run = team["run"]
    assert f"94.0 · rank 1 in run {run.pk} (weighted mean), scored {run.finished_at:%-d %b %Y}" in (
        score
    )
    rows = page.select(".breakdown-table tbody tr")
    assert [_text(row.th) for row in rows] == ["Phase must-have", "Geography"]
    log = _text(page.select_one(".candidate-side .activity-list"))
    assert f"helen added Milan (Brianza Bio) from run {run.pk}, rank 1, score 94.0" in log
    # The move, assign, note and remove controls.
    for action in ("move", "assign", "notes", "remove"):
        assert page.select_one(f"form[action='{milan.get_absolute_url()}{action}/']")


def test_a_candidate_added_from_a_profile_is_not_scored(helen, team):
    page = _soup(client_of(helen).get(team["cork"].get_absolute_url()))

    assert "Not scored: the site was added from a profile or the directory" in _text(page)
    assert page.select_one(".breakdown-table") is None


def test_a_candidate_of_another_shortlist_is_a_404_under_this_one(helen, team):
    other = CandidateFactory(shortlist=ShortlistFactory(brief=team["shortlist"].brief))

    response = client_of(helen).get(f"/shortlists/{team['shortlist'].pk}/candidates/{other.pk}/")

    assert response.status_code == 404


def test_assigning_an_owner_and_a_date(helen, vera, team):
    milan = team["milan"]
    due = timezone.localdate() + datetime.timedelta(days=7)

    response = client_of(helen).post(
        f"{milan.get_absolute_url()}assign/", {"owner": vera.pk, "due_on": due.isoformat()}
    )

    assert response.status_code == 302
    milan.refresh_from_db()
    assert (milan.owner, milan.due_on) == (vera, due)
    page = _soup(client_of(helen).get(milan.get_absolute_url()))
    owners = [_text(option) for option in page.select("select[name=owner] option")]
    assert owners == ["Nobody", "helen", "vera"]


def test_a_past_due_date_is_refused_naming_the_field_and_nothing_changes(helen, vera, team):
    milan = team["milan"]
    past = timezone.localdate() - datetime.timedelta(days=1)

    response = client_of(helen).post(
        f"{milan.get_absolute_url()}assign/", {"owner": vera.pk, "due_on": past.isoformat()}
    )

    assert response.status_code == 400
    errors = _soup(response).select_one(".assign-form .form-errors")
    assert _text(errors) == (
        f"Next step due: The next step cannot be due in the past ({past:%d %b %Y}): "
        "give today or a later date."
    )
    milan.refresh_from_db()
    assert (milan.owner, milan.due_on) == (None, None)
    assert not Activity.objects.filter(verb=Verb.ASSIGNED).exists()


def test_an_owner_from_another_organisation_is_refused(helen, otto, team):
    milan = team["milan"]

    response = client_of(helen).post(f"{milan.get_absolute_url()}assign/", {"owner": otto.pk})

    assert response.status_code == 400
    assert _text(_soup(response).select_one(".assign-form .form-errors")).startswith(
        "Owner: Select a valid choice."
    )


def test_a_note_is_saved_and_shown_and_an_empty_one_refused(helen, team):
    client = client_of(helen)
    cork = team["cork"]

    saved = client.post(f"{cork.get_absolute_url()}notes/", {"text": "Call back on Monday"})
    empty = client.post(f"{cork.get_absolute_url()}notes/", {"text": "  "})

    assert saved.status_code == 302
    assert Note.objects.get(candidate=cork).text == "Call back on Monday"
    assert empty.status_code == 400
    assert _text(_soup(empty).select_one(".note-form .form-errors")) == (
        "Note: Write the note before saving it."
    )
    page = _soup(client.get(cork.get_absolute_url()))
    assert "Call back on Monday" in _text(page.select_one(".notes"))
    assert Note.objects.count() == 1


def test_removing_a_candidate_keeps_it_in_the_log(helen, team):
    basel = team["basel"]
    client = client_of(helen)

    response = client.post(f"{basel.get_absolute_url()}remove/")

    assert response.status_code == 302
    assert response["Location"] == team["shortlist"].get_absolute_url()
    assert not Candidate.objects.filter(pk=basel.pk).exists()
    log = _soup(client.get(f"{team['shortlist'].get_absolute_url()}activity/"))
    assert "helen removed Basel" in _text(log.select_one(".activity-list"))


# The activity log


def test_the_activity_log_is_paged_with_the_shared_pagination(helen, team):
    cork = team["cork"]
    for index in range(60):
        pipeline.add_note(cork, helen, f"Note {index}")
    client = client_of(helen)
    url = f"{team['shortlist'].get_absolute_url()}activity/"

    first = _soup(client.get(url))
    second = _soup(client.get(f"{url}?page=2"))

    total = team["shortlist"].activity.count()
    assert len(first.select(".activity-list li")) == 50
    assert len(second.select(".activity-list li")) == total - 50
    nav = first.select_one("nav.pagination[aria-label='Activity pages']")
    assert _text(nav) == f"Entries 1\N{EN DASH}50 of {total} Next →"
    assert nav.select_one("a[rel=next]")["href"] == "?page=2"
    newest = first.select_one(".activity-list li")
    assert "helen noted on Cork" in _text(newest)
    assert newest.a["href"] == cork.get_absolute_url()


# Add to a shortlist


def test_the_add_control_offers_the_runs_brief_shortlists_first(helen, team):
    standalone = ShortlistFactory(
        brief=None, organisation=team["shortlist"].organisation, title="Backup fillers"
    )
    site = SiteFactory(name="Ghent")
    run = _done_run(team["shortlist"].brief, site)
    ShortlistFactory(title="Northwind's")  # another organisation's

    response = client_of(helen).get(f"/shortlists/add/control/?site={site.pk}&run={run.pk}")

    assert response.status_code == 200
    control = _soup(response).select_one(".shortlist-add")
    assert control.find_parent("main") is None
    options = [_text(option) for option in control.select("select[name=shortlist] option")]
    assert options == ["EU fill", "Backup fillers"]
    assert standalone.created_at > team["shortlist"].created_at  # newest, yet second
    form = control.select_one("form")
    assert (form["action"], form["hx-post"]) == ("/shortlists/add/", "/shortlists/add/")
    assert control.select_one("input[name=site]")["value"] == str(site.pk)
    assert control.select_one("input[name=run]")["value"] == str(run.pk)
    assert control.select_one("input[name=new_title]")["placeholder"] == "For Phase 2 mAb"
    assert _text(control.select_one("button")) == "Add Ghent"


def test_the_add_control_says_where_the_site_is_listed_already(helen, team):
    site = team["milan"].site

    control = _soup(client_of(helen).get(f"/shortlists/add/control/?site={site.pk}"))

    assert _text(control.select_one(".shortlist-listed")) == "On EU fill"
    assert _text(control.summary) == "Add to another shortlist"
    # Its only shortlist holds it already: no choice to make but a new shortlist.
    assert control.select_one("select") is None
    assert _text(control.select_one("label")) == "A new shortlist, titled"


def test_the_add_control_offers_a_shortlist_holding_the_site_but_not_to_choose(helen, team):
    site = team["milan"].site
    pipeline.create_shortlist(team["shortlist"].organisation, helen, "US fill")

    control = _soup(client_of(helen).get(f"/shortlists/add/control/?site={site.pk}"))

    options = control.select("select[name=shortlist] option")
    assert [(_text(option), option.has_attr("disabled")) for option in options] == [
        ("US fill", False),
        ("EU fill (already on it)", True),
    ]


def test_the_add_control_is_empty_for_viewers_and_people_without_an_organisation(vera, team):
    site = SiteFactory()
    url = f"/shortlists/add/control/?site={site.pk}"

    assert client_of(vera).get(url).status_code == 204
    assert client_of(UserFactory()).get(url).status_code == 204
    assert client_of(vera).get(url).content == b""


def test_the_add_control_for_a_provider_lists_its_sites(helen, team):
    first = SiteFactory(name="Antwerp")
    SiteFactory(name="Brussels", provider=first.provider)

    response = client_of(helen).get(f"/shortlists/add/control/?provider={first.provider.pk}&open=1")

    control = _soup(response)
    boxes = control.select("input[type=checkbox][name=site]")
    assert [_text(box.parent) for box in boxes] == ["Antwerp (Leverkusen)", "Brussels (Leverkusen)"]
    assert all(box.has_attr("checked") for box in boxes)
    assert control.details.has_attr("open")


def test_the_add_control_refuses_an_unknown_site_or_another_organisations_run(helen, otto, team):
    client = client_of(helen)
    site = SiteFactory()
    foreign_run = RunFactory(brief=BriefFactory(organisation=otto.membership.organisation))

    assert client.get("/shortlists/add/control/?site=999999").status_code == 404
    assert client.get("/shortlists/add/control/?site=x").status_code == 404
    url = f"/shortlists/add/control/?site={site.pk}&run={foreign_run.pk}"
    assert client.get(url).status_code == 404


def test_adding_from_a_run_keeps_the_score_rank_and_breakdown(helen, team):
    site = SiteFactory(name="Ghent")
    other = SiteFactory(name="Dublin")
    run = _done_run(team["shortlist"].brief, other, site)

    response = client_of(helen).post(
        "/shortlists/add/",
        {"site": site.pk, "run": run.pk, "shortlist": team["shortlist"].pk},
    )

    assert response.status_code == 302
    assert response["Location"] == team["shortlist"].get_absolute_url()
    candidate = Candidate.objects.get(site=site)
    assert (candidate.score, candidate.rank, candidate.breakdown, candidate.run) == (
        93.0,
        2,
        BREAKDOWN,
        run,
    )
    assert candidate.scored_at == run.finished_at
    assert candidate.added_by == helen


def test_adding_to_a_new_shortlist_creates_it_for_the_runs_brief(helen, team):
    site = SiteFactory(name="Ghent")
    run = _done_run(team["shortlist"].brief, site)

    response = client_of(helen).post(
        "/shortlists/add/",
        {"site": site.pk, "run": run.pk, "shortlist": team["shortlist"].pk, "new_title": "Ghent"},
        **HTMX,
    )

    shortlist = Shortlist.objects.get(title="Ghent")
    assert shortlist.brief == team["shortlist"].brief
    assert response.status_code == 200
    added = _soup(response).select_one(".shortlist-added")
    assert _text(added) == "Added to Ghent ."
    assert added.a["href"] == shortlist.get_absolute_url()
    assert shortlist.candidates.get().score == 94.0


def test_adding_from_a_profile_is_not_scored(helen, team):
    site = SiteFactory(name="Ghent")

    response = client_of(helen).post(
        "/shortlists/add/", {"site": site.pk, "shortlist": team["shortlist"].pk}, **HTMX
    )

    assert response.status_code == 200
    candidate = Candidate.objects.get(site=site)
    assert (candidate.score, candidate.rank, candidate.run, candidate.breakdown) == (
        None,
        None,
        None,
        [],
    )
    page = _soup(client_of(helen).get(candidate.get_absolute_url()))
    assert "Not scored" in _text(page.select_one("#score-heading").find_parent("section"))


def test_adding_a_site_already_listed_says_so(helen, team):
    site = team["milan"].site

    response = client_of(helen).post(
        "/shortlists/add/", {"site": site.pk, "shortlist": team["shortlist"].pk}, **HTMX
    )

    assert _text(_soup(response)) == "Already on EU fill ."
    assert team["shortlist"].candidates.filter(site=site).count() == 1


def test_adding_a_providers_sites_at_once(helen, team):
    first = SiteFactory(name="Antwerp")
    second = SiteFactory(name="Brussels", provider=first.provider)

    response = client_of(helen).post(
        "/shortlists/add/",
        {"site": [first.pk, second.pk], "shortlist": team["shortlist"].pk},
        **HTMX,
    )

    assert _text(_soup(response)) == "Added to EU fill (2 sites)."
    assert team["shortlist"].candidates.filter(site__provider=first.provider).count() == 2


def test_adding_without_a_shortlist_or_a_title_is_refused_beside_the_control(helen, team):
    site = SiteFactory(name="Ghent")

    response = client_of(helen).post("/shortlists/add/", {"site": site.pk}, **HTMX)

    assert response.status_code == 400
    control = _soup(response).select_one(".shortlist-add")
    assert _text(control.select_one(".form-errors")) == (
        "Shortlist: Choose a shortlist, or give a new one a title to create it."
    )
    assert control.details.has_attr("open")
    assert not Candidate.objects.filter(site=site).exists()


def test_adding_an_unknown_site_to_a_new_shortlist_creates_nothing(helen, team):
    response = client_of(helen).post("/shortlists/add/", {"site": 999999, "new_title": "Ghent"})

    assert response.status_code == 400
    page = _soup(response)
    assert page.select_one("main h1").get_text() == "Add to a shortlist"  # a page, without htmx
    assert _text(page.select_one(".form-errors")) == "Sites: No site has the id 999999."
    assert not Shortlist.objects.filter(title="Ghent").exists()


def test_adding_to_another_organisations_shortlist_or_from_its_run_is_a_404(helen, otto, team):
    site = SiteFactory()
    theirs = ShortlistFactory(brief=BriefFactory(organisation=otto.membership.organisation))
    their_run = _done_run(theirs.brief, site)
    client = client_of(helen)

    into_theirs = client.post("/shortlists/add/", {"site": site.pk, "shortlist": theirs.pk})
    from_their_run = client.post(
        "/shortlists/add/",
        {"site": site.pk, "run": their_run.pk, "shortlist": team["shortlist"].pk},
    )

    assert into_theirs.status_code == from_their_run.status_code == 404
    assert not Candidate.objects.filter(site=site).exists()


# Where the control is placed: the run page, the profiles and the directory


def test_each_ranked_site_of_a_run_loads_the_control(helen, vera, team):
    first, second = SiteFactory(name="Ghent"), SiteFactory(name="Dublin")
    run = _done_run(team["shortlist"].brief, first, second)

    page = _soup(client_of(helen).get(f"/runs/{run.pk}/"))
    as_viewer = _soup(client_of(vera).get(f"/runs/{run.pk}/"))

    slots = page.select(".result-list .shortlist-slot")
    assert [slot["hx-get"] for slot in slots] == [
        f"/shortlists/add/control/?site={site.pk}&run={run.pk}" for site in (first, second)
    ]
    assert all(slot["hx-trigger"] == "intersect once" for slot in slots)
    assert as_viewer.select(".shortlist-slot") == []


def test_each_site_of_a_profile_loads_the_control_for_members(helen, vera, team):
    site = SiteFactory(name="Ghent")
    SiteFactory(name="Hasselt", provider=site.provider)
    url = f"/providers/{site.provider.slug}/"

    slots = _soup(client_of(helen).get(url)).select(".site-card .shortlist-slot")

    site_ids = site.provider.sites.values_list("pk", flat=True)
    assert sorted(slot["hx-get"] for slot in slots) == sorted(
        f"/shortlists/add/control/?site={pk}" for pk in site_ids
    )
    assert _soup(client_of(vera).get(url)).select(".shortlist-slot") == []
    assert _soup(client_of().get(url)).select(".shortlist-slot") == []


def test_each_provider_of_the_directory_has_a_shortlist_link_for_members(helen, vera, team):
    site = SiteFactory(name="Ghent", provider__name="Ghent Bio")

    page = _soup(client_of(helen).get("/providers/", {"q": "Ghent Bio"}))

    link = page.select_one(".provider-card .shortlist-link")
    assert _text(link) == "Shortlist Ghent Bio"  # the provider's name, for screen readers
    assert link["href"] == f"/providers/{site.provider.slug}/"
    assert link["hx-get"] == f"/shortlists/add/control/?provider={site.provider.pk}&open=1"
    viewer_page = _soup(client_of(vera).get("/providers/", {"q": "Ghent Bio"}))
    assert viewer_page.select(".shortlist-link") == []
