"""Settings for CDMO Match, read from the environment.

With nothing set, the app runs locally: SQLite, Celery tasks executed in-process, DEBUG on.
Production is DEBUG=false, which requires SECRET_KEY and ALLOWED_HOSTS and turns on the
HTTPS hardening that `manage.py check --deploy` asks for. `.env.example` lists every variable.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app refuses to start without one; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Local development only: never used once DEBUG is off.
    SECRET_KEY = "django-insecure-local-development-key-not-for-production-use-0123456789"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. With DEBUG off, list the host names the app serves, "
        "comma-separated (ALLOWED_HOSTS=cdmo.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc served from our static files, not fetched from a CDN.
    "drf_spectacular_sidecar",
    "simple_history",
    "core",
    "partners",
    "matching",
    "sourcing",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL character in the address: a 400 saying so, before anything reads it.
    "core.middleware.RefuseNulMiddleware",
    # An error under /api/ is JSON whoever answers it (an unknown address, a body too large).
    "core.middleware.ApiErrorsAsJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An htmx request whose session ended gets a 401, not the sign-in page drawn in a panel.
    "core.middleware.HtmxSignedOutMiddleware",
    # Records the signed-in user on every history entry a request creates.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A view's 404 from get_object_or_404 says what the app's 404 page says.
    "core.middleware.NotFoundMessageMiddleware",
]

ROOT_URLCONF = "config.urls"
# A form refused by the CSRF check: the app's "This page expired" page, or a 403 htmx understands.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.job_status",
            ],
        },
    },
]

# Database: PostgreSQL (psycopg 3) from DATABASE_URL, SQLite when it is unset.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            "OPTIONS": {"timeout": 20},
            # A real Celery worker in the test suite needs a test database it can open too.
            "TEST": {"NAME": BASE_DIR / "test_db.sqlite3"} if env_str("REDIS_URL") else {},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (a candidate's attachments): a local folder by default; an S3-compatible store
# (AWS S3, MinIO, Cloudflare R2…) through django-storages when a bucket is named, so that every
# web process reads the same files. They are never served from MEDIA_URL: a view checks the
# reader's organisation and streams them (sourcing/views).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/media/"
FILE_STORAGE_BUCKET = env_str("FILE_STORAGE_BUCKET")
DEFAULT_FILE_STORAGE_BACKEND: dict[str, object] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FILE_STORAGE_BUCKET,
            "endpoint_url": env_str("FILE_STORAGE_ENDPOINT_URL") or None,
            "region_name": env_str("FILE_STORAGE_REGION") or None,
            "access_key": env_str("FILE_STORAGE_ACCESS_KEY") or None,
            "secret_key": env_str("FILE_STORAGE_SECRET_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if FILE_STORAGE_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
# The largest attachment accepted, in bytes.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
STORAGES = {
    "default": DEFAULT_FILE_STORAGE_BACKEND,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Mail (organisation invitations): printed to the console unless an SMTP host is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CDMO Match <no-reply@cdmo-match.local>")
# How long an invitation link works, in hours.
INVITATION_VALID_HOURS = env_int("INVITATION_VALID_HOURS", 7 * 24)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Celery: Redis is the broker when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # outcomes are written to the database, not a result backend
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long Redis keeps a task that a worker took but did not acknowledge (it died) before
# handing it to another worker. The run-worker test sets it to seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 300)
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "cdmo-match")
CELERY_BEAT_SCHEDULE = {
    "link-regulatory-records-nightly": {
        "task": "partners.tasks.link_regulatory_records",
        "schedule": 24 * 60 * 60,
    },
    # The score decays with time, so it changes overnight even when no record does.
    "recompute-compliance-nightly": {
        "task": "partners.tasks.recompute_compliance",
        "schedule": crontab(hour=3, minute=0),
    },
    # Match runs never picked up (broker down when started) are sent again; runs whose worker
    # went quiet are restarted, or failed once out of attempts (matching/runs.py).
    "requeue-stale-match-runs": {"task": "matching.tasks.requeue_stale_runs", "schedule": 60},
    "recover-stuck-match-runs": {"task": "matching.tasks.recover_stuck_runs", "schedule": 60},
}
# A RUNNING match run whose heartbeat is older than this belongs to a dead worker (default: past
# the run task's hard time limit, so a live worker can never be mistaken for a dead one).
MATCHING_RUN_STALE_SECONDS = env_int("MATCHING_RUN_STALE_SECONDS", 4 * 60)
# Tests only: seconds a run sleeps after each progress step, so a test can kill its worker
# mid-run. Always 0 outside tests/matching/test_run_worker.py.
MATCHING_RUN_TEST_STEP_DELAY = env_int("MATCHING_RUN_TEST_STEP_DELAY", 0)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # A 404 from get_object_or_404 in the app's words, not "No Brief matches the given query.".
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # DRF's parsers, but a NUL character, a too deep or too large JSON body is a 400 (or 413).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CDMO Match API",
    "DESCRIPTION": "The catalogue of contract manufacturers and the matching engine, as JSON.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema documents the API, not the endpoint that serves the schema.
    "SERVE_INCLUDE_SCHEMA": False,
    # A text field that refuses a blank says so (`minLength: 1`) in the requests it documents.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Every operation documents the errors any operation may answer (400, 401, 403, 404, 429).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_error_responses",
    ],
    # Three vocabularies share the field name `kind`: name each enum after its choices.
    "ENUM_NAME_OVERRIDES": {
        "ProviderKindEnum": "partners.choices.ProviderKind",
        "TermKindEnum": "partners.choices.TermKind",
        "CertificationKindEnum": "partners.choices.CertificationKind",
        "CertificationStatusEnum": "partners.choices.CertificationStatus",
        "RunStatusEnum": "core.choices.JobStatus",
        "AttachmentKindEnum": "sourcing.choices.AttachmentKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Production hardening: on whenever DEBUG is off (what `check --deploy` asks for).
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Health checks come from inside the deployment over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Only behind a proxy that sets X-Forwarded-Proto itself; otherwise clients could forge it.
    if env_bool("TRUST_X_FORWARDED_PROTO", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    X_FRAME_OPTIONS = "DENY"
