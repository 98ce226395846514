"""The app's own error pages, as production serves them (DEBUG off): 404 and 403 in the app's
layout, a CSRF failure that says the page expired, a 500 page drawn without the database, and
htmx requests that meet an ended session or a CSRF failure answered with a status the page's
script understands instead of a whole page."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.template import loader
from django.test import Client
from django.urls import include, path, reverse

from tests.factories import BriefFactory, MembershipFactory


def _boom(request):
    raise RuntimeError("the database went away")


# This module is the URLconf of the 500 tests: the app's URLs and one view that fails.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _in_app_layout(soup: BeautifulSoup) -> bool:
    return bool(soup.select_one(".topbar .brand") and soup.select_one("a.skip-link[href='#main']"))


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_an_unknown_address_shows_the_apps_not_found_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    soup = _soup(response)
    assert _in_app_layout(soup)
    assert soup.title.string == "Page not found — CDMO Match"
    assert soup.select_one("main a.button")["href"] == reverse("partners:directory")


@pytest.mark.django_db
def test_another_organisations_brief_is_not_found_in_the_apps_words(client, settings):
    brief = BriefFactory()
    client.force_login(MembershipFactory().user)

    response = client.get(reverse("matching:brief", args=[brief.pk]))

    assert response.status_code == 404
    soup = _soup(response)
    assert _in_app_layout(soup)
    assert "There is no page at this address." in soup.get_text()
    # Django's page for developers (DEBUG on, as the demo runs) says the same, not Django's
    # "No Brief matches the given query."
    settings.DEBUG = True
    debug = client.get(reverse("matching:brief", args=[brief.pk]))
    assert debug.status_code == 404
    assert "There is no page at this address." in debug.content.decode()
    assert "matches the given query" not in debug.content.decode()


@pytest.mark.django_db
def test_a_refused_change_shows_the_apps_not_allowed_page_with_the_reason(client):
    viewer = MembershipFactory(role="viewer")
    brief = BriefFactory(organisation=viewer.organisation)
    client.force_login(viewer.user)

    response = client.get(reverse("matching:brief-edit", args=[brief.pk]))

    assert response.status_code == 403
    soup = _soup(response)
    assert _in_app_layout(soup)
    assert soup.title.string == "Not allowed — CDMO Match"
    assert "Not allowed" in soup.h1.get_text()


@pytest.mark.django_db
def test_a_form_refused_by_the_csrf_check_says_the_page_expired_in_the_apps_layout():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "helen", "password": "pw"})

    assert response.status_code == 403
    soup = _soup(response)
    assert _in_app_layout(soup)
    assert soup.title.string == "Page expired — CDMO Match"
    assert soup.h1.get_text() == "This page expired"
    assert "CSRF" not in soup.get_text()


@pytest.mark.django_db
def test_an_htmx_request_refused_by_the_csrf_check_gets_a_marked_403_not_a_page():
    member = MembershipFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)

    response = client.post(reverse("matching:brief-preview"), {}, headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["X-CSRF-Failure"] == "true"
    assert "<html" not in response.content.decode()


@pytest.mark.django_db
def test_an_htmx_request_after_the_session_ended_gets_a_401_with_the_sign_in_link(client):
    response = client.post(
        reverse("matching:brief-preview"),
        {"title": "Draft"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/briefs/7/edit/"},
    )

    assert response.status_code == 401
    assert response["X-Login-URL"] == "/accounts/login/?next=/briefs/7/edit/"
    assert "<form" not in response.content.decode()


@pytest.mark.django_db
def test_a_page_opened_after_the_session_ended_still_goes_to_sign_in(client):
    response = client.get(reverse("matching:brief-create"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/briefs/new/"


@pytest.mark.django_db
def test_a_server_error_shows_the_apps_page(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    soup = _soup(response)
    assert soup.title.string == "Something went wrong — CDMO Match"
    assert soup.select_one(".topbar .brand")
    assert soup.select_one("link[rel=stylesheet]")["href"].endswith("css/app.css")


def test_the_server_error_page_is_drawn_without_the_database_or_a_request():
    def refuse(*args, **kwargs):
        raise AssertionError("the 500 page queried the database")

    with connection.execute_wrapper(refuse):
        page = loader.get_template("500.html").render()

    assert "Something went wrong" in page


def test_the_browsers_favicon_request_finds_the_apps_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].startswith("/static/favicon")
    assert response["Location"].endswith(".svg")
