"""The Django side of the HTTP benchmark (bench/run.py calls it; no page imports it).

    python -m bench.prepare setup --out state.json --signups-file signups.tsv
    python -m bench.prepare check --state state.json
    python -m bench.prepare cleanup

Run with the same environment as the server it prepares for (DATABASE_URL, CACHE_URL,
SECRET_KEY, BENCH_VIEWS=1): the sessions it writes must be the server's.

`setup` removes what an earlier run left, creates the insert floor's table and
`SIGNUP_ACTIVITIES` open activities (capacity `--capacity`, far enough ahead not to be on
the first page of any list) for the concurrent sign-ups, logs in (writes sessions for) every
resident with a login and the secretary, and writes what the harness needs: cookies, the
URLs of the scenarios, and one line per sign-up request (path, session, CSRF token).
`check` counts the sign-ups made on those activities: confirmed never above capacity.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from importlib import import_module

BENCH_TITLE = "压测报名活动"
SIGNUP_ACTIVITIES = 100


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _session_for(user) -> str:
    """A logged-in session for `user`, as `django.contrib.auth.login` writes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from core.middleware import STAFF_LOGIN_AT

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_staff:
        store.set_expiry(0)
        store[STAFF_LOGIN_AT] = int(time.time())
    store.save(must_create=True)
    return store.session_key


def cleanup() -> int:
    """Remove the sign-up activities (and their sign-ups) an earlier run left."""
    from django.db import transaction

    from activities.models import Activity, SignUp

    with transaction.atomic():
        activities = Activity.objects.filter(title__startswith=BENCH_TITLE)
        ids = list(activities.values_list("pk", flat=True))
        SignUp.history.filter(activity_id__in=ids).delete()
        SignUp.objects.filter(activity_id__in=ids).delete()
        Activity.history.filter(id__in=ids).delete()
        activities.delete()
    return len(ids)


def setup(*, out: str, signups_file: str, capacity: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from activities import selectors
    from activities.models import Activity
    from bench.views import ensure_insert_table
    from core.periods import add_months
    from core.roles import SECRETARY_GROUP
    from residents.models import Complex, Resident

    cleanup()
    ensure_insert_table()
    now = timezone.now()
    starts = timezone.localtime(now).replace(hour=9, minute=30, second=0, microsecond=0)
    starts += dt.timedelta(days=200)
    complex_ = Complex.objects.order_by("pk").first()
    activities = [
        Activity(
            title=f"{BENCH_TITLE} {n + 1:03d}",
            complex=complex_,
            place="党员阵地",
            starts_at=starts + dt.timedelta(minutes=n),
            ends_at=starts + dt.timedelta(minutes=n, hours=1),
            capacity=capacity,
            status=Activity.Status.OPEN,
        )
        for n in range(SIGNUP_ACTIVITIES)
    ]
    for activity in activities:
        activity.full_clean()
    Activity.objects.bulk_create(activities)
    activities = list(Activity.objects.filter(title__startswith=BENCH_TITLE).order_by("pk"))

    residents = list(
        Resident.objects.filter(user__isnull=False, user__is_active=True, anonymised_at=None)
        .select_related("user")
        .order_by("pk")
    )
    if not residents:
        sys.exit("no resident with a login: load the demo first")
    logged_in = [
        (_session_for(r.user), get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS))
        for r in residents
    ]
    # Request i signs resident i // 100 up for activity i % 100: consecutive requests go to
    # different activities, and no pair comes twice.
    with open(signups_file, "w", encoding="utf-8") as lines:
        for session, token in logged_in:
            for activity in activities:
                cookie = (
                    f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}"
                )
                lines.write(f"/activities/{activity.pk}/sign-up/\t{cookie}\t{token}\n")

    secretary = (
        get_user_model()
        .objects.filter(groups__name=SECRETARY_GROUP, is_active=True)
        .order_by("pk")
        .first()
    )
    detail = selectors.upcoming_activities(now=now).exclude(title__startswith=BENCH_TITLE)[:1]
    detail = detail[0] if detail else activities[0]
    today = timezone.localdate(now)
    last_year, last_month = add_months(today.year, today.month, -1)
    state = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "resident_session": logged_in[0][0],
        "csrf_token": logged_in[0][1],
        "secretary_session": _session_for(secretary) if secretary else None,
        "detail_path": f"/activities/{detail.pk}/",
        "pk_path": f"/bench/pk/{detail.pk}",
        "summary_path": f"/summary/{last_year}/{last_month:02d}/",
        "signup_activities": [a.pk for a in activities],
        "signup_requests": len(logged_in) * len(activities),
        "capacity": capacity,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)


def check(*, state: str) -> dict:
    """Sign-ups made on the run's activities, and any activity confirmed above capacity."""
    from django.db.models import Count, Q

    from activities.models import Activity, SignUp

    with open(state, encoding="utf-8") as f:
        ids = json.load(f)["signup_activities"]
    rows = Activity.objects.filter(pk__in=ids).annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignUp.Status.CONFIRMED)),
        total=Count("signups"),
    )
    overbooked = [
        {"activity": a.pk, "confirmed": a.confirmed, "capacity": a.capacity}
        for a in rows
        if a.capacity is not None and a.confirmed > a.capacity
    ]
    duplicates = (
        SignUp.objects.filter(activity_id__in=ids)
        .values("activity_id", "resident_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "signups": sum(a.total for a in rows),
        "confirmed": sum(a.confirmed for a in rows),
        "overbooked": overbooked,
        "duplicates": duplicates,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--out", required=True)
    p.add_argument("--signups-file", required=True)
    p.add_argument("--capacity", type=int, default=30)
    p = sub.add_parser("check")
    p.add_argument("--state", required=True)
    sub.add_parser("cleanup")
    args = parser.parse_args(argv)
    _django()
    if args.action == "setup":
        setup(out=args.out, signups_file=args.signups_file, capacity=args.capacity)
    elif args.action == "check":
        print(json.dumps(check(state=args.state)))
    else:
        print(json.dumps({"removed": cleanup()}))


if __name__ == "__main__":
    main()
