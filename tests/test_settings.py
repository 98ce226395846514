"""Production settings: the app refuses to start unsafely, and `check --deploy` is clean once mail
is configured (without an SMTP host it warns that invitation links would land in the logs)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "q7Jw0-Kp3vN8xZr2Lm5Tb9Yc4Hd6Fg1Sa0Qe7Wu3Io8Pl2Kj5Mn9Bv4Cx6Zt1Rs0Dq"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' own, never a deployment's.
    unset = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="cdmo.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", DEBUG="false", SECRET_KEY=STRONG_KEY)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_a_malformed_boolean_is_named():
    result = _manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    return _manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="cdmo.example.com",
        **env,
    )


def test_deploy_check_reports_nothing_in_production_mode():
    result = _deploy_check(EMAIL_HOST="smtp.example.com")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_check_warns_that_invitations_cannot_be_mailed_without_an_smtp_host():
    result = _deploy_check(EMAIL_HOST="")

    assert result.returncode != 0
    assert "(cdmo.W001) Invitations cannot be mailed" in result.stderr
    assert "Set EMAIL_HOST" in result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("", "django.db.backends.sqlite3"),
        ("postgres://app:pw@db.example.com:5432/cdmo", "django.db.backends.postgresql"),
    ],
)
def test_database_comes_from_database_url(url, engine):
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = _manage("shell", "-c", code, DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == engine


def test_tasks_run_in_process_without_redis_and_through_redis_with_it():
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL)"
    )
    eager = _manage("shell", "-c", code, REDIS_URL="")
    brokered = _manage("shell", "-c", code, REDIS_URL="redis://cache.example.com:6379/0")

    assert eager.stdout.strip().splitlines()[-1] == "True memory://"
    assert brokered.stdout.strip().splitlines()[-1] == "False redis://cache.example.com:6379/0"


def test_attachments_go_to_an_s3_compatible_bucket_when_one_is_named():
    probe = (
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl, s.file_overwrite)"
    )
    result = _manage(
        "shell",
        "--verbosity=0",
        "-c",
        probe,
        FILE_STORAGE_BUCKET="cdmo-files",
        FILE_STORAGE_ENDPOINT_URL="https://s3.eu-central-1.example.com",
        FILE_STORAGE_ACCESS_KEY="key",
        FILE_STORAGE_SECRET_KEY="secret",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "cdmo-files",
        "https://s3.eu-central-1.example.com",
        "private",
        "False",
    ]


def test_attachments_stay_in_a_local_folder_without_a_bucket():
    probe = (
        "from django.core.files.storage import storages;print(type(storages['default']).__name__)"
    )
    result = _manage("shell", "--verbosity=0", "-c", probe, FILE_STORAGE_BUCKET="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FileSystemStorage"]
