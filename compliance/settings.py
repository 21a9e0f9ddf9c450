"""All configuration comes from the environment; unset means the safe embedded default.

Embedded default: SQLite file under var/, Celery tasks run eagerly in-process, DEBUG off.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

# A checkout's root (manage.py beside compliance/), or site-packages when installed with pip.
BASE_DIR = Path(__file__).resolve().parent.parent
# Templates, static files and translations travel with the package: in a checkout
# compliance/templates, static and locale are links to the root's templates/, static/ and locale/
# (the layout of docs/architecture.md); `pip install .` ships them as real directories inside
# compliance/ (pyproject.toml, package-data). One path serves both.
PACKAGE_DIR = Path(__file__).resolve().parent
# Installed, the package's directory is no place for a database: var/ of the working directory.
_IN_CHECKOUT = (BASE_DIR / "manage.py").is_file()
VAR_DIR = Path(os.environ.get("KUANGAN_VAR_DIR") or (BASE_DIR if _IN_CHECKOUT else Path.cwd()) / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "embedded-default-not-for-production-3c1d8f0e9b"
# Tests and the embedded default talk to localhost/testserver; production lists its hosts.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Keys for resident ID numbers (身份证号). Several encryption keys may be listed, newest first,
# so that old ciphertexts stay readable during a rotation. Unset → derived from SECRET_KEY.
RESIDENT_ID_KEYS = env_list("RESIDENT_ID_KEYS")
RESIDENT_ID_HASH_KEY = os.environ.get("RESIDENT_ID_HASH_KEY", "")

# The ordinary PostgreSQL role the application connects as (row-level security applies to it);
# migrations run as the tables' owner and grant this role its privileges.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "kuangan_app")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "axes",
    "csp",
    "django_celery_beat",
    "tenants",
    "compliance.audit",
    "compliance.jobs",
    "compliance.tokens",
    "compliance.notifications",
    "compliance.accounts",
    "compliance.rules",
    "compliance.training",
    "compliance.grading",
    "compliance.inspections",
    "compliance.duties",
    "compliance.contractors",
    "compliance.points",
    "compliance.alarms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are served by the app itself (closed networks often have no separate web server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Both before the scope is resolved: an expired session is a logged-out one, and a login
    # that must change its password reaches nothing else.
    "compliance.accounts.middleware.SessionExpiryMiddleware",
    "compliance.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "compliance.audit.middleware.RequestContextMiddleware",
    "tenants.middleware.ScopeMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "compliance.urls"
WSGI_APPLICATION = "compliance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.navigation",
                "compliance.notifications.context_processors.unread_notifications",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing under concurrent requests.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
else:
    # No JIT: our queries are short, and compiling a wide one (the grading dashboard's counts
    # over 2,000 mines) took 6.4 s of its 6.5 s; with JIT off the same query takes 0.26 s.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt while the account or the address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Date, time and datetime inputs render the value the HTML inputs read, in every language.
FORMAT_MODULE_PATH = ["compliance.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Uploaded and generated files (uploads, evidence, thumbnails, job inputs and outputs) are stored
# and read only through the "private" storage (compliance/storage), never by path, and served only
# through views that check the scope. Default: the filesystem under PRIVATE_MEDIA_ROOT, outside the
# web root. With KUANGAN_S3_BUCKET set: that bucket of an S3-compatible object store, so web
# servers and workers on several machines share the files. The bucket must not be public: objects
# get no ACL of their own and no URL is ever made for them. Credentials: KUANGAN_S3_ACCESS_KEY_ID
# and KUANGAN_S3_SECRET_ACCESS_KEY, else boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, an instance role, ...).
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
S3_BUCKET = os.environ.get("KUANGAN_S3_BUCKET", "")
if S3_BUCKET:
    PRIVATE_STORAGE = {
        "BACKEND": "compliance.storage.s3.PrivateS3Storage",
        "OPTIONS": {
            key: value
            for key, value in {
                "bucket_name": S3_BUCKET,
                "endpoint_url": os.environ.get("KUANGAN_S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("KUANGAN_S3_REGION") or None,
                "addressing_style": os.environ.get("KUANGAN_S3_ADDRESSING_STYLE") or None,  # path/virtual
                "location": os.environ.get("KUANGAN_S3_PREFIX", "").strip("/"),
                "access_key": os.environ.get("KUANGAN_S3_ACCESS_KEY_ID") or None,
                "secret_key": os.environ.get("KUANGAN_S3_SECRET_ACCESS_KEY") or None,
            }.items()
            if value is not None
        },
    }
else:
    PRIVATE_STORAGE = {"BACKEND": "compliance.storage.PrivateFileSystemStorage"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "private": PRIVATE_STORAGE,
}
# Tests and the first run work without collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a missing or bad token answers 401 with WWW-Authenticate: Token.
        "compliance.tokens.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["compliance.drf.ScopePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "compliance.drf.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "compliance.drf.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "compliance.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KuangAn API",
    "DESCRIPTION": "矿安 — mine-safety compliance platform. All data is scoped to the caller's tenant "
    "or regulator jurisdiction.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema generator reads a model's manager only to introspect it (``.none()`` for the
    # filter sets): the scoped default managers fail closed outside a request's scope, which broke
    # ``manage.py spectacular``; the base manager (unscoped for owned models) is never asked for rows.
    "DEFAULT_QUERY_MANAGER": "_base_manager",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "compliance.api.document_unsupported_media_type",
    ],
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Eager mode is driven by the environment only: left on in settings, `celery beat` would run
# tasks inside the beat process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The cache holds counters that must hold across processes and servers (the spot-exam code
# throttle): Redis when CACHE_URL is set (e.g. redis://127.0.0.1:6379/1), else each process's own
# memory — right for the embedded default's single process only.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Deployments sharing one Redis (or a test run beside another) keep their keys apart.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
            # A Redis that is down fails a request in seconds, not after the OS's TCP timeout.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 3},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Imports larger than this are refused before any row is read.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
# A JSON body nested deeper than this is refused (400) before it is parsed (compliance.jsoninput).
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "32"))
# A deduction's evidence (photo or PDF) larger than this is refused, field by field.
GRADING_EVIDENCE_MAX_BYTES = int(os.environ.get("GRADING_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
# The work an upload may cause, whatever its bytes (docs/jobs.md, "Uploads"). An import reads at
# most this many rows below the header and columns, whatever the sheet declares (the largest
# per-kind limit, the sessions import's, is 20,000 rows; the widest template has 15 columns).
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "50"))
# An image with more pixels is refused from its header, before any pixel is decoded: 40
# megapixels (a 12000×12000 PNG of 17 KB would unpack to 1.6 GB) and well above a phone photo.
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", str(40_000_000)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

VERBOSE_NAME = _("KuangAn")

# --- Logins and tokens (issue: defense in depth) ---
# Lockout (django-axes): 5 failed logins lock the login name, and LOGIN_ADDRESS_FAILURE_LIMIT (30)
# from one address lock that address for every login name, each for 30 minutes
# (compliance.lockout.LoginFailureHandler: a mine site's phones share one NAT address). Failures
# age out 30 minutes after the last one; a successful login does not clear them (else a login of
# one's own would reset the per-address count between guesses at other accounts).
AXES_HANDLER = "compliance.lockout.LoginFailureHandler"
AXES_FAILURE_LIMIT = 5
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username"]]
AXES_RESET_ON_SUCCESS = False
# The same client address the audit trail records.
AXES_CLIENT_IP_CALLABLE = "compliance.audit.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "compliance.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

# API tokens: last-used time is written at most this often (seconds), not on every request.
API_TOKEN_LAST_USED_RESOLUTION = 60
# A token asked for without a lifetime gets the default; a longer one than the maximum is refused
# (ASVS 3.5). Tokens made before lifetimes were bounded expire the maximum after they were made.
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "90"))
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))

# Sessions (ASVS 3.3): logged out after SESSION_IDLE_MINUTES without a request (tablets shared at
# a mine site's gate) and SESSION_ABSOLUTE_HOURS after the login, whatever the activity
# (compliance.accounts.middleware). Activity is written to the session at most once per
# SESSION_ACTIVITY_RESOLUTION seconds, not on every request, so idle expiry is that much late.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
SESSION_ACTIVITY_RESOLUTION = 60
# The cookie and the stored session outlive no login: the middleware decides earlier.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600

# Cookies and headers. HSTS, secure cookies and the https redirect are set above when HTTPS=true.
SESSION_COOKIE_SAMESITE = "Lax"  # Lax, not Strict: a link into KuangAn from mail or chat stays logged in
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HSTS preload binds every subdomain of the registrable domain and is slow to undo; it is the
# domain owner's decision (and meaningless on a closed network), so it is opt-in.
SECURE_HSTS_PRELOAD = env_bool("HTTPS", False) and env_bool("HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere. htmx's own
# indicator <style> is switched off in base.html; Swagger UI loads its init script as a file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# drf-spectacular's deploy check builds the schema outside any request, where the fail-closed
# managers refuse to run; compliance.checks runs the same check inside an empty scope.
SPECTACULAR_SETTINGS["ENABLE_DJANGO_DEPLOY_CHECK"] = False

# --- Background jobs: faults (issue: defense in depth) ---
# See docs/jobs.md. A request that starts a job must not hang on a broker that is down: publishing
# gives up after one quick retry (enough to replace a pooled connection that Redis dropped on a
# restart) and bounded socket waits; the job then stays pending and the sweeper hands it over.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "2"))
# A worker or beat started before Redis waits for it, and keeps waiting through an outage.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task not acknowledged this many seconds after delivery (its worker was killed: acks are
    # late) is delivered again. Longer than the longest job, or a slow job runs twice (harmlessly:
    # jobs are idempotent, but wastefully).
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": float(os.environ.get("CELERY_BROKER_SOCKET_TIMEOUT", "3")),
}
# Deployments sharing one Redis (or a test run beside another) keep their queues apart.
if os.environ.get("CELERY_BROKER_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = os.environ["CELERY_BROKER_KEY_PREFIX"]
# The embedded default's worker (`./dev start`: `celery -A compliance worker -B` with
# CELERY_BROKER_URL=filesystem://) needs no server: kombu's filesystem transport keeps its messages
# as files under the var directory. The web process stays eager; the worker and its embedded beat
# run the scheduled jobs exactly as in production (docs/jobs.md, "Scheduled jobs").
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(os.environ.get("CELERY_BROKER_DIR") or VAR_DIR / "broker")
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_broker_dir / "queue"),
        data_folder_out=str(_broker_dir / "queue"),
        processed_folder=str(_broker_dir / "processed"),
        store_processed=False,
        control_folder=str(_broker_dir / "control"),
    )
# The sweeper (compliance.jobs.services.job_sweep), run by beat.
JOB_SWEEP_INTERVAL = int(os.environ.get("JOB_SWEEP_INTERVAL", "30"))
JOB_PENDING_GRACE = 30  # a job never handed to the broker is handed over after this many seconds
JOB_REDISPATCH_AFTER = int(os.environ.get("JOB_REDISPATCH_AFTER", "900"))  # handed over, never started
JOB_RUNNING_TIMEOUT = int(os.environ.get("JOB_RUNNING_TIMEOUT", "1800"))  # running: its worker died
JOB_MAX_ATTEMPTS = 3  # a job that kills its worker every time is stopped, not retried forever
# A job running longer is stopped and failed, nothing applied (docs/jobs.md); the hard limit ends
# a worker process stuck where the soft one cannot interrupt it. Both stay below
# JOB_RUNNING_TIMEOUT and CELERY_VISIBILITY_TIMEOUT, or a slow job would be started again.
JOB_SOFT_TIME_LIMIT = int(os.environ.get("JOB_SOFT_TIME_LIMIT", "600"))
JOB_TIME_LIMIT = JOB_SOFT_TIME_LIMIT + 60
CELERY_BEAT_SCHEDULE = {
    # Certificate reminders (training.reminders.send_due_reminders): once a day, early morning.
    "certificate-reminders": {
        "task": "training.tasks.send_certificate_reminders",
        "schedule": crontab(hour=6, minute=30),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Managers past the deadline for the regulator's assessment (training.reviews).
    "training-manager-assessments": {
        "task": "training.tasks.check_manager_assessments",
        "schedule": crontab(hour=6, minute=40),
        "options": {"expire_seconds": 6 * 3600},
    },
    "jobs-sweep": {
        "task": "compliance.jobs.tasks.sweep_jobs",
        "schedule": float(JOB_SWEEP_INTERVAL),
        # Sweeps queued while no worker ran are dropped, not run back to back (django-celery-beat
        # spells the task's ``expires`` option this way).
        "options": {"expire_seconds": JOB_SWEEP_INTERVAL},
    },
    # Exams submitted at their deadline also when the worker never comes back (issue #4).
    "training-close-expired-attempts": {
        "task": "training.tasks.close_expired_exam_attempts",
        "schedule": 60.0,
        "options": {"expire_seconds": 60},
    },
    # Grade certificates past their re-check date lapse (grading.grades.lapse_overdue).
    "grading-lapse-overdue-grades": {
        "task": "grading.tasks.lapse_overdue_grades",
        "schedule": crontab(hour=0, minute=15),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Regulators found more major hazards than the mine reported: one grade level down, once the
    # rule is verified (grading.regulator_findings.apply).
    "grading-regulator-findings": {
        "task": "grading.tasks.apply_regulator_findings",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Evidence files a rolled-back save left behind (grading.evidence.sweep_orphans).
    "grading-sweep-orphan-evidence": {
        "task": "grading.tasks.sweep_orphan_evidence",
        "schedule": crontab(hour=3, minute=40),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Contractor qualifications: reminders 90/30/7 days ahead, holds on staff of a lapsed one.
    "contractors-check-qualifications": {
        "task": "contractors.tasks.check_qualifications",
        "schedule": crontab(hour=6, minute=50),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Hazards past their rectification deadline escalate to the subsidiary, then group HQ (督办),
    # with notifications (inspections.hazards.tasks.escalate_overdue_hazards).
    "hazards-escalate-overdue": {
        "task": "inspections.hazards.tasks.escalate_overdue_hazards",
        "schedule": crontab(hour=6, minute=55),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Monitoring alarms past their handling deadline escalate to the subsidiary, then group HQ, with
    # notifications (alarms.tasks.escalate_overdue_alarms). Deadlines are hours, not days: often.
    "alarms-escalate-overdue": {
        "task": "alarms.tasks.escalate_overdue_alarms",
        "schedule": 300.0,
        "options": {"expire_seconds": 300},
    },
}

# --- Email (every notification, to users with an address: compliance.notifications) ---
# Unset EMAIL_HOST: emails are printed on the console of the process that sends them (the worker,
# for scheduled reminders); set: sent through that SMTP server. SITE_URL makes links in emails
# absolute (e.g. https://kuangan.example.cn). The README lists every variable.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# An SMTP server that hangs never holds a job for long.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kuangan@localhost")
SITE_URL = os.environ.get("SITE_URL", "")

# OpenAPI enum names where several APIs have a "kind", "status" or "source" field with their own
# choices (certificates, contractors, hazards): each set gets a name of its own.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CertificateKindEnum": "compliance.training.models.Certificate.Kind",
        "CertificateStatusEnum": "compliance.training.models.Certificate.Status",
        "CertificateSourceEnum": "compliance.training.models.Certificate.Source",
        "OperationTypeEnum": "tenants.models.Person.OperationType",
        "AttemptStatusEnum": "compliance.training.models.Attempt.Status",
        "QuestionTypeEnum": "compliance.training.models.Question.Type",
        "GradeLevelEnum": "compliance.grading.models.Level",
        "ContractorStatusEnum": "compliance.contractors.models.Contractor.Status",
        "HazardSourceEnum": "compliance.inspections.hazards.models.Hazard.Source",
        "HazardStatusEnum": "compliance.inspections.hazards.models.Hazard.Status",
        "AlarmStatusEnum": "compliance.alarms.models.Alarm.Status",
        "AlarmKindEnum": "compliance.alarms.models.Kind",
        "AlarmSystemEnum": "compliance.alarms.models.System",
        "AlarmSourceEnum": "compliance.alarms.models.Alarm.Source",
        "PointsSourceKindEnum": "compliance.points.models.SourceKind",
    }
)
