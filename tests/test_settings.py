"""Production settings: the app refuses to start unsafely, and `check --deploy` is clean with the
settings .env.example documents (without an SMTP host it warns that invitation links would land
in the logs; in the documented plain-HTTP mode it warns about exactly what that mode turns off).
X-Forwarded-Proto is trusted only when told, the browsable API is off, and server errors are
mailed to ADMINS."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

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
    """`check --deploy` with production settings: the cache in a Redis database of its own, as
    .env.example has it (whatever REDIS_URL the environment running the tests gives)."""
    return _manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        **{
            "DEBUG": "false",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "cdmo.example.com",
            "CACHE_URL": "redis://127.0.0.1:6379/1",
            **env,
        },
    )


def test_deploy_check_reports_a_cache_in_the_brokers_database():
    result = _deploy_check(
        EMAIL_HOST="smtp.example.com", REDIS_URL="redis://127.0.0.1:6379/0", CACHE_URL=""
    )

    assert result.returncode != 0
    assert "(cdmo.W003) The cache uses the broker's Redis database" in result.stderr


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


def _documented_environment() -> dict[str, str]:
    """The production settings .env.example documents, with a generated SECRET_KEY in place of
    its placeholder (as it says to do)."""
    documented = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            documented[name] = value
    return {**documented, "SECRET_KEY": STRONG_KEY}


def _probe(code: str, **env: str) -> str:
    """What `code` prints with these settings (production mode unless told otherwise)."""
    production = {"DEBUG": "false", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "cdmo.example.com"}
    result = _manage("shell", "--verbosity=0", "-c", code, **{**production, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_deploy_check_reports_nothing_with_the_documented_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", **_documented_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_on_local_plain_http_warn_only_about_what_they_turn_off():
    local_http = {
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_COOKIES": "false",
    }

    result = _manage("check", "--deploy", **{**_documented_environment(), **local_http})
    cookies = _probe(
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)",
        **local_http,
    )

    assert result.returncode == 0, result.stderr
    warned = {line.split(")")[0] + ")" for line in result.stderr.split("?: ")[1:]}
    assert warned == {
        "(security.W004)",  # no HSTS
        "(security.W008)",  # no redirect to HTTPS
        "(security.W012)",  # session cookie sent over HTTP
        "(security.W016)",  # CSRF cookie sent over HTTP
    }
    assert cookies == "False False False"


def test_production_settings_keep_cookies_secure_unless_told():
    code = (
        "from django.conf import settings as s;print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )

    assert _probe(code) == "True True"


def test_x_forwarded_proto_is_trusted_only_when_set():
    code = (
        "from django.conf import settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )

    assert _probe(code) == "None"
    assert _probe(code, TRUST_X_FORWARDED_PROTO="false") == "None"
    assert _probe(code, TRUST_X_FORWARDED_PROTO="true") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_the_browsable_api_is_off_in_production_and_on_with_debug():
    code = (
        "from rest_framework.settings import api_settings as s;"
        "print(*(renderer.__name__ for renderer in s.DEFAULT_RENDERER_CLASSES))"
    )

    assert _probe(code) == "JSONRenderer"
    assert _probe(code, DEBUG="true") == "JSONRenderer DeveloperBrowsableAPIRenderer"


def test_admins_and_the_sender_of_error_mails_come_from_the_environment():
    code = "from django.conf import settings as s; print(s.ADMINS, s.SERVER_EMAIL)"

    probed = _probe(
        code,
        ADMINS="Ops Team <ops@example.com>, jane@example.com",
        SERVER_EMAIL="errors@cdmo.example.com",
    )

    assert probed == (
        "[('Ops Team', 'ops@example.com'), ('jane@example.com', 'jane@example.com')] "
        "errors@cdmo.example.com"
    )
    assert _probe(code, DEFAULT_FROM_EMAIL="CDMO Match <no-reply@cdmo.example.com>") == (
        "[] CDMO Match <no-reply@cdmo.example.com>"
    )


def test_a_server_error_is_mailed_to_the_admins(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.DEBUG = False

    logging.getLogger("django.request").error("Internal Server Error: /briefs/")

    assert [message.to for message in mail.outbox] == [["ops@example.com"]]
    assert "Internal Server Error: /briefs/" in mail.outbox[0].subject


def test_a_stale_threshold_under_the_runs_time_limit_is_reported(settings):
    from django.core.checks import run_checks

    from matching import runs

    settings.MATCHING_RUN_STALE_SECONDS = runs.TIME_LIMIT - 1
    warned = [message.id for message in run_checks(include_deployment_checks=True)]
    settings.MATCHING_RUN_STALE_SECONDS = runs.TIME_LIMIT + 60
    quiet = [message.id for message in run_checks(include_deployment_checks=True)]

    assert "cdmo.W002" in warned
    assert "cdmo.W002" not in quiet


def test_a_cache_sharing_the_brokers_database_is_reported(settings):
    from django.core.checks import run_checks

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    warned = [message.id for message in run_checks(include_deployment_checks=True)]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    quiet = [message.id for message in run_checks(include_deployment_checks=True)]

    assert "cdmo.W003" in warned
    assert "cdmo.W003" not in quiet
