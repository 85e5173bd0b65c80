"""Django's Redis cache, with one `redis.Redis` client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache
operation (its ~170 response callbacks each time: 0.1–0.3 ms of Python per call); a page
served from the page cache or a sign-up makes four to eight of them. A `redis.Redis` is
safe to share between threads (each command borrows a connection from the pool), so one
per pool does the same work. Chosen by `config.settings` for every `redis://` CACHE_URL.

`RedisCache.bump()` sends the page cache's version bumps (`core.pagecache`) in one round
trip.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def bump(self, counters, start: int, values: dict) -> None:
        pipeline = self.get_client(None, write=True).pipeline(transaction=False)
        for key in counters:
            pipeline.set(key, start, nx=True)
            pipeline.incr(key)
        if values:
            pipeline.mset({key: self._serializer.dumps(v) for key, v in values.items()})
        pipeline.execute()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def bump(self, *, counters=(), start: int, values: dict | None = None) -> None:
        """In ONE round trip (a pipeline, not a transaction): increment each key of
        `counters` (one that is missing starts from `start`, then is incremented), and set
        `values` without expiry. Django's `incr()` is two round trips (EXISTS, INCRBY) and
        `set_many()` one more (MULTI, MSET, EXEC); the page cache's bumps use this."""
        self._cache.bump(
            [self.make_and_validate_key(key) for key in counters],
            start,
            {self.make_and_validate_key(key): v for key, v in (values or {}).items()},
        )
