"""Reads from a PostgreSQL streaming replica, when there is one (`DATABASE_REPLICA_URL`).

Without that variable none of this is installed: one database, as always. With it,
`config/settings.py` adds the `replica` database, `ReplicaRouter` and
`ReplicaReadsMiddleware`, and then:

- only the views named in `REPLICA_READ_VIEWS` (the summary, the exports: read-only for
  everyone) and, for anonymous visitors, in `REPLICA_ANONYMOUS_READ_VIEWS` (the public
  lists) read from the replica; every other request reads and writes the primary;
- a request that may change something (POST, PUT, PATCH, DELETE) sets the cookie
  `REPLICA_PIN_COOKIE` for `REPLICA_PIN_SECONDS`: that browser reads from the primary
  until then, so nobody misses their own sign-up, check-in or change;
- writes, `select_for_update()` (a write lock) and every read inside a transaction on the
  primary (`transaction.atomic`) go to the primary; so do accounts, sessions and django-axes'
  login records;
- the replica is used only while it answers and is at most `REPLICA_MAX_LAG_SECONDS`
  behind (checked at most every `REPLICA_CHECK_SECONDS` per process); a view that fails
  on the replica (it stopped mid-request) is run again on the primary, and the replica is
  left alone until the next check.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error as DatabaseFailure, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
#: Apps read from the primary always: who is logged in, and who is locked out.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "axes", "admin", "contenttypes"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# One replica check per process: in recovery (still a replica), and how far behind. The
# replica has caught up when it has replayed all it received from a live stream; otherwise
# the lag is the age of the last transaction it replayed (large on an idle primary: the
# primary is then used, which is only slower).
LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
"""


@dataclass
class Route:
    """Where this request's reads may go (one per request, in a context variable)."""

    use_replica: bool = False
    used_replica: bool = False


_route: ContextVar[Route | None] = ContextVar("gongjian_db_route", default=None)


# --- the replica's health ------------------------------------------------------------------


@dataclass
class _Health:
    checked_at: float = float("-inf")
    usable: bool = False


_health = _Health()
_health_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def probe_replica() -> tuple[bool, float | None]:
    """(still a replica, seconds behind or None) straight from the replica; raises a
    database error (`django.db.Error`) when it does not answer."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        in_recovery, streaming, caught_up, age = cursor.fetchone()
    if streaming and caught_up:
        return bool(in_recovery), 0.0
    return bool(in_recovery), age


def _check() -> bool:
    try:
        in_recovery, lag = probe_replica()
    except DatabaseFailure as error:
        logger.warning("Replica unavailable, reading from the primary: %s", error)
        _close_replica()
        return False
    if not in_recovery:
        logger.warning("The replica is not in recovery (promoted?): reading from the primary")
        return False
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("Replica lags %s s, reading from the primary", lag)
        return False
    return True


def replica_is_usable() -> bool:
    """True when the replica answered and was close enough behind at the last check."""
    now = time.monotonic()
    if now - _health.checked_at < settings.REPLICA_CHECK_SECONDS:
        return _health.usable
    with _health_lock:
        if now - _health.checked_at >= settings.REPLICA_CHECK_SECONDS:
            _health.usable = _check()
            _health.checked_at = time.monotonic()
        return _health.usable


def mark_replica_down() -> None:
    """Use the primary until the next check (the replica just failed a query)."""
    with _health_lock:
        _health.usable = False
        _health.checked_at = time.monotonic()
    _close_replica()


def _close_replica() -> None:
    with contextlib.suppress(DatabaseFailure):
        connections[REPLICA].close()


def reset_replica_health() -> None:
    """Forget the last check (tests)."""
    with _health_lock:
        _health.usable = False
        _health.checked_at = float("-inf")


# --- the router ------------------------------------------------------------------------------


class ReplicaRouter:
    """Writes to the primary; reads to the replica only when this request may (see module
    docstring); every other read to the primary, whichever database an instance came from."""

    def db_for_read(self, model, **hints):
        route = _route.get()
        if (
            route is None
            or not route.use_replica
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            or not replica_is_usable()
        ):
            return DEFAULT_DB_ALIAS
        route.used_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        # Also select_for_update(): Django asks for the write database for locking reads.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database and its copy

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica replays the primary's schema


# --- per request -------------------------------------------------------------------------------


def _matches(view_name: str, patterns) -> bool:
    return any(fnmatchcase(view_name, pattern) for pattern in patterns)


def used_replica() -> bool:
    """Did this request read anything from the replica? A response built from it may be up
    to REPLICA_MAX_LAG_SECONDS old: a whole-page cache must not keep it past a write."""
    route = _route.get()
    return route is not None and route.used_replica


def pinned_to_primary(request) -> bool:
    value = request.COOKIES.get(settings.REPLICA_PIN_COOKIE, "")
    try:
        return float(value) > time.time()
    except ValueError:
        return False


def reads_from_replica(request) -> bool:
    """May this request's reads go to the replica? Only named read-only views, only when
    the browser did not write in the last `REPLICA_PIN_SECONDS`."""
    match = getattr(request, "resolver_match", None)
    if match is None or pinned_to_primary(request):
        return False
    if _matches(match.view_name, settings.REPLICA_READ_VIEWS):
        return True
    return (
        request.method in SAFE_METHODS
        and _matches(match.view_name, settings.REPLICA_ANONYMOUS_READ_VIEWS)
        and not request.user.is_authenticated
    )


class ReplicaReadsMiddleware:
    """Decides per request where reads go, pins writers to the primary, and runs a view
    again on the primary when the replica failed under it. After authentication, just
    before axes (which stays last), so that a retry repeats only the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _route.set(Route())
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if request.method not in SAFE_METHODS and not getattr(request, "_replica_view", None):
            pin_to_primary(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        route = _route.get()
        if route is not None and reads_from_replica(request):
            route.use_replica = True
            request._replica_view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request, exception):
        route = _route.get()
        if route is None or not route.used_replica or not isinstance(exception, DatabaseFailure):
            return None
        logger.warning(
            "Replica failed during %s, again on the primary: %s", request.path, exception
        )
        mark_replica_down()
        route.use_replica = False
        route.used_replica = False
        view_func, view_args, view_kwargs = request._replica_view
        response = view_func(request, *view_args, **view_kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()
        return response


def pin_to_primary(response) -> None:
    seconds = settings.REPLICA_PIN_SECONDS
    response.set_cookie(
        settings.REPLICA_PIN_COOKIE,
        str(int(time.time()) + seconds),
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
