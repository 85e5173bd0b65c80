#!/usr/bin/env python
"""Benchmark: the subdistrict summary (every community side by side and the total) and
each community's monthly summary, on the database in DATABASE_URL (PostgreSQL loaded with
`manage.py seed_bench --communities N`; see bench/README.md). Timed warm, median of
several runs; the subdistrict summary should stay under 1 s (issue 13) and its query count
must not depend on the number of communities.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian_bench \\
        .venv/bin/python bench/subdistrict_summary.py [--year 2026 --month 10] [--runs 5]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.periods import add_months  # noqa: E402
from residents.models import Subdistrict  # noqa: E402
from summary.report import monthly_summary  # noqa: E402
from summary.subdistrict import subdistrict_summary  # noqa: E402

TARGET_SECONDS = 1.0


def _timed(fn, runs: int) -> tuple[float, int]:
    """(median seconds of `runs` warm runs, queries of one run)."""
    fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(ctx.captured_queries)


def main() -> int:
    today = timezone.localdate()
    last_month = add_months(today.year, today.month, -1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=last_month[0])
    parser.add_argument("--month", type=int, default=last_month[1])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM activities_signup")
        signups = cursor.fetchone()[0]
    subdistrict = (
        Subdistrict.objects.filter(communities__isnull=False).order_by("pk").distinct().first()
    )
    communities = list(subdistrict.communities.order_by("name", "pk"))
    print(f"{subdistrict.name}: {len(communities)} communities, {signups:,} sign-ups")
    worst = 0.0
    for label, (year, month) in (
        ("closed month", (args.year, args.month)),
        ("running month", (today.year, today.month)),
    ):
        seconds, queries = _timed(
            lambda y=year, m=month: subdistrict_summary(
                year=y, month=m, communities=communities, subdistrict=subdistrict
            ),
            args.runs,
        )
        worst = max(worst, seconds)
        print(
            f"subdistrict_summary {year}-{month:02d} ({label}): {seconds * 1000:8.1f} ms, "
            f"{queries} queries (median of {args.runs})"
        )
    one = communities[0]
    seconds, queries = _timed(
        lambda: monthly_summary(year=args.year, month=args.month, community=one), args.runs
    )
    print(f"monthly_summary of {one.name}: {seconds * 1000:8.1f} ms, {queries} queries")
    seconds, queries = _timed(lambda: monthly_summary(year=args.year, month=args.month), args.runs)
    print(f"monthly_summary of the whole installation: {seconds * 1000:8.1f} ms, {queries} queries")
    print(
        f"subdistrict summary under {TARGET_SECONDS:g} s: {'yes' if worst < TARGET_SECONDS else 'NO'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
