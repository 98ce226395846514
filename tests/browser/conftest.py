"""Browser tests drive the system Chromium through Playwright against the live test server.

They run whenever /usr/bin/chromium exists (CI installs it) and are skipped, with the reason
shown, when it does not.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def _serve_one_request_at_a_time_on_in_memory_sqlite() -> None:
    """On SQLite the test database lives in memory, and the live server's threads all share the
    test's one connection to it: two requests at once (htmx loads several fragments together)
    can then fail with "database table is locked" when one writes while the other still reads.
    A server that answers one request at a time, as each of those connections would anyway,
    avoids it. PostgreSQL (CI) keeps the threaded server."""
    from django.conf import settings
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATimeServer(WSGIServer):
        # The live server thread has already put the test's connection in place for its own
        # thread (LiveServerThread.run), which is the one that answers every request here.
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"] and not database.get("TEST", {}).get("NAME"):
        LiveServerThread.server_class = OneAtATimeServer


_serve_one_request_at_a_time_on_in_memory_sqlite()

# Playwright's sync API keeps an event loop in the test thread for the rest of the session,
# which Django takes for async code; the ORM calls of tests and fixtures are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed: browser tests need Chromium")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# axe-core, vendored from its npm package (MPL-2.0, licence beside it): the accessibility check
# every page of the app passes with no serious or critical violation.
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """The page's serious and critical accessibility violations, as readable lines (empty when
    there are none): the rule, its impact, how many elements and the first of them."""
    # Evaluated through the browser's debugging protocol, which the page's Content-Security-Policy
    # does not govern (a <script> element added to the page would be refused as inline).
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} elements, e.g. "
        f"{' '.join(violation['nodes'][0]['target'])}): {violation['help']}"
        for violation in violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def sign_in(page, base: str, username: str) -> None:
    """Signs in through the sign-in page as a factory user (tests/factories.PASSWORD)."""
    from tests.factories import PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def look_and_check(page, shots: Path, name: str) -> None:
    """Saves a full-page screenshot of the page as `shots/name.png` (to look at) and asserts
    that it passes axe-core with no serious or critical violation."""
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name


@pytest.fixture(autouse=True)
def _vocabulary(request):
    """The vocabulary the migrations install (mAb, phases, DEA schedules…), installed again for
    each browser test: they run on a live server in committed transactions, and the database is
    flushed after each, taking the migrations' rows with it."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from partners.models import DeaSchedule, Phase, Term
    from partners.vocabulary import install_vocabulary

    install_vocabulary(Term, Phase, DeaSchedule)
