"""Settings for CDMO Match, read from the environment.

With nothing set, the app runs locally: SQLite, Celery tasks executed in-process, DEBUG on.
Production is DEBUG=false, which requires SECRET_KEY and ALLOWED_HOSTS and turns on the
HTTPS hardening that `manage.py check --deploy` asks for. `.env.example` lists every variable.
"""

from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
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
    # Sign-in throttling and lockout (accounts/lockout.py); hashed API tokens (accounts/tokens.py).
    "axes",
    "knox",
    "core",
    "partners",
    "matching",
    "sourcing",
    "accounts",
    # Two-factor sign-in: authenticator apps (TOTP) and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer (settings below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # A NUL character in the address: a 400 saying so, before anything reads it.
    "core.middleware.RefuseNulMiddleware",
    # An error under /api/ is JSON whoever answers it (an unknown address, a body too large).
    "core.middleware.ApiErrorsAsJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the user verified once a second factor was given in this session (user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out a session idle too long, or older than SESSION_COOKIE_AGE, saying so.
    "accounts.sessions.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Whatever a signed-in user is shown: `Cache-Control: private, no-store`.
    "core.headers.PrivateNoStoreMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An htmx request whose session ended gets a 401, not the sign-in page drawn in a panel.
    "core.middleware.HtmxSignedOutMiddleware",
    # Sends a signed-in user who owes a second factor to verify (or to set one up) first.
    "accounts.two_factor.TwoFactorRequiredMiddleware",
    # Records the signed-in user on every history entry a request creates.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A view's 404 from get_object_or_404 says what the app's 404 page says.
    "core.middleware.NotFoundMessageMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the app's "locked" answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A form refused by the CSRF check: the app's "This page expired" page, or a 403 htmx understands.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

# Django's templates, the plain inputs written out directly (core/forms.py).
FORM_RENDERER = "core.forms.Renderer"

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
                "sourcing.notifications.context_processors.unread_notifications",
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
            "TEST": (
                {"NAME": BASE_DIR / "test_db.sqlite3"}
                if env_str("REDIS_URL") or env_str("CI") == "true"
                else {}
            ),
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

# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Two-factor sign-in (accounts/two_factor.py): curators (staff) and organisation admins must
# set up an authenticator app and give its code at each sign-in when this is on. On by default
# in production, off in the demo (DEBUG), where anyone may still turn it on for themselves.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", default=not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "CDMO Match"
# Curators can remove a user's devices in the admin, but never read their secret keys.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions (accounts/sessions.py): signed out after SESSION_IDLE_TIMEOUT seconds without a
# request (default one hour), and at the latest SESSION_COOKIE_AGE seconds after signing in
# (default twelve hours), however active.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)

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
# How often beat runs the job sweeps, in seconds (the acceptance tests set seconds).
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 60)
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
    "requeue-stale-match-runs": {
        "task": "matching.tasks.requeue_stale_runs",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "recover-stuck-match-runs": {
        "task": "matching.tasks.recover_stuck_runs",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # The same for regulator files uploaded in the admin (partners/importers/fda/uploads.py).
    "sweep-regulator-imports": {
        "task": "partners.tasks.sweep_regulator_imports",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # Old match runs and their results go, but for those still referred to (matching/retention.py).
    "delete-expired-match-runs-nightly": {
        "task": "matching.tasks.delete_expired_runs",
        "schedule": crontab(hour=3, minute=30),
    },
    # Watched sites' new regulator events, in case the sweep sent after an import was lost
    # (sourcing/watching/detection.py); a sweep with nothing new costs one query.
    "sweep-watched-sites": {
        "task": "sourcing.tasks.sweep_watched_sites",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # Certificates entering their last 90 days, or expiring, with no edit at all.
    "scan-certificates-daily": {
        "task": "sourcing.tasks.scan_certificates",
        "schedule": crontab(hour=4, minute=0),
    },
    # Kept briefs re-run when the catalogue changes, at most once a day each; the job looks
    # every 15 minutes, so a re-run starts at most 15 minutes after a change
    # (sourcing/kept_briefs.py).
    "rerun-kept-briefs": {
        "task": "sourcing.tasks.rerun_kept_briefs",
        "schedule": 15 * 60,
    },
    # Watched saved searches: new sites matching them are told (sourcing/saved_searches.py). A
    # search whose catalogue version and day are unchanged is skipped.
    "check-saved-searches": {
        "task": "sourcing.tasks.check_saved_searches",
        "schedule": 5 * 60,
    },
    # Notifications of users who chose an e-mail at once, sent within a minute.
    "send-notification-emails": {
        "task": "sourcing.tasks.send_notification_emails",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # Daily digests: each user's is due at their own time in their own time zone.
    "send-notification-digests": {
        "task": "sourcing.tasks.send_notification_digests",
        "schedule": 5 * 60,
    },
}
# A match run or regulator import still queued this long after its task reached the broker is
# sent again, in case the broker lost the message (an unsaved Redis restarted empty); one whose
# send failed (the broker was down) is sent again at the next sweep, whatever this says
# (core/jobs.py). Not every sweep: a job waiting behind a busy queue still has its message in
# the broker, and each resend would add a duplicate. Five minutes, well under the visibility
# timeout (35 minutes by default), so a message a worker took and lost is not what brings the
# job back. A job sent twice runs once.
JOB_REQUEUE_SECONDS = env_int("JOB_REQUEUE_SECONDS", 5 * 60)
# A RUNNING match run whose heartbeat is older than this belongs to a dead worker (default: past
# the run task's hard time limit of 3 minutes, so a live worker can never be mistaken for a dead
# one). A run whose worker is killed thus finishes within this plus one sweep interval:
# 4 + 1 = 5 minutes with the defaults.
MATCHING_RUN_STALE_SECONDS = env_int("MATCHING_RUN_STALE_SECONDS", 4 * 60)
# A regulator import still running this long after it started belongs to a dead worker (default:
# past the import task's hard time limit of 25 minutes); the sweep then starts it again.
REGULATOR_IMPORT_STALE_SECONDS = env_int("REGULATOR_IMPORT_STALE_SECONDS", 26 * 60)
# Per organisation: match runs queued or running at once, and runs started per UTC day
# (matching/quotas.py); 0 turns a limit off.
MATCHING_MAX_CONCURRENT_RUNS = env_int("MATCHING_MAX_CONCURRENT_RUNS", 3)
MATCHING_MAX_RUNS_PER_DAY = env_int("MATCHING_MAX_RUNS_PER_DAY", 200)
# Runs older than this many days are deleted with their results, nightly, except those still
# referred to (matching/retention.py says which); 0 keeps every run.
MATCHING_RUN_RETENTION_DAYS = env_int("MATCHING_RUN_RETENTION_DAYS", 180)
# Tests only: seconds a run sleeps after each progress step, so a test can kill its worker
# mid-run. Always 0 outside tests/matching/test_run_worker.py.
MATCHING_RUN_TEST_STEP_DELAY = env_int("MATCHING_RUN_TEST_STEP_DELAY", 0)

# /healthz answers whether the process lives (no database, no broker); /healthz/ready checks
# the database, the broker, live workers and the oldest queued job (config/health.py). Only
# staff, or a request bearing this token (Authorization: Bearer … or X-Healthz-Token), read
# the details; others see which parts are down.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN")
# A job queued longer than this makes /healthz/ready answer 503: no worker takes the jobs.
HEALTHZ_MAX_QUEUE_AGE_SECONDS = env_int("HEALTHZ_MAX_QUEUE_AGE_SECONDS", 10 * 60)

# Shared cache: the API's and password reset's throttle counters (and anything else cached) must
# be the same for every web process. CACHE_URL names a Redis database of the cache's own
# (clearing the cache empties the whole database, so never the broker's); in production
# REDIS_URL serves when it is unset, which `check --deploy` reports (cdmo.W003,
# matching/checks.py).
CACHE_URL = env_str("CACHE_URL") or ("" if DEBUG else REDIS_URL)
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cdmo-cache"),
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sign-in throttling (django-axes, accounts/lockout.py), on every path that checks a password:
# the sign-in page and the admin's. After AXES_FAILURE_LIMIT failures for one username from one
# address, sign-in is locked for that pair for AXES_COOLOFF_MINUTES (by the pair, so that nobody
# can lock another person out from elsewhere, and one person's typing errors do not lock out
# everyone behind the same office address); every further LIMIT failures while
# locked double the wait (back-off), up to AXES_COOLOFF_MAX_HOURS. A curator unlocks sooner in
# the admin (Axes, Access attempts). Attempts are kept in the database, shared by all processes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_MAX_HOURS = env_int("AXES_COOLOFF_MAX_HOURS", 24)
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Usernames and addresses appear in the log of failures (passwords never do).
AXES_SENSITIVE_PARAMETERS: list[str] = []
# The client's address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT says how many reverse proxies
# in front append to X-Forwarded-For; trusting that header otherwise would let a client choose
# the address it is counted under (here and in the API's rate limits).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_ORDER = "right-most"

# Password reset (accounts/password_reset.py): reset mails asked for per e-mail address and per
# client address (by the rule above), as N/second, N/minute, N/hour or N/day; blank turns a
# limit off. Past the address's limit no mail goes, and the page says what it always says;
# past the client's, the answer is a 429. Counted in the shared cache (CACHES above).
PASSWORD_RESET_RATE_EMAIL = env_str("PASSWORD_RESET_RATE_EMAIL", "5/hour")
PASSWORD_RESET_RATE_IP = env_str("PASSWORD_RESET_RATE_IP", "20/hour")

# API tokens (django-rest-knox, accounts/tokens.py): stored as SHA-512 digests, each with a
# name, an expiry chosen at creation and a read-only flag.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's migrations create its own token table even when the model is swapped for ours, and a
# table no model owns breaks flushing the database (PostgreSQL refuses to truncate auth_user
# while it references it). knox has no other model: none of its migrations is needed.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}
# The longest life a token may be given, in days.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # An API token first, so an anonymous call to a private endpoint is a 401 whose
    # WWW-Authenticate names the token scheme; then the browser's session. HTTP Basic is off:
    # a password sent with every call could be guessed without a lockout and skips two-factor.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Rate limits (429 with Retry-After): per address for the anonymous, per user otherwise, and
    # a tighter one on starting match runs. Counted in the shared cache above.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.AnonymousRateThrottle",
        "accounts.throttling.UserRateThrottle",
        "accounts.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_RATE_ANONYMOUS", "120/minute"),
        "user": env_str("API_RATE_USER", "600/minute"),
        "run-start": env_str("API_RATE_RUN_START", "30/hour"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
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

# The browsable API is a page for developers: in production the API answers JSON only.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    *(["core.headers.DeveloperBrowsableAPIRenderer"] if DEBUG else []),
]

# Content-Security-Policy (django-csp): scripts, styles, images, fonts and requests only from the
# app itself; no inline script, no eval (htmx is told not to use it: templates/base.html), never
# framed. Every page keeps to it, /api/docs/ included (Swagger UI's set-up script is served as a
# file: SpectacularSwaggerSplitView); tests/browser/test_csp.py visits the pages and fails on any
# violation. Style attributes are refused too: bar widths are classes (static/css/app.css); only
# the browsable API (DEBUG) allows them (core/headers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Swagger UI and the admin draw some icons from data: URLs.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page uses a device or a payment.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Server errors are mailed to ADMINS ("Name <address>" or addresses, comma-separated) when DEBUG
# is off, from SERVER_EMAIL; with no ADMINS they are only logged.
ADMINS = [(name or address, address) for name, address in getaddresses(env_list("ADMINS"))]
SERVER_EMAIL = env_str("SERVER_EMAIL") or DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # A server error (django.request) is mailed as well as logged.
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": env_str("LOG_LEVEL", "INFO")},
        # Requests naming a host the app does not serve (scanners, every day) are logged,
        # not mailed to the admins.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
        },
    },
}

# Production hardening: on whenever DEBUG is off (what `check --deploy` asks for).
# To try production settings over plain HTTP on one's own machine, set SECURE_SSL_REDIRECT=false,
# SECURE_HSTS_SECONDS=0 and SECURE_COOKIES=false (README, "Production settings on plain HTTP");
# `check --deploy` then warns about exactly those three, and never otherwise.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Health checks come from inside the deployment over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz"]
    # Only behind a proxy that sets X-Forwarded-Proto itself (overwriting what the client sent):
    # a client reaching gunicorn directly could otherwise claim HTTPS. Off unless set.
    if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies sent over HTTPS only; a browser drops them on plain HTTP, so signing in needs them
    # off there.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    X_FRAME_OPTIONS = "DENY"


# Notifications by e-mail (sourcing/notifications/): the address their links start with, since
# no request tells a task what it is (default: the first of ALLOWED_HOSTS over HTTPS in
# production, the development server locally); and how long a mail server may keep a sweep
# waiting, in seconds.
SITE_URL = env_str("SITE_URL") or (
    f"https://{ALLOWED_HOSTS[0]}" if not DEBUG and ALLOWED_HOSTS else "http://localhost:8000"
)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
