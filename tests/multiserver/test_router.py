"""The replica router's choices (core/dbrouting.py), without a replica: which reads may go to
it, what always stays on the primary, pinning after a write, the health check and the
fall-back when the replica fails under a view."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction
from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import resolve

from activities.models import Activity
from core import dbrouting
from core.dbrouting import REPLICA, ReplicaReadsMiddleware, ReplicaRouter, Route


@pytest.fixture
def replica_up(monkeypatch):
    """A replica that answers and is not behind (probe_replica is what talks to it)."""
    dbrouting.reset_replica_health()
    monkeypatch.setattr(dbrouting, "probe_replica", lambda: (True, 0.0))
    yield
    dbrouting.reset_replica_health()


@pytest.fixture
def routed():
    """A request whose reads may go to the replica."""
    token = dbrouting._route.set(Route(use_replica=True))
    yield dbrouting._route.get()
    dbrouting._route.reset(token)


@pytest.fixture
def with_router(settings):
    settings.DATABASE_ROUTERS = ["core.dbrouting.ReplicaRouter"]


def _request(path, *, method="get", user=None, cookies=None):
    request = getattr(RequestFactory(), method)(path)
    request.resolver_match = resolve(path)
    request.user = user or AnonymousUser()
    request.COOKIES.update(cookies or {})
    return request


# --- the router ------------------------------------------------------------------------------


def test_reads_stay_on_the_primary_when_the_request_is_not_routed(replica_up):
    assert ReplicaRouter().db_for_read(Activity) == DEFAULT_DB_ALIAS


def test_a_routed_read_goes_to_the_replica_when_it_is_healthy(replica_up, routed):
    assert not dbrouting.used_replica()
    assert ReplicaRouter().db_for_read(Activity) == REPLICA
    assert routed.used_replica
    assert dbrouting.used_replica()


def test_writes_always_go_to_the_primary(replica_up, routed):
    assert ReplicaRouter().db_for_write(Activity) == DEFAULT_DB_ALIAS


def test_select_for_update_uses_the_primary_in_a_routed_request(replica_up, routed, with_router):
    assert Activity.objects.all().db == REPLICA
    assert Activity.objects.select_for_update().db == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(replica_up, routed):
    with transaction.atomic():
        assert ReplicaRouter().db_for_read(Activity) == DEFAULT_DB_ALIAS
    assert ReplicaRouter().db_for_read(Activity) == REPLICA


def test_accounts_sessions_and_lockouts_are_read_from_the_primary(replica_up, routed):
    from axes.models import AccessAttempt
    from django.contrib.auth.models import User

    for model in (User, Session, AccessAttempt):
        assert ReplicaRouter().db_for_read(model) == DEFAULT_DB_ALIAS


def test_only_the_primary_is_migrated():
    assert ReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "activities")
    assert not ReplicaRouter().allow_migrate(REPLICA, "activities")


# --- the health check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "usable"),
    [
        ((True, 0.0), True),
        ((True, 4.9), True),
        ((True, 5.1), False),  # more than REPLICA_MAX_LAG_SECONDS behind
        ((True, None), False),  # never replayed anything
        ((False, 0.0), False),  # promoted: no longer follows the primary
    ],
)
def test_the_replica_is_used_only_when_close_enough_behind(monkeypatch, settings, probe, usable):
    settings.REPLICA_MAX_LAG_SECONDS = 5
    dbrouting.reset_replica_health()
    monkeypatch.setattr(dbrouting, "probe_replica", lambda: probe)
    assert dbrouting.replica_is_usable() is usable


def test_a_replica_that_does_not_answer_is_not_used(monkeypatch):
    def refused():
        raise OperationalError("connection refused")

    dbrouting.reset_replica_health()
    monkeypatch.setattr(dbrouting, "probe_replica", refused)
    monkeypatch.setattr(dbrouting, "_close_replica", lambda: None)
    assert not dbrouting.replica_is_usable()


def test_the_health_check_is_cached_for_a_short_while(monkeypatch, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    dbrouting.reset_replica_health()
    probes = []
    monkeypatch.setattr(dbrouting, "probe_replica", lambda: probes.append(1) or (True, 0.0))
    assert all(dbrouting.replica_is_usable() for _ in range(5))
    assert len(probes) == 1
    settings.REPLICA_CHECK_SECONDS = 0
    dbrouting.replica_is_usable()
    assert len(probes) == 2


def test_a_lagging_replica_sends_routed_reads_to_the_primary(monkeypatch, routed):
    dbrouting.reset_replica_health()
    monkeypatch.setattr(dbrouting, "probe_replica", lambda: (True, 600.0))
    assert ReplicaRouter().db_for_read(Activity) == DEFAULT_DB_ALIAS
    assert not routed.used_replica


# --- which requests may read from the replica ------------------------------------------------------


def test_anonymous_list_pages_read_from_the_replica():
    for path in ("/", "/activities/", "/activities/calendar.ics", "/partners/", "/projects/"):
        assert dbrouting.reads_from_replica(_request(path)), path


@pytest.mark.django_db
def test_a_logged_in_residents_lists_and_pages_stay_on_the_primary(resident):
    for path in ("/activities/", "/me/"):
        assert not dbrouting.reads_from_replica(_request(path, user=resident.user)), path


def test_an_activity_page_and_a_sign_up_stay_on_the_primary():
    assert not dbrouting.reads_from_replica(_request("/activities/1/"))
    assert not dbrouting.reads_from_replica(_request("/activities/1/sign-up/", method="post"))


@pytest.mark.django_db
def test_the_summary_and_exports_read_from_the_replica_for_staff(staff_user):
    for path in ("/summary/", "/summary/2026/11/", "/summary/2026/11/export.xlsx"):
        assert dbrouting.reads_from_replica(_request(path, user=staff_user)), path
    export = "/admin/activities/signup/export/"
    assert dbrouting.reads_from_replica(_request(export, method="post", user=staff_user))


def test_a_browser_that_just_wrote_reads_from_the_primary():
    pinned = {"gongjian_primary_until": str(int(time.time()) + 10)}
    expired = {"gongjian_primary_until": str(int(time.time()) - 1)}
    assert not dbrouting.reads_from_replica(_request("/activities/", cookies=pinned))
    assert dbrouting.reads_from_replica(_request("/activities/", cookies=expired))
    assert dbrouting.reads_from_replica(
        _request("/activities/", cookies={"gongjian_primary_until": "x"})
    )


# --- the middleware --------------------------------------------------------------------------------


def _run(middleware, request, view):
    """What Django's handler does: process_view, the view, process_exception on an error."""

    def get_response(request):
        middleware.process_view(request, view, (), {})
        try:
            return view(request)
        except Exception as error:  # noqa: BLE001 - as Django's handler
            response = middleware.process_exception(request, error)
            if response is None:
                raise
            return response

    middleware.get_response = get_response
    return middleware(request)


def test_a_write_pins_the_browser_to_the_primary(settings):
    settings.REPLICA_PIN_SECONDS = 15
    response = _run(
        ReplicaReadsMiddleware(None),
        _request("/activities/1/sign-up/", method="post"),
        lambda r: HttpResponse(status=302),
    )
    cookie = response.cookies["gongjian_primary_until"]
    assert cookie["max-age"] == 15
    assert int(cookie.value) - time.time() == pytest.approx(15, abs=2)


def test_a_read_does_not_pin():
    response = _run(
        ReplicaReadsMiddleware(None), _request("/activities/"), lambda r: HttpResponse()
    )
    assert "gongjian_primary_until" not in response.cookies


def test_a_view_that_fails_on_the_replica_is_served_from_the_primary(replica_up, monkeypatch):
    monkeypatch.setattr(dbrouting, "_close_replica", lambda: None)
    chosen = []

    def view(request):
        db = ReplicaRouter().db_for_read(Activity)
        chosen.append(db)
        if db == REPLICA:
            raise OperationalError("server closed the connection unexpectedly")
        return SimpleTemplateResponse(dbrouting_template(), {"db": db})

    response = _run(ReplicaReadsMiddleware(None), _request("/activities/"), view)
    assert chosen == [REPLICA, DEFAULT_DB_ALIAS]
    assert response.status_code == 200
    assert response.content == b"default"
    # The replica is left alone until the next check.
    assert not dbrouting.replica_is_usable()


def test_an_error_on_the_primary_is_not_retried(replica_up):
    def view(request):
        raise OperationalError("primary down")

    with pytest.raises(OperationalError):
        _run(ReplicaReadsMiddleware(None), _request("/activities/1/"), view)


def dbrouting_template():
    from django.template import engines

    return engines["django"].from_string("{{ db }}")


# --- configuration checks ------------------------------------------------------------------------


def _replica_check_ids(monkeypatch, replica):
    from django.conf import settings
    from django.core.checks import run_checks

    monkeypatch.setitem(settings.DATABASES, "replica", replica)
    return {m.id for m in run_checks()} & {"gongjian.E005", "gongjian.E006"}


def test_a_replica_that_is_not_postgresql_fails_the_checks(monkeypatch):
    replica = {"ENGINE": "django.db.backends.sqlite3", "NAME": "replica.sqlite3"}
    assert "gongjian.E005" in _replica_check_ids(monkeypatch, replica)


def test_pinning_shorter_than_the_allowed_lag_fails_the_checks(monkeypatch, settings):
    replica = {"ENGINE": "django.db.backends.postgresql", "NAME": "gongjian"}
    settings.REPLICA_MAX_LAG_SECONDS = 30
    settings.REPLICA_PIN_SECONDS = 15
    assert _replica_check_ids(monkeypatch, replica) == {"gongjian.E006"}
    settings.REPLICA_PIN_SECONDS = 60
    assert _replica_check_ids(monkeypatch, replica) == set()


def test_without_a_replica_nothing_is_routed(settings):
    from core.checks import check_replica

    assert "replica" not in settings.DATABASES
    assert check_replica(None) == []
    assert "core.dbrouting.ReplicaReadsMiddleware" not in settings.MIDDLEWARE
    assert not settings.DATABASE_ROUTERS
