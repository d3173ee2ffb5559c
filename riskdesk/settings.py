"""riskdesk settings: everything a deployment changes comes from the environment (riskdesk.env)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from riskdesk.env import (
    env_bool,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_redis_url,
    env_seconds,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)
_DEV_SECRET = "riskdesk-development-only-secret-key-never-use-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a secret one.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the console's host when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "apps.desk",
    "apps.people",
    "apps.accounts",
    "apps.alerts",
    "apps.detection",
    "apps.shifts",
    "apps.actions",
    "apps.notifications",
    "apps.cases",
    "apps.reports",
    "apps.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Around everything that reads the database (the session too): 503 and a plain
    # message while the database is unreachable, not a 500 per queue refresh.
    "apps.desk.unreachable.DatabaseUnreachableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Inside the session and auth middleware: polls do not extend a session; what a
    # signed-in person is shown is never stored (apps.people.sessions).
    "apps.people.sessions.IdleSessionMiddleware",
    "apps.people.sessions.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riskdesk.urls"
WSGI_APPLICATION = "riskdesk.wsgi.application"

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
                "apps.console.context_processors.desk",
                "apps.shifts.context_processors.on_duty",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'riskdesk.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite serialises writers; wait for the lock instead of failing a click.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "people:sign_in"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "people:sign_in"
GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None  # guardian: anonymous users never hold object permissions

# Lock-out after repeated failed sign-ins, per user name and address.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_VERBOSE = False

# A night shift is twelve hours; a session idle for longer than that ends. "Idle" means no
# request of the person's own: pages' polling does not count (apps.people.sessions), so the
# session is saved only when it changes, never on every request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 12 * 60, minimum=5) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers; TLS ones only where the console is served over HTTPS (not the local demo).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_HTTPS = env_bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31_536_000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True
# The desk's wall clock: shift patterns are written in it (each pattern may name its own).
DESK_TIME_ZONE = env_time_zone("DESK_TIME_ZONE", TIME_ZONE)
ROTA_WEEKS_AHEAD = env_int("ROTA_WEEKS_AHEAD", 4, minimum=1)
HANDOVER_ACK_MINUTES = env_int("HANDOVER_ACK_MINUTES", 30, minimum=1)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fail closed: an endpoint that does not name the roles it serves answers nobody.
    "DEFAULT_PERMISSION_CLASSES": ["apps.people.api_access.HasDeclaredRole"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 100,
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 365, minimum=1)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "riskdesk API",
    "DESCRIPTION": "Alerts in, desk state out. See shared/contracts for the fixed interfaces.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": "apps.alerts.models.Status",
        "SubmitStatusEnum": ["accepted", "duplicate", "rejected"],
    },
}

# Celery. Without REDIS_URL the console works alone: tasks run in-process, in the
# same thread, after the transaction that queued them commits.
REDIS_URL = env_redis_url("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # at-least-once: a killed worker's task is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = "default"
# With acks_late, a message whose worker died unacknowledged is handed out again once it has
# been out this long (kombu's default: an hour, so a lost ingest or notify message waited an
# hour). It must outlast the longest hard time limit — a detection window, 1,900 s — or a
# task still running is started a second time; a minute and a half more covers a countdown
# (execution retries wait at most 30 s). Timed work never waits on it: scans find it in the
# database (STYLE.md), and actions are fenced by their claim and queued_at.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1900 + 100}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"


def _every(task: str, seconds: float) -> dict:
    """A beat entry whose message expires after one period: a run that waited that long
    behind other work is dropped, the next one does its work, so scans never pile up."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


# The alert stream is read by a process of its own (Procfile `ingest`), not from here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "alerts-forget-old-deliveries": _every("apps.alerts.tasks.forget_old_deliveries", 3600.0),
    "detection-scan-drop-folder": _every("apps.detection.tasks.scan_drop_folder", 30.0),
    "shifts-rota-extend": _every("apps.shifts.tasks.rota_extend", 3600.0),
    "shifts-handovers-overdue": _every("apps.shifts.tasks.handovers_flag", 60.0),
    "shifts-return-unclaimed": _every("apps.shifts.tasks.return_unclaimed", 60.0),
    # The net under route_alerts: a lost message must not leave alerts unoffered for good.
    "shifts-route-unoffered": _every("apps.shifts.tasks.route_unoffered", 60.0),
    "shifts-reports": _every("apps.reports.tasks.shift_reports_make", 60.0),
    # Yesterday's daily report once the UTC day has ended; the scan finds a missing one.
    "reports-daily": _every("apps.reports.tasks.daily_reports_make", 300.0),
    "actions-timers": _every("apps.actions.tasks.run_action_timers", 15.0),
    "actions-reconcile": _every("apps.actions.tasks.reconcile_restrictions", 300.0),
    "actions-contacts-overdue": _every("apps.actions.tasks.contacts_overdue", 60.0),
    # Timers are found in the database each run: a lost run delays, never loses, one.
    "cases-scan-timers": _every("apps.cases.tasks.scan_timers", 30.0),
    "cases-attach-new-alerts": _every("apps.cases.tasks.attach_new_alerts", 10.0),
    "notifications-deliver-due": _every("apps.notifications.tasks.deliver_due", 30.0),
}

# Detection: windows dropped here (each a folder with a READY file) are run once each,
# split into DETECTION_PARTS shares across the workers (1: one process does it all).
DETECTION_DROP_DIR = Path(env_str("DETECTION_DROP_DIR") or VAR_DIR / "feed-drop")
DETECTION_PARTS = env_int("DETECTION_PARTS", 1, minimum=1)
# Live detection (feed-stream.md): a consumer silent this long is stalled, one whose
# streams are this far behind is lagging (detection page, shift dashboard KRI).
LIVE_STALLED_SECONDS = env_int("LIVE_STALLED_SECONDS", 60, minimum=1)
LIVE_LAG_SECONDS = env_int("LIVE_LAG_SECONDS", 30, minimum=1)
# The streams the `live` process follows (Procfile), and, without Redis, the speed at
# which the web process replays the demo day as its live feed (60: a day in 24 minutes).
LIVE_FEED_PREFIX = env_str("LIVE_FEED_PREFIX") or "feed:"
LIVE_DEMO_SPEED = env_int("LIVE_DEMO_SPEED", 60, minimum=1)
if not REDIS_URL:
    # Embedded: the in-process runner of this schedule also plays the live feed.
    CELERY_BEAT_SCHEDULE["detection-live-demo"] = _every("apps.detection.tasks.live_demo_poll", 2.0)

# Alerts: the stream detectors XADD to, and the time to act per severity (minutes).
ALERT_STREAM = env_str("ALERT_STREAM") or "riskdesk:alerts"
ALERT_STREAM_GROUP = "riskdesk-ingest"
# Entries a consumer has held this long without acknowledging are taken over by another.
ALERT_RECLAIM_IDLE_SECONDS = env_int("ALERT_RECLAIM_IDLE_SECONDS", 60, minimum=1)
ALERT_SLA_MINUTES = {
    "critical": env_int("ALERT_SLA_CRITICAL_MINUTES", 15, minimum=1),
    "high": env_int("ALERT_SLA_HIGH_MINUTES", 60, minimum=1),
    "medium": env_int("ALERT_SLA_MEDIUM_MINUTES", 240, minimum=1),
    "low": env_int("ALERT_SLA_LOW_MINUTES", 1440, minimum=1),
}
# Actions: the exchange gateway (shared/contracts/gateway.md) and the approval rules.
RISKDESK_GATEWAY = env_choice("RISKDESK_GATEWAY", "sandbox", {"sandbox", "http"})
RISKDESK_GATEWAY_URL = env_str("RISKDESK_GATEWAY_URL", "")
RISKDESK_GATEWAY_TOKEN = env_str("RISKDESK_GATEWAY_TOKEN", "")
RISKDESK_GATEWAY_TIMEOUT = env_seconds("RISKDESK_GATEWAY_TIMEOUT", 5.0)
RISKDESK_ACTION_MAX_ATTEMPTS = env_int("RISKDESK_ACTION_MAX_ATTEMPTS", 5, minimum=1)
RISKDESK_ACTION_LEASE_SECONDS = env_int("RISKDESK_ACTION_LEASE_SECONDS", 30, minimum=1)
# An execution message not taken within this long is dropped, and the scan sends a new one.
RISKDESK_ACTION_QUEUE_TTL_SECONDS = env_int("RISKDESK_ACTION_QUEUE_TTL_SECONDS", 60, minimum=5)
RISKDESK_APPROVAL_MINUTES = env_int("RISKDESK_APPROVAL_MINUTES", 60, minimum=1)
# Raise the two-person rule to more measures; the floor (apps.actions.policy) always holds.
RISKDESK_APPROVAL_EXTRA_MEASURES = env_list("RISKDESK_APPROVAL_EXTRA_MEASURES", [])

# Customer service: how long the desk has to answer a customer's contact or appeal (minutes).
CUSTOMER_CONTACT_ANSWER_MINUTES = {
    "appeal": env_int("CUSTOMER_APPEAL_ANSWER_MINUTES", 60, minimum=1),
    "contact": env_int("CUSTOMER_CONTACT_ANSWER_MINUTES", 240, minimum=1),
}

# Cases: time to close per severity (hours); a timer escalates one level per step once due.
CASE_DUE_HOURS = {
    "critical": env_int("CASE_DUE_CRITICAL_HOURS", 4, minimum=1),
    "high": env_int("CASE_DUE_HIGH_HOURS", 24, minimum=1),
    "medium": env_int("CASE_DUE_MEDIUM_HOURS", 72, minimum=1),
    "low": env_int("CASE_DUE_LOW_HOURS", 168, minimum=1),
}
ESCALATION_STEP_MINUTES = env_int("ESCALATION_STEP_MINUTES", 30, minimum=1)
# The username of the head of risk (level 2 of a timer); unset: every supervisor.
HEAD_OF_RISK = env_str("HEAD_OF_RISK") or ""

# Notifications: outbound by Django's mail backend and a signed webhook (when a URL is set).
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "riskdesk@localhost"
NOTIFY_SITE_URL = env_str("NOTIFY_SITE_URL") or ""
NOTIFY_WEBHOOK_URL = env_str("NOTIFY_WEBHOOK_URL") or ""
NOTIFY_WEBHOOK_SECRET = env_str("NOTIFY_WEBHOOK_SECRET") or ""
if NOTIFY_WEBHOOK_URL and not NOTIFY_WEBHOOK_SECRET:
    raise ImproperlyConfigured("NOTIFY_WEBHOOK_SECRET must be set with NOTIFY_WEBHOOK_URL.")
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 30, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
