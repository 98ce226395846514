"""Every template's comments stay comments: Django's {# #} ends at the end of its line, so one
that runs over two lines is printed on the page as text."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import MembershipFactory

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.name))
def test_no_comment_runs_over_two_lines(template):
    unclosed = [
        number
        for number, line in enumerate(template.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]

    assert not unclosed, f"{template}: a {{# comment opened on line(s) {unclosed} is not closed"


@pytest.mark.django_db
def test_the_brief_form_shows_no_template_comment(client):
    membership = MembershipFactory()
    client.force_login(membership.user)

    html = client.get("/briefs/new/").content.decode()

    assert "{#" not in html
    assert "#}" not in html
