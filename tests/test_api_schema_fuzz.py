"""The API answers what its OpenAPI schema says, for any input: schemathesis generates requests
from /api/schema/ (ones the schema admits and ones it forbids) for every operation and runs
every check on each answer: no server error, a documented status, content type and headers, a
body matching the documented schema, schema-valid data accepted, invalid data refused, and
authentication enforced where the schema declares it.

In-process through the WSGI application, signed in as a member of an organisation with a brief,
a run and a shortlist, by the Django session cookie (and its CSRF token for changes). Bounded
and derandomized: the same requests every run.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from partners.choices import TermKind
from partners.models import Term
from tests.factories import BriefFactory, MembershipFactory, RunFactory, ShortlistFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# No field accepts a NUL character: refusing one is tests/test_hostile_input.py's.
schema.config.generation.update(allow_x00=False)

# Operations whose valid input the schema cannot state whole: a brief's rules across its fields
# (a must-have needs the field it tests; a country both preferred and excluded), and a term
# slug that must be in the vocabulary. Their refusals are still checked as documented 400s
# naming the field; only "whatever the schema admits is accepted" is not asked of them.
RULES_ACROSS_FIELDS = {
    ("POST", "/api/briefs/"),
    ("PUT", "/api/briefs/{id}/"),
    ("PATCH", "/api/briefs/{id}/"),
}
# The filters whose values are term slugs (the vocabulary table, partners/api/schema.py).
VOCABULARY_FILTERS = {
    "modality": TermKind.MODALITY,
    "dosage_form": TermKind.DOSAGE_FORM,
    "service": TermKind.SERVICE,
    "technology": TermKind.TECHNOLOGY,
}

_session: dict[str, str] = {}
# A slug of each vocabulary filter's terms, read when a test starts.
_vocabulary: dict[str, str] = {}


@schemathesis.auth(refresh_interval=None)
class DjangoSession:
    """The signed-in member's session cookie, and the CSRF token a change needs."""

    def get(self, case, context):
        return dict(_session) or None

    def set(self, case, data, context):
        if data:
            case.cookies = {**(case.cookies or {}), **data}
            case.headers = {**(case.headers or {}), "X-CSRFToken": data["csrftoken"]}


def _with_data(case):
    """Schema-valid requests the data decide on: a term slug from the vocabulary (rather than
    any string), a page that exists (a page past the last one is a 400 saying so)."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return case
    query = case.query or {}
    for name in VOCABULARY_FILTERS:
        if name in query and name in _vocabulary:
            query[name] = [_vocabulary[name]]
    if "page" in query:
        query["page"] = 1
    return case


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """As Django's test client does: requests keep the test's connection and its transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _signed_in_member(client):
    membership = MembershipFactory()
    brief = BriefFactory(organisation=membership.organisation, created_by=membership.user)
    RunFactory(brief=brief)
    ShortlistFactory(brief=brief)
    client.force_login(membership.user)
    # DRF's SessionAuthentication wants the CSRF cookie and its header for a change.
    _session.update(sessionid=client.cookies["sessionid"].value, csrftoken=get_random_string(32))
    _vocabulary.update(
        {
            name: Term.objects.filter(kind=kind).values_list("slug", flat=True).first()
            for name, kind in VOCABULARY_FILTERS.items()
        }
    )
    yield
    _session.clear()
    _vocabulary.clear()


# About a minute of CPU for the 64 operations (three to four minutes on a busy two-core machine).
@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case):
    _with_data(case)
    excluded = []
    if (case.method.upper(), case.path) in RULES_ACROSS_FIELDS:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


def test_every_operation_documents_the_errors_any_operation_may_answer(client):
    document = client.get("/api/schema/", {"format": "json"}).json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404", "429"} <= documented, (method, path)
            if "requestBody" in operation:
                assert "415" in documented, (method, path)
    assert document["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_a_body_read_as_json_is_documented_as_json_only(client):
    document = client.get("/api/schema/", {"format": "json"}).json()

    brief = document["paths"]["/api/briefs/"]["post"]["requestBody"]["content"]
    upload = document["paths"]["/api/candidates/{id}/attachments/"]["post"]["requestBody"]
    assert list(brief) == ["application/json"]
    assert "multipart/form-data" in upload["content"]
