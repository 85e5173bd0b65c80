"""Deployment checks (`manage.py check --deploy`): production settings that would let
throttles count per process or write residents' data into the server log are refused; and
(always) a read replica that is not PostgreSQL or could hide a resident's own write."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
LOGGING_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            Error(
                "CACHE_URL is a per-process cache: with several gunicorn workers each counts "
                "login, activation and registration attempts on its own.",
                hint="Set CACHE_URL=redis://127.0.0.1:6379/1 (a cache all workers share).",
                id="gongjian.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_email_backend(app_configs, **kwargs):
    if not settings.DEBUG and settings.EMAIL_BACKEND in LOGGING_EMAIL_BACKENDS:
        return [
            Error(
                "The console (or file) e-mail backend writes residents' names and codes into "
                "the server's log.",
                hint="Set EMAIL_URL=smtp://user:password@host:587 (or smtp+tls://…).",
                id="gongjian.E002",
            )
        ]
    return []


#: Text-message backends that never reach a phone: the console one writes the one-time codes
#: into the server's log; the in-memory one (for tests) keeps them in the process.
LOGGING_SMS_BACKENDS = ("residents.sms.ConsoleBackend", "residents.sms.LocmemBackend")


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs, **kwargs):
    backend = getattr(settings, "SMS_BACKEND", "")
    if not settings.DEBUG and backend in LOGGING_SMS_BACKENDS:
        return [
            Error(
                "SMS_BACKEND does not send text messages: residents could not receive their "
                "codes, and the console backend writes them into the server's log.",
                hint="Set SMS_BACKEND=residents.sms.HttpSmsBackend with SMS_GATEWAY_URL and "
                "SMS_API_KEY (or a provider's backend class).",
                id="gongjian.E003",
            )
        ]
    if backend == "residents.sms.HttpSmsBackend" and not getattr(settings, "SMS_GATEWAY_URL", ""):
        return [
            Error(
                "SMS_BACKEND is residents.sms.HttpSmsBackend but SMS_GATEWAY_URL is empty.",
                hint="Set SMS_GATEWAY_URL (and SMS_API_KEY) to the provider's HTTP bridge.",
                id="gongjian.E004",
            )
        ]
    return []


@register  # not Tags.database: Django runs those only with `check --database`
def check_replica(app_configs, **kwargs):
    """A replica (DATABASE_REPLICA_URL) is a PostgreSQL standby, and a browser that wrote
    stays on the primary longer than the replica may lag (core/dbrouting.py)."""
    replica = settings.DATABASES.get("replica")
    if replica is None:
        return []
    errors = []
    if replica["ENGINE"] != "django.db.backends.postgresql":
        errors.append(
            Error(
                "DATABASE_REPLICA_URL must be a PostgreSQL streaming replica.",
                hint="postgres://user@replica-host:5432/gongjian (scripts/replica-setup).",
                id="gongjian.E005",
            )
        )
    if settings.REPLICA_PIN_SECONDS <= settings.REPLICA_MAX_LAG_SECONDS:
        errors.append(
            Error(
                "REPLICA_PIN_SECONDS must be longer than REPLICA_MAX_LAG_SECONDS: otherwise a "
                "resident may not see their own sign-up on a page read from the replica.",
                id="gongjian.E006",
            )
        )
    return errors
