"""/healthz says the process answers; /healthz/ready tells a monitor which part of the
deployment is down, with the details for staff and token bearers only."""

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone

from config import health
from config.celery import app
from core.choices import JobStatus
from matching import runs
from matching.models import Run
from partners.models import RegulatorImport
from tests.factories import RunFactory
from tests.test_settings import STRONG_KEY, _manage

pytestmark = pytest.mark.django_db

TOKEN = "a-monitoring-token-of-some-length-0123456789"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


def test_liveness_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_liveness_answers_ok_with_the_broker_down(client, unreachable_broker):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_answers_200_with_every_part_for_a_token_bearer(client):
    response = client.get("/healthz/ready", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert set(body["checks"]) == {"database", "broker", "workers", "queue"}
    assert all(check["ok"] for check in body["checks"].values())


def test_ready_shows_an_anonymous_caller_the_status_alone(client):
    response = client.get("/healthz/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "down": []}


def test_ready_details_for_staff(client, django_user_model):
    staff = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client.force_login(staff)

    assert "checks" in client.get("/healthz/ready").json()


def test_ready_no_details_for_a_signed_in_sponsor(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sam", password="pw"))

    assert "checks" not in client.get("/healthz/ready").json()


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-Healthz-Token": "wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"X-Healthz-Token": TOKEN[:-1]},
    ],
)
def test_ready_no_details_for_a_wrong_token(client, headers):
    assert "checks" not in client.get("/healthz/ready", headers=headers).json()


def test_ready_no_details_when_no_token_is_configured(client, settings):
    settings.HEALTHZ_TOKEN = ""

    response = client.get("/healthz/ready", headers={"Authorization": "Bearer "})

    assert "checks" not in response.json()


def test_ready_token_in_its_own_header(client):
    assert "checks" in client.get("/healthz/ready", headers={"X-Healthz-Token": TOKEN}).json()


@pytest.fixture
def unreachable_broker():
    previous = app.conf.broker_url
    app.conf.task_always_eager = False  # conftest restores it
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = previous


@pytest.mark.usefixtures("unreachable_broker")
def test_unreachable_broker_answers_503_naming_it_and_no_host_to_anonymous(client):
    response = client.get("/healthz/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "down": ["broker", "workers"]}
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.usefixtures("unreachable_broker")
def test_unreachable_broker_detail_for_a_token_bearer(client):
    response = client.get("/healthz/ready", headers={"X-Healthz-Token": TOKEN})

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert "refused" in checks["broker"]["detail"].lower()
    assert checks["workers"]["ok"] is False


def test_no_live_worker_answers_503(client, monkeypatch):
    from config import health

    # A reachable broker that no worker listens to.
    monkeypatch.setattr(health, "broker", lambda: health.Check(True, "reachable"))
    app.conf.task_always_eager = False  # conftest restores it
    monkeypatch.setattr(app.control, "ping", lambda **kwargs: [])
    monkeypatch.setattr(app, "connection_for_write", _FakeConnection)

    response = client.get("/healthz/ready")

    assert response.status_code == 503
    assert response.json()["down"] == ["workers"]


class _FakeConnection:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def ensure_connection(self, **kwargs):
        return self


def test_unreachable_database_answers_503_naming_it_without_its_text(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 10.1.2.3 port 5432 failed: refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz/ready")

    assert response.status_code == 503
    assert "database" in response.json()["down"]
    assert "10.1.2.3" not in response.content.decode()
    assert "5432" not in response.content.decode()


def test_a_job_queued_too_long_answers_503_with_its_age(client, settings):
    settings.HEALTHZ_MAX_QUEUE_AGE_SECONDS = 600
    run = RunFactory()
    long_ago = timezone.now() - datetime.timedelta(minutes=15)
    Run.objects.filter(pk=run.pk).update(
        status=JobStatus.QUEUED, created_at=long_ago, queued_at=long_ago
    )
    # The sweep sends it again, which must not make it look new.
    assert runs.requeue_stale_runs() == [run.pk]

    response = client.get("/healthz/ready", headers={"X-Healthz-Token": TOKEN})

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["queue"]
    assert 899 <= body["checks"]["queue"]["oldest_queued_seconds"] <= 905


def test_a_queued_import_counts_in_the_queue_age(client):
    upload = RegulatorImport.objects.create(
        file_name="big.csv",
        content=b"x",
        size=1,
        queued_at=timezone.now() - datetime.timedelta(seconds=30),
    )
    RegulatorImport.objects.filter(pk=upload.pk).update(created_at=upload.queued_at)

    response = client.get("/healthz/ready", headers={"X-Healthz-Token": TOKEN})

    assert response.status_code == 200
    queue = response.json()["checks"]["queue"]
    assert 29 <= queue["oldest_regulator_import_seconds"] <= 35


def test_both_endpoints_answer_over_plain_http_in_production():
    # Monitors inside the deployment call them over plain HTTP: no redirect to HTTPS, while
    # every other page is redirected. Production settings, in a process of their own.
    code = (
        "from django.test import Client; client = Client(); "
        "print(*(client.get(path, HTTP_HOST='cdmo.example.com').status_code "
        "for path in ('/healthz', '/healthz/ready', '/')))"
    )
    result = _manage(
        "shell", "-c", code, DEBUG="false", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="cdmo.example.com"
    )

    assert result.returncode == 0, result.stderr
    live, ready, page = result.stdout.strip().splitlines()[-1].split()
    assert live == "200"
    assert ready in {"200", "503"}  # whatever the parts say, an answer and not a redirect
    assert page == "301"


def test_load_balancers_may_probe_with_head(client):
    assert client.head("/healthz").status_code == 200


def test_anonymous_readiness_answers_are_shared_for_a_few_seconds(client, monkeypatch):
    calls = []
    real = health.readiness

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(health, "readiness", counted)

    first = client.get("/healthz/ready")
    second = client.get("/healthz/ready")
    with_token = client.get("/healthz/ready", headers={"X-Healthz-Token": TOKEN})

    assert first.json() == second.json()
    assert "checks" in with_token.json()
    assert len(calls) == 2  # the anonymous pair once, the monitor with its token afresh
