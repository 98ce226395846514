"""Match runs as pages: started from a brief, followed on a progress bar, read as explained
results."""

from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from core.choices import JobStatus
from matching import results, runs
from matching.models import Brief, Result, Run
from tests.factories import RunFactory
from tests.matching.conftest import mab_site

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client, brief, django_capture_on_commit_callbacks, method="weighted"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/briefs/{brief.pk}/runs/", {"method": method})


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


# Starting a run from the brief's page


def test_the_brief_page_offers_a_run_and_lists_the_runs(helix, brief, catalogue):
    client = _client(helix)
    page = _soup(client.get(f"/briefs/{brief.pk}/"))
    form = page.select_one("form.run-start")
    assert form["action"] == f"/briefs/{brief.pk}/runs/"
    assert [i["value"] for i in form.select("input[name=method]")] == ["weighted", "topsis"]
    assert "No runs yet." in _text(page)

    done = RunFactory(brief=brief, status=JobStatus.DONE, eligible=2, excluded=3)
    rows = _soup(client.get(f"/briefs/{brief.pk}/")).select(".runs-table tbody tr")
    assert len(rows) == 1
    assert _text(rows[0]).startswith(f"Run {done.pk} Weighted mean Done 2 3")


def test_running_a_match_leads_to_ranked_explained_results(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)

    response = _start(client, brief, django_capture_on_commit_callbacks)

    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{run.pk}/"
    page = _soup(client.get(response["Location"]))
    assert "Matches for Phase 2 mAb" in _text(page.h1)
    assert [_text(s) for s in page.select(".run-stats .stat")] == [
        "5 sites scored",
        "2 eligible, ranked",
        "3 excluded",
    ]

    ranked = page.select(".result-list .result")
    assert [r.select_one(".result-name strong").get_text() for r in ranked] == ["Berlin", "Cork"]
    scores = [float(r.select_one(".score-num").get_text()) for r in ranked]
    assert scores[0] > scores[1]
    assert scores == [Result.objects.get(run=run, site_name=n).score for n in ("Berlin", "Cork")]

    breakdown = {
        _text(row.th): [_text(cell) for cell in row.find_all("td")]
        for row in ranked[0].select(".breakdown-table tbody tr")
    }
    assert breakdown["Geography"] == ["1.00", "3", "is in Germany, a preferred country."]
    assert breakdown["Phase must-have"] == ["1.00", "3", "serves Phase 2."]

    excluded = {
        _text(row.find_all("td")[0]): _text(row.find_all("td")[2])
        for row in page.select(".excluded-table tbody tr")
    }
    assert set(excluded) == {"Basel", "Lyon", "Suzhou"}
    assert "China" in excluded["Suzhou"] or "CN" in excluded["Suzhou"]
    assert "phase" in excluded["Lyon"].lower()

    funnel = [_text(li) for li in page.select(".funnel li")]
    assert funnel[0] == "Catalogue 5"
    assert funnel[-1] == "Eligible 2"
    assert len(funnel) == 2 + len(run.funnel)
    relaxation = page.select_one(".relaxation")
    assert relaxation is not None
    assert run.relaxation["suggestion"] in _text(relaxation)


def test_an_unknown_method_is_refused_with_the_reason(helix, brief, catalogue):
    client = _client(helix)
    response = client.post(f"/briefs/{brief.pk}/runs/", {"method": "random"}, follow=True)
    assert not Run.objects.exists()
    assert "Ranking method: Choose weighted mean or TOPSIS." in _text(_soup(response))


def test_a_broker_that_is_down_is_said_and_the_run_waits(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    with mock.patch(
        "matching.tasks.execute_run.apply_async", side_effect=OperationalError("refused")
    ):
        response = _start(client, brief, django_capture_on_commit_callbacks)
    run = Run.objects.get()
    assert run.status == JobStatus.QUEUED
    page = _soup(client.get(response["Location"]))
    progress = page.select_one("#run-progress")
    assert progress["hx-get"] == f"/runs/{run.pk}/progress/"
    assert progress.select_one("[role=progressbar]")["aria-valuenow"] == "0"
    assert runs.BROKER_DOWN in _text(progress)


# Following a run


def test_the_progress_bar_polls_until_the_run_ends_then_reloads_the_page(helix, brief):
    client = _client(helix)
    run = RunFactory(brief=brief, status=JobStatus.RUNNING, progress=50)

    fragment = _soup(client.get(f"/runs/{run.pk}/progress/", headers={"HX-Request": "true"}))
    bar = fragment.select_one("#run-progress [role=progressbar]")
    assert bar["aria-valuenow"] == "50"
    assert fragment.select_one("#run-progress")["hx-trigger"] == "every 1s"
    assert "Scoring the catalogue" in _text(fragment)

    Run.objects.filter(pk=run.pk).update(status=JobStatus.DONE, progress=100)
    done = client.get(f"/runs/{run.pk}/progress/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_failed_run_says_why_and_can_be_retried(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    run = RunFactory(
        brief=brief,
        status=JobStatus.FAILED,
        error="stopped: the run took longer than 2 minutes; retry it.",
    )
    page = _soup(client.get(f"/runs/{run.pk}/"))
    assert "The run failed" in _text(page.select_one(".run-failed"))
    assert "Stopped: the run took longer than 2 minutes" in _text(page.select_one(".run-failed"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/runs/{run.pk}/retry/")
    assert response["Location"] == f"/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    assert run.eligible == 2

    again = client.post(f"/runs/{run.pk}/retry/", follow=True)
    assert "The run is done: only a failed or queued run is retried." in _text(_soup(again))


def test_a_run_waiting_on_a_broker_that_was_down_can_be_sent_again(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    with mock.patch(
        "matching.tasks.execute_run.apply_async", side_effect=OperationalError("refused")
    ):
        url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]
    run = Run.objects.get()
    # A worker died on it once before; the retry keeps that count.
    Run.objects.filter(pk=run.pk).update(attempts=1)
    page = _soup(client.get(url))
    assert runs.BROKER_DOWN in _text(page.select_one("#run-progress"))
    # The button is outside the card that refreshes itself every second.
    assert not page.select("#run-progress form")
    retry = page.select_one("form.run-resend")
    assert retry["action"] == f"/runs/{run.pk}/retry/"
    assert _text(retry.button) == "Send the run to the queue again"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry["action"])

    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (JobStatus.DONE, 2, "")


def test_a_second_click_follows_the_run_already_under_way(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    with mock.patch("matching.tasks.execute_run.apply_async"):
        first = _start(client, brief, django_capture_on_commit_callbacks)["Location"]
        again = _start(client, brief, django_capture_on_commit_callbacks)
        other_method = _start(client, brief, django_capture_on_commit_callbacks, "topsis")
    assert again["Location"] == first
    assert other_method["Location"] != first
    assert Run.objects.count() == 2
    page = _soup(client.get(first))
    assert "already being matched this way" in _text(page.select_one(".messages"))

    # Once the brief is edited, a run answers the new brief: a new one starts.
    brief.save()
    with mock.patch("matching.tasks.execute_run.apply_async"):
        fresh = _start(client, brief, django_capture_on_commit_callbacks)
    assert fresh["Location"] != first
    assert Run.objects.count() == 3


# Comparing the ranking methods


def test_switching_to_topsis_runs_the_brief_again_and_shows_how_ranks_move(
    helix, brief, django_capture_on_commit_callbacks
):
    # Against a 2,000 L batch: Aachen has the scale but a poor record (sub-scores 1.0 and
    # 0.05), Bonn half of each (0.5 and 0.5), everything else equal. The weighted mean puts
    # Aachen first (1.05 against 1.0); TOPSIS, which favours the site nearest the ideal and
    # farthest from the worst on every criterion at once, puts Bonn first.
    brief.batch_size, brief.batch_unit = 2000, "L"
    brief.save()
    mab_site("Aachen", "DE", "phase2", compliance=5, max_volume_l=2000)
    mab_site("Bonn", "DE", "phase2", compliance=50, max_volume_l=1000)
    client = _client(helix)
    weighted_url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]
    weighted = Run.objects.get()

    page = _soup(client.get(weighted_url))
    assert [_text(r.select_one(".result-name strong")) for r in page.select(".result")] == [
        "Aachen",
        "Bonn",
    ]
    switch = page.select_one(".method-switch")
    assert _text(switch.select_one(".segment.active")) == "Weighted mean"
    topsis_button = switch.select_one("form button")
    assert _text(topsis_button) == "TOPSIS"
    assert switch.select_one("form input[name=method]")["value"] == "topsis"
    assert not page.select(".movement")

    topsis_url = _start(client, brief, django_capture_on_commit_callbacks, "topsis")["Location"]
    topsis = Run.objects.exclude(pk=weighted.pk).get()
    assert topsis.method == "topsis"

    page = _soup(client.get(topsis_url))
    switch = page.select_one(".method-switch")
    assert _text(switch.select_one(".segment.active")) == "TOPSIS"
    # The methods keep their places whichever is shown.
    assert [_text(segment) for segment in switch.select(".segment")] == ["Weighted mean", "TOPSIS"]
    assert switch.select_one("a.segment")["href"] == weighted_url
    moves = {
        _text(item.select_one(".result-name strong")): _text(item.select_one(".movement"))
        for item in page.select(".result")
    }
    assert list(moves) == ["Bonn", "Aachen"]
    assert moves == {
        "Bonn": "▲ 1 #2 by Weighted mean",
        "Aachen": "▼ 1 #1 by Weighted mean",
    }
    note = _text(page.select_one(".method-note"))
    assert f"run {weighted.pk}" in note
    assert "2 of the top 2 sites are the same under both" in note

    # And back: the weighted run now links to the TOPSIS one and shows the moves too.
    page = _soup(client.get(weighted_url))
    assert page.select_one(".method-switch a.segment")["href"] == topsis_url
    assert [_text(m) for m in page.select(".movement")] == [
        "▲ 1 #2 by TOPSIS",
        "▼ 1 #1 by TOPSIS",
    ]


def test_a_run_of_an_edited_brief_says_so_and_is_not_compared(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]
    _start(client, brief, django_capture_on_commit_callbacks, "topsis")
    brief.title = "Phase 2 mAb, revised"
    brief.save()

    page = _soup(client.get(url))
    note = page.select_one(".run-note")
    assert "The brief was edited after this run" in _text(note)
    assert note.select_one("input[name=method]")["value"] == "weighted"
    assert not page.select(".movement")
    assert page.select_one(".method-switch form button") is not None


# Pages of results


def test_every_page_of_results_keeps_its_sentences_whatever_changes_after(
    helix, brief, django_capture_on_commit_callbacks
):
    sites = [
        mab_site(f"Site {number:02}", "DE" if number % 2 else "IE", "phase2", compliance=number)
        for number in range(30)
    ]
    client = _client(helix)
    url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]

    first = _soup(client.get(url))
    assert len(first.select(".result")) == results.RESULTS_PER_PAGE
    assert "Sites 1\N{EN DASH}25 of 30" in _text(first.select_one(".pagination"))

    def last_page():
        page = _soup(client.get(url, {"page": 2}))
        ranks = [int(r.select_one(".result-rank").get_text()) for r in page.select(".result")]
        assert ranks == [26, 27, 28, 29, 30]
        assert page.select_one(".result-list")["start"] == "26"
        return [
            [_text(cell) for cell in row.find_all("td")]
            for row in page.select(".breakdown-table tbody tr")
        ]

    before = last_page()
    assert before
    assert all(sentence and sentence != "—" for _, _, sentence in before)

    # The brief and the catalogue change; the run reads as it was, and says what changed.
    brief.save()
    sites[0].name = "Renamed"
    sites[0].save()
    assert last_page() == before
    assert "The brief was edited after this run" in _text(_soup(client.get(url)))


def test_excluded_sites_are_paginated_by_name(helix, brief, django_capture_on_commit_callbacks):
    mab_site("Eligible", "DE", "phase2")
    for number in range(27):
        mab_site(f"Late {number:02}", "FR", "phase1")
    client = _client(helix)
    url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]

    first = _soup(client.get(url))
    names = [_text(row.td) for row in first.select(".excluded-table tbody tr")]
    assert names == [f"Late {n:02}" for n in range(25)]
    second = _soup(client.get(url, {"excluded_page": 2, "page": 1}))
    names = [_text(row.td) for row in second.select(".excluded-table tbody tr")]
    assert names == ["Late 25", "Late 26"]


# Who sees what


def test_another_organisations_runs_are_not_found(
    helix, northwind, brief, catalogue, django_capture_on_commit_callbacks
):
    _start(_client(helix), brief, django_capture_on_commit_callbacks)
    run = Run.objects.get()
    outsider = _client(northwind)
    assert outsider.get(f"/runs/{run.pk}/").status_code == 404
    assert outsider.get(f"/runs/{run.pk}/progress/").status_code == 404
    assert outsider.post(f"/runs/{run.pk}/retry/").status_code == 404
    assert outsider.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"}).status_code == 404
    assert Run.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(brief):
    response = Client().get("/runs/1/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_brief_list_links_each_briefs_last_run(helix, brief):
    RunFactory(brief=brief, status=JobStatus.FAILED)
    last = RunFactory(brief=brief, status=JobStatus.DONE, eligible=7)
    Brief.objects.create(
        organisation=brief.organisation, title="Not run yet", modality=brief.modality
    )
    rows = {
        _text(row.td): row.find_all("td")[-1]
        for row in _soup(_client(helix).get("/briefs/")).select("tbody tr")
    }
    assert _text(rows["Phase 2 mAb"]) == f"Run {last.pk} · 7 eligible"
    assert rows["Phase 2 mAb"].a["href"] == f"/runs/{last.pk}/"
    assert _text(rows["Not run yet"]) == "Not run"


def test_excluded_sites_come_nearest_misses_first_and_filter_by_constraint(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]

    page = _soup(client.get(url))
    chips = [_text(chip) for chip in page.select(".run-excluded .chips a")]
    assert chips == ["All 3", "Phase 2", "Excluded countries 1"]
    assert page.select_one(".chips a.selected").get_text(strip=True).startswith("All")
    # Lyon and Basel pass the excluded countries and fail the phase, later in the funnel.
    names = [_text(row.td) for row in page.select(".excluded-table tbody tr")]
    assert names == ["Basel", "Lyon", "Suzhou"]

    # The funnel's steps list the sites they remove.
    step = page.select_one(".funnel a[href*='excluded=excluded_countries']")
    assert _text(step) == "Excluded countries"
    filtered = _soup(client.get(url, {"excluded": "excluded_countries"}))
    assert [_text(row.td) for row in filtered.select(".excluded-table tbody tr")] == ["Suzhou"]
    assert _text(filtered.select_one(".chips a.selected")) == "Excluded countries 1"

    # A constraint the run does not have lists them all.
    everything = _soup(client.get(url, {"excluded": "nonsense"}))
    assert len(everything.select(".excluded-table tbody tr")) == 3


def test_the_brief_page_names_what_it_asks_and_which_weights_have_no_effect(helix, brief):
    brief.required_certifications = ["eu-gmp"]
    brief.preferred_regions = ["europe"]
    brief.save()
    page = _soup(_client(helix).get(f"/briefs/{brief.pk}/"))
    facts = {_text(div.dt): _text(div.dd) for div in page.select(".profile-facts > div")}
    assert facts["Required certifications"] == "EU GMP certificate"
    assert facts["Preferred regions"] == "Europe"
    assert facts["Preferred countries"] == "Germany"
    assert facts["Excluded countries"] == "China"
    rows = {_text(row.td): row for row in page.select(".table-compact tbody tr")}
    containment = next(label for label in rows if label.startswith("Containment"))
    assert "no effect" in containment
    geography = next(label for label in rows if label.startswith("Geography"))
    assert geography == "Geography"


def test_a_run_that_admits_no_site_says_so_once_with_what_to_relax(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    brief.required_certifications = ["eu-gmp"]
    brief.must_haves = ["phase", "certifications"]
    brief.save()
    client = _client(helix)
    page = _soup(client.get(_start(client, brief, django_capture_on_commit_callbacks)["Location"]))

    assert "0 eligible, ranked" in _text(page.select_one(".run-stats"))
    assert not page.select(".result")
    assert "No site is eligible for this brief." in _text(page.select_one(".empty"))
    text = _text(page)
    assert text.count("drop the EU GMP certificate must-have") == 1
    assert "Switch to see the same sites" not in text


def test_a_run_stored_without_sentences_past_its_200th_site_still_reads(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client = _client(helix)
    url = _start(client, brief, django_capture_on_commit_callbacks)["Location"]
    run = Run.objects.get()
    # As runs were stored before every site kept its sentences: the numbers only.
    for result in Result.objects.filter(run=run, eligible=True):
        result.breakdown = [
            {key: part[key] for key in ("criterion", "sub_score", "weight")}
            for part in result.breakdown
        ]
        result.save()

    page = _soup(client.get(url))
    assert "stored before every site's sentences were kept" in _text(page.select_one(".breakdown"))
    api = APIClient()
    api.force_authenticate(helix)
    response = api.get(f"/api/runs/{run.pk}/results/")
    assert response.status_code == 200
    assert "sentence" not in response.json()["results"][0]["breakdown"][0]


def test_a_funnel_step_that_removes_no_site_says_none(helix, brief, catalogue):
    run = RunFactory(
        brief=brief,
        status=JobStatus.DONE,
        eligible=5,
        excluded=0,
        sites_scored=5,
        funnel=[
            {
                "constraint": "modality",
                "label": "modality",
                "removed": 0,
                "removed_alone": 0,
                "relaxable": False,
            },
            {
                "constraint": "phase",
                "label": "phase",
                "removed": 0,
                "removed_alone": 2,
                "relaxable": True,
            },
        ],
    )

    steps = [_text(li) for li in _soup(_client(helix).get(f"/runs/{run.pk}/")).select(".funnel li")]

    assert "Modality none" in steps
    assert "Phase none (2)" in steps
    assert not any("\u22120" in step or "(0)" in step for step in steps)
