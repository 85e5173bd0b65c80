"""The page cache's bumps sent in one round trip (core/pagecache.py `batched`,
core/cache.py `RedisCache.bump`): a sign-up makes one call to the cache for all of them,
and every reader still sees the new version as soon as the service returns."""

import os
import secrets

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from activities import services
from core import pagecache
from core.cache import RedisCache
from tests.core.test_pagecache import seats, upcoming
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

SCOPES = ["resident:1", "household:2"]


@pytest.fixture
def sends(monkeypatch):
    """Each round trip `_send` makes: (public, scopes)."""
    calls = []
    send = pagecache._send

    def counting(public, scopes):
        calls.append((public, set(scopes)))
        send(public, scopes)

    monkeypatch.setattr(pagecache, "_send", counting)
    return calls


def test_bumps_in_a_batch_are_sent_once_at_its_end(sends):
    version, scopes = pagecache.current_version(), pagecache.scope_versions(SCOPES)
    with pagecache.batched():
        pagecache.public_pages_changed()
        pagecache.scopes_changed("resident:1")
        with pagecache.batched():  # nested: sent by the outer one
            pagecache.scopes_changed("household:2", "resident:1")
        assert pagecache.current_version() == version
        assert sends == []

    assert sends == [(True, set(SCOPES))]
    assert pagecache.current_version() != version
    assert all(a != b for a, b in zip(scopes, pagecache.scope_versions(SCOPES), strict=True))


def test_a_batch_that_raises_still_sends_its_bumps(sends):
    version = pagecache.current_version()
    with pytest.raises(RuntimeError), pagecache.batched():
        pagecache.public_pages_changed()
        raise RuntimeError
    assert pagecache.current_version() != version


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_sends_its_bumps_at_the_writes_and_at_the_commit_in_one_call(sends):
    activity = upcoming(capacity=30)
    resident = ResidentFactory(user=UserFactory())
    reader = Client()
    assert seats(reader.get(activity.get_absolute_url()).content.decode()) == "30"
    sends.clear()

    services.sign_up(activity=activity, resident=resident)

    [(public, scopes)] = sends
    assert public
    assert {f"resident:{resident.pk}", f"household:{resident.household_id}", "summary"} <= scopes
    assert seats(reader.get(activity.get_absolute_url()).content.decode()) == "29"


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_inside_an_outer_transaction_bumps_again_at_its_commit(sends):
    activity, resident = upcoming(capacity=30), ResidentFactory(user=None)
    sends.clear()
    with transaction.atomic():
        services.sign_up(activity=activity, resident=resident)
        assert len(sends) == 1  # at the end of the service: the writes' bumps
        inside = pagecache.current_version()
    assert len(sends) >= 2  # the commit's, as without a batch
    assert pagecache.current_version() != inside


def test_a_cancellation_sends_its_bumps_in_one_call(sends):
    activity = upcoming(capacity=1)
    holder = services.sign_up(activity=activity, resident=ResidentFactory(user=None)).signup
    services.sign_up(activity=activity, resident=ResidentFactory(user=None))
    sends.clear()

    services.cancel(signup=holder)

    assert len(sends) == 1


# --- on Redis -----------------------------------------------------------------------------

REDIS_URL = os.environ.get("MULTISERVER_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def redis_cache():
    """Our Redis cache under a key prefix of its own (its keys are deleted afterwards)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_URL} ({error})")
    prefix = f"test-bump-{secrets.token_hex(4)}"
    store = RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
    yield store
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_redis_bump_increments_a_counter_and_sets_versions_in_one_round_trip(
    redis_cache, monkeypatch
):
    from redis.connection import AbstractConnection

    redis_cache.set("counter", 41, timeout=None)
    trips = []
    send = AbstractConnection.send_packed_command
    monkeypatch.setattr(
        AbstractConnection,
        "send_packed_command",
        lambda self, *a, **k: trips.append(1) or send(self, *a, **k),
    )

    redis_cache.bump(counters=["counter"], start=1000, values={"a": 7, "b": 8})

    assert len(trips) == 1
    monkeypatch.undo()
    assert redis_cache.get("counter") == 42
    assert redis_cache.get_many(["a", "b"]) == {"a": 7, "b": 8}


def test_redis_bump_starts_a_missing_counter_from_a_value_never_used(redis_cache):
    start = int(timezone.now().timestamp() * 1e9)
    redis_cache.bump(counters=["missing"], start=start)
    assert redis_cache.get("missing") == start + 1
    redis_cache.bump(counters=["missing"], start=start + 10**12)  # exists: incremented
    assert redis_cache.get("missing") == start + 2
    assert redis_cache.incr("missing") == start + 3  # Django's incr reads it as a number


def test_page_versions_are_bumped_through_redis(redis_cache, monkeypatch):
    monkeypatch.setattr(pagecache, "cache", redis_cache)
    version = pagecache.current_version()
    scopes = pagecache.scope_versions(SCOPES)
    with pagecache.batched():
        pagecache.bump_version()
        pagecache._bump_scopes_now(SCOPES)
    assert pagecache.current_version() == version + 1
    assert all(a != b for a, b in zip(scopes, pagecache.scope_versions(SCOPES), strict=True))
    redis_cache.delete(pagecache.VERSION_KEY)  # evicted: starts again from a fresh value
    pagecache.bump_version()
    assert pagecache.current_version() > version + 1
