"""Where one sign-up request's time goes: cProfile and the SQL of N sign-up POSTs through
Django's test client, with production settings (DEBUG=0, Redis cache) on a bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian_bench_l \\
    CACHE_URL=redis://127.0.0.1:6379/14 .venv/bin/python -m bench.profile_signup [-n 60]

It signs one bench resident up to N upcoming activities that have seats (or no limit) and
that the resident is not on (never those of the running benchmark's sign-up scenario: it prepares
fresh ones), one after the other, then prints the time per request split by what it was
spent on (cumulative time of the named functions, so the groups overlap where one calls
another) and the statements of one request.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-profile-signup-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

#: (label, "file ending:function") — that function's cumulative time per request.
GROUPS = [
    ("whole request (test client)", "django/test/client.py:generic"),
    ("  middleware + view: Django handler", "base.py:_get_response"),
    ("  session load", "sessions/backends/base.py:_get_session"),
    ("  session save (SessionMiddleware)", "sessions/middleware.py:process_response"),
    ("  request.user (auth)", "auth/__init__.py:get_user"),
    ("  view sign_up", "activities/views.py:sign_up"),
    ("    services.sign_up", "activities/services.py:sign_up"),
    ("      full_clean", "base.py:full_clean"),
    ("      roll-ups (general recount)", "activities/rollups.py:signups_changed"),
    ("      roll-ups (one statement)", "activities/rollups.py:seats_changed"),
    ("      transaction exit: COMMIT + on_commit hooks", "django/db/transaction.py:__exit__"),
    ("      the history row", "simple_history/models.py:create_historical_record"),
    ("      page cache: public version bump", "core/pagecache.py:bump_version"),
    ("      page cache: scope bumps", "core/pagecache.py:_bump_scopes_now"),
    ("      page cache: bumps sent (batched)", "core/pagecache.py:_send"),
    ("    messages.add", "messages/api.py:add_message"),
    ("    redirect", "shortcuts.py:redirect"),
    ("  messages stored (MessageMiddleware)", "messages/middleware.py:process_response"),
    ("  CSRF check", "middleware/csrf.py:process_view"),
    ("all SQL (cursor.execute)", "django/db/backends/utils.py:_execute"),
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats order of the top functions")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, F, Q
    from django.test import Client
    from django.utils import timezone

    from activities.models import Activity, SignUp
    from residents.models import Resident

    candidates = list(
        Resident.objects.filter(
            user__isnull=False, user__is_active=True, user__is_staff=False
        ).values_list("pk", flat=True)
    )
    # another one each run (each run signs its resident up to 2n activities)
    resident = Resident.objects.get(pk=candidates[int(time.time()) % len(candidates)])
    activities = list(
        Activity.objects.visible()
        .filter(starts_at__gt=timezone.now())
        .exclude(signups__resident=resident)
        .annotate(taken=Count("signups", filter=Q(signups__status=SignUp.Status.CONFIRMED)))
        # seats left, or no limit (once the runs have filled the others' seats)
        .filter(Q(capacity__isnull=True) | Q(taken__lt=F("capacity")))
        .order_by("starts_at")[: 2 * args.n + 2]
    )
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(resident.user)
    urls = [f"/activities/{a.pk}/sign-up/" for a in activities[: args.n + 2]]

    def post(url):
        response = client.post(url, secure=True)
        # The browser shows the message on the page it is sent back to, and the benchmark
        # sends the same cookies each time: never a pile of unread messages in the cookie.
        client.cookies.pop("messages", None)
        return response

    post(urls[0])  # warm up: connections, templates, content types

    statements = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed), _redis_calls() as redis_calls:
        response = post(urls[1])
    assert response.status_code == 302, response.status_code
    one = list(statements)
    statements.clear()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        for url in urls[2:]:
            post(url)
    unprofiled, cpu = time.perf_counter() - started, time.process_time() - cpu
    by_shape = {}
    for seconds, sql in statements:
        shape = sql[:110]
        count, total = by_shape.get(shape, (0, 0.0))
        by_shape[shape] = (count + 1, total + seconds)
    urls = urls[:2] + [f"/activities/{a.pk}/sign-up/" for a in activities[len(urls) :]]

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for url in urls[2:]:
        post(url)
    profile.disable()
    took = time.perf_counter() - started
    n = len(urls) - 2

    if n < 1:
        raise SystemExit("not enough upcoming activities with seats for this resident")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(
        f"{n} sign-ups, one after the other: {unprofiled / n * 1000:.1f} ms each "
        f"(SQL timed, not profiled), {took / n * 1000:.1f} ms each profiled"
    )
    print(f"  this process's CPU (not profiled): {cpu / n * 1000:.1f} ms each")
    stats = pstats.Stats(profile)
    cumulative = {}
    for (filename, _line, function), row in stats.stats.items():
        key = f"{filename}:{function}"
        cumulative[key] = cumulative.get(key, 0.0) + row[3]
    print("\nms per request (cumulative, groups overlap):")
    for label, needle in GROUPS:
        path, function = needle.rsplit(":", 1)
        total = sum(
            t
            for key, t in cumulative.items()
            if key.rsplit(":", 1)[0].endswith(path) and key.rsplit(":", 1)[1] == function
        )
        print(f"  {label:<52} {total / n * 1000:7.2f}")
    commands = [name for batch in redis_calls for name in batch]
    print(
        f"\nRedis of one sign-up request: {len(redis_calls)} round trips, "
        f"{len(commands)} commands: {' '.join(commands)}"
    )
    print(f"\nstatements of one sign-up request ({len(one)}):")
    for seconds, sql in one:
        print(f"  {seconds * 1000:7.2f} ms  {sql[:140]}")
    print(f"\nstatements by shape, ms per request ({n} other sign-ups, unprofiled):")
    for shape, (count, total) in sorted(by_shape.items(), key=lambda kv: -kv[1][1]):
        print(f"  {total / n * 1000:7.2f} ms  x{count / n:.1f}  {shape}")
    print(f"\ntop {args.top} functions by {args.sort}:")
    stats.sort_stats(args.sort).print_stats(args.top)


@contextlib.contextmanager
def _redis_calls():
    """The Redis round trips made inside the block: a list of the command names sent in
    each (a pipeline sends several in one)."""
    from redis.connection import AbstractConnection

    calls: list[list[str]] = []
    one, many = AbstractConnection.send_command, AbstractConnection.pack_commands

    def send_command(self, *args, **kwargs):
        calls.append([str(args[0])])
        return one(self, *args, **kwargs)

    def pack_commands(self, commands):
        calls.append([str(args[0]) for args in commands])
        return many(self, commands)

    AbstractConnection.send_command = send_command
    AbstractConnection.pack_commands = pack_commands
    try:
        yield calls
    finally:
        AbstractConnection.send_command, AbstractConnection.pack_commands = one, many


if __name__ == "__main__":
    main()
