"""Jobs a dead worker or a broker outage left behind, as their owners see them: a run stuck
running offers a retry that finishes it; an FDA upload made while the queue is down says it
will start by itself. Both pages pass the accessibility check."""

import datetime
import os
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError
from playwright.sync_api import Page, expect

from core.choices import JobStatus
from matching import runs
from matching.index import clear_catalogue_index
from matching.models import Run
from partners.importers.fda import uploads
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory
from tests.matching.conftest import mab_site, phase2_mab_brief
from tests.partners.test_regulator_upload import _compliance_actions_csv

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/shots/ops"))


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


@pytest.fixture
def stalled_run(transactional_db):
    clear_catalogue_index()
    helen = MembershipFactory(user__username="helen", organisation__name="Helix")
    mab_site("Berlin", "DE", "phase2")
    brief = phase2_mab_brief(helen.organisation, created_by=helen.user)
    quiet = timezone.now() - runs.stale_after() - datetime.timedelta(minutes=1)
    run = Run.objects.create(
        brief=brief,
        organisation=helen.organisation,
        status=JobStatus.RUNNING,
        progress=30,
        attempts=1,
        started_at=quiet,
        heartbeat_at=quiet,
    )
    yield run
    clear_catalogue_index()


def test_the_owner_retries_a_run_that_stopped_responding(live_server, page: Page, stalled_run):
    base = live_server.url
    _sign_in(page, base, "helen")
    page.goto(f"{base}/runs/{stalled_run.pk}/")

    alert = page.get_by_role("alert").filter(has_text="The run stopped responding")
    expect(alert).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "run-stalled")

    alert.get_by_role("button", name="Retry the run").click()

    expect(page.get_by_text("it is queued again")).to_be_visible()
    # Tasks run in-process here: the run is done by the time its page shows.
    stalled_run.refresh_from_db()
    assert stalled_run.status == JobStatus.DONE
    _shot(page, "run-stalled-retried")


def test_an_upload_while_the_queue_is_down_says_it_will_start(
    live_server, page: Page, transactional_db, django_user_model, tmp_path
):
    django_user_model.objects.create_superuser("cora", password=PASSWORD)
    file = tmp_path / "compliance_actions.csv"
    file.write_bytes(_compliance_actions_csv())
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    with (
        mock.patch.object(uploads, "BIG_FILE_ROWS", 2),
        mock.patch(
            "partners.tasks.run_regulator_import.apply_async",
            side_effect=OperationalError("Connection refused"),
        ),
    ):
        page.goto(f"{base}/admin/partners/regulatorimport/add/")
        page.locator("input[type=file]").set_input_files(str(file))
        page.locator("input[type=submit]").first.click()
        page.wait_for_url("**/change/")

    expect(page.locator(".messagelist")).to_contain_text("will start by itself")
    expect(page.locator("#import-progress")).to_contain_text("once the queue is back")
    assert axe_violations(page) == []
    _shot(page, "import-waiting-for-the-queue")
