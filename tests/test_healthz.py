"""/healthz tells a load balancer or an operator which part of the deployment is down."""

import pytest
from django.db import OperationalError

from config.celery import app

pytestmark = pytest.mark.django_db


def test_healthy_app_answers_200_with_each_part(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.fixture
def unreachable_broker():
    previous = app.conf.broker_url
    app.conf.task_always_eager = False  # conftest restores it
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = previous


@pytest.mark.usefixtures("unreachable_broker")
def test_unreachable_broker_answers_503_naming_it(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "refused" in body["checks"]["broker"]["detail"].lower()


def test_unreachable_database_answers_503_naming_it(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert "Connection refused" in response.json()["checks"]["database"]["detail"]
