"""Settings for 共建 Gongjian, read from the environment (see `.env.example`).

One file for every place the app runs: development (`DEBUG=1`), tests and production.
Production needs `SECRET_KEY` and `ALLOWED_HOSTS`; with `DEBUG=0`,
`python manage.py check --deploy` passes.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The default key is only for development and tests; `check --deploy` refuses it.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-gongjian-development-key-only")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.GongjianAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "core",
    "residents",
    "partners",
    "activities",
    "volunteering",
    "jobs",
    "summary",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Pages for a logged-in person are never cached; back-office sessions are short.
    "core.middleware.PrivateResponsesMiddleware",
    "core.middleware.StaffSessionMiddleware",
    "core.middleware.MalformedInputMiddleware",
    # Axes last, as its docs ask: it answers locked-out logins with HTTP 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# The HTTP benchmark's reference views (bench/views.py: a one-line view, a primary-key
# lookup, an insert) exist only when BENCH_VIEWS=1, never in a normal deployment.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)
if BENCH_VIEWS:
    ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.site",
                "residents.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite by default (an embedded file, for `make run`), PostgreSQL through psycopg2 with
# DATABASE_URL=postgres://user@host:5432/name.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock at BEGIN, so two sign-ups cannot both read "one seat left".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # The list's covering indexes (INCLUDE columns, for PostgreSQL) are plain indexes here.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A PostgreSQL streaming replica (scripts/replica-setup; docs/deployment.md): the summary,
# the exports and anonymous visitors' lists read from it while it is healthy, everything
# else from the primary (core/dbrouting.py). Unset: one database, nothing routed.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
REPLICA_PIN_COOKIE = "gongjian_primary_until"
#: Read-only views whose reads may go to the replica, for everyone (URL names, fnmatch).
REPLICA_READ_VIEWS = ["summary:*", "admin:*_export"]
#: … and these only for anonymous visitors (a resident's own pages stay on the primary).
REPLICA_ANONYMOUS_READ_VIEWS = [
    "home",
    "activities:list",
    "activities:feed",
    "activities:partners",
    "activities:projects",
]
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"].get("CONN_MAX_AGE", 0))
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    # A stopped replica must cost a request a moment, not the client's patience.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.dbrouting.ReplicaRouter"]
    # Before axes, which stays last: decides per request, pins writers, retries on the primary.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "core.dbrouting.ReplicaReadsMiddleware"
    )

# --- Cache and sessions ---------------------------------------------------------------
# CACHE_URL (or REDIS_URL, e.g. redis://127.0.0.1:6379/1): one cache all workers and servers
# share, for throttles (core/throttle.py) and sessions. Without it, per-process memory.
_CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {"default": env.cache_url_config(_CACHE_URL or "locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache.RedisCache"  # one client per pool, not per call
SHARED_CACHE = CACHES["default"]["BACKEND"] not in (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
# Sessions in the database (on the primary), read through the shared cache when there is
# one: a login on one server is valid on every other, and survives a cache restart.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if SHARED_CACHE
    else "django.contrib.sessions.backends.db"
)
# Whole public pages for anonymous readers (core/pagecache.py), kept this many seconds at
# most (and never past the minute they were rendered in, nor past a change to what they
# show). Only with a cache every server process shares: with the per-process local-memory
# cache, a sign-up served by one process could not invalidate another's pages.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=120 if SHARED_CACHE else 0)

# --- Accounts -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "residents:login"
LOGIN_REDIRECT_URL = "residents:me"
LOGOUT_REDIRECT_URL = "home"
# Failed logins and lockouts are rows in the (primary) database, so every server sees the
# same ones and staff can read them in the back office; never the per-process cache.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
# Locked per (account, client) after AXES_FAILURE_LIMIT wrong passwords, and per client
# across all accounts after as many (password spraying: one password tried on many phones).
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A failure during a lockout does not extend it: nobody can keep an account locked forever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The real client address behind the reverse proxy (see core/http.py).
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
#: Proxies whose client-IP header is believed.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
#: The one header, set by the proxy, that names the client (X-Real-IP or X-Forwarded-For).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="X-Real-IP")

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
#: The largest scanned agreement accepted (bytes); served only to staff and the secretary.
AGREEMENT_DOCUMENT_MAX_BYTES = env.int("AGREEMENT_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
#: The back office's spreadsheet imports (core/imports.py): the largest file (bytes) and
#: the most rows of data one import takes; larger ones are refused before being read.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)
#: An import of more rows than this is not checked within the request: it becomes an import
#: job (jobs/), checked and then written by the worker (`manage.py db_worker`), with a
#: progress page. 0 turns background imports off (every import within the request).
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=500)
#: The most rows of data an import job takes (IMPORT_MAX_ROWS is for the in-request path).
IMPORT_JOB_MAX_ROWS = env.int("IMPORT_JOB_MAX_ROWS", default=50000)
#: Days an uploaded file waiting for its confirmation is kept (then deleted, the job expired).
IMPORT_JOB_KEEP_DAYS = env.int("IMPORT_JOB_KEEP_DAYS", default=7)
#: Files that are never served (import jobs' uploads): outside MEDIA_ROOT, no URL at all.
PRIVATE_ROOT = env.path("PRIVATE_ROOT", default=BASE_DIR / "private")
#: Import jobs' progress, written by the worker from inside its transaction and read by the
#: web processes: the shared cache, or without one (development) a file cache that every
#: local process sees.
CACHES["jobs"] = (
    {**CACHES["default"]}
    if SHARED_CACHE
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(Path(str(PRIVATE_ROOT)) / "progress"),
    }
)

# --- Background tasks (django-tasks, DEP 14's backport; jobs/) -------------------------
# The database backend: `manage.py db_worker` runs what the site queues (`make run` starts
# one beside runserver; a systemd unit in production, docs/deployment.md).
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gongjian@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Text messages to residents without an e-mail address (residents/sms.py): the console by
# default; a provider such as residents.sms.HttpSmsBackend in production.
SMS_BACKEND = env.str("SMS_BACKEND", default="residents.sms.ConsoleBackend")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_API_KEY = env.str("SMS_API_KEY", default="")

# --- Forms ----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
# History is for reading in the back office; edits go through the normal change forms.
SIMPLE_HISTORY_REVERT_DISABLED = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy (nginx) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# A strict policy: scripts and styles only from our own static files (or a <script>
# carrying the per-request nonce), no inline event handlers, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Logging --------------------------------------------------------------------------
# Every handler masks mobile numbers (core/logfilters.py); runserver's request log too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_phones": {"()": "core.logfilters.MaskPhoneNumbers"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_phones"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
#: Back-office sessions (staff, the secretary) end when the browser closes and, at the
#: latest, this many seconds after login; residents keep Django's two weeks.
STAFF_SESSION_SECONDS = env.int("STAFF_SESSION_SECONDS", default=8 * 60 * 60)

# --- Product --------------------------------------------------------------------------
# The version of the privacy notice a resident consents to at registration.
PRIVACY_POLICY_VERSION = "2026-11"
# The community this deployment serves, shown in every page's header.
COMMUNITY_NAME = env.str("COMMUNITY_NAME", default="小西坪社区")
# The subdistrict (街道) the communities belong to; the migration that made it a record
# names it so for communities that had none.
SUBDISTRICT_NAME = env.str("SUBDISTRICT_NAME", default="西站街道")
# How residents reach the community office (footer, login, posters, error pages; the phone
# as a tel: link). Empty values are simply not shown.
COMMUNITY_PHONE = env.str("COMMUNITY_PHONE", default="")
COMMUNITY_ADDRESS = env.str("COMMUNITY_ADDRESS", default="铁建丽苑小区党员阵地")
COMMUNITY_HOURS = env.str("COMMUNITY_HOURS", default="")

# Points bank (积分银行): most points a resident earns in a calendar year, and how many
# months earned points last (0: they never expire).
POINTS_YEARLY_CAP = env.int("POINTS_YEARLY_CAP", default=1000)
POINTS_EXPIRE_MONTHS = env.int("POINTS_EXPIRE_MONTHS", default=24)
# The check-in window: the door opens this many minutes before an activity starts and
# closes this many minutes after it ends (activities.services.check_in refuses outside it).
CHECK_IN_OPENS_MINUTES_BEFORE = env.int("CHECK_IN_OPENS_MINUTES_BEFORE", default=120)
CHECK_IN_GRACE_MINUTES_AFTER = env.int("CHECK_IN_GRACE_MINUTES_AFTER", default=30)
