"""What the environment turns on for several servers (config/settings.py), read from a fresh
process as a server would: a shared cache makes sessions `cached_db`, REDIS_URL counts as the
cache, and DATABASE_REPLICA_URL installs the replica, its router and its middleware."""

import json

from tests.test_settings import PRODUCTION, run_django

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], 'session': s.SESSION_ENGINE, "
    "'databases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
    "'middleware': s.MIDDLEWARE[-2:], 'mirror': s.DATABASES.get('replica', {}).get('TEST')}))"
)


def _settings(**env) -> dict:
    base = {"DJANGO_SETTINGS_MODULE": "config.settings", "CACHE_URL": "", "REDIS_URL": ""}
    result = run_django("-c", SHOW, **{**base, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_shared_cache_sessions_stay_in_the_database_and_nothing_is_routed():
    shown = _settings(DATABASE_REPLICA_URL="")
    assert shown["cache"].endswith("LocMemCache")
    assert shown["session"] == "django.contrib.sessions.backends.db"
    assert shown["databases"] == ["default"]
    assert shown["routers"] == []


def test_redis_url_gives_a_shared_cache_and_sessions_read_through_it():
    shown = _settings(REDIS_URL=PRODUCTION["CACHE_URL"])
    # Django's Redis cache with one client per connection pool (core/cache.py).
    assert shown["cache"] == "core.cache.RedisCache"
    assert shown["session"] == "django.contrib.sessions.backends.cached_db"


def test_a_replica_url_installs_the_replica_router_and_middleware():
    shown = _settings(DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/gongjian")
    assert shown["databases"] == ["default", "replica"]
    assert shown["routers"] == ["core.dbrouting.ReplicaRouter"]
    assert shown["middleware"] == [
        "core.dbrouting.ReplicaReadsMiddleware",
        "axes.middleware.AxesMiddleware",
    ]
    assert shown["mirror"]["MIRROR"] == "default"  # tests never need a second database
