#!/usr/bin/env python
"""Benchmark: the monthly summary against one `SELECT count(*)` of the sign-ups.

Runs on the database configured by DATABASE_URL (meant for PostgreSQL loaded with
`manage.py seed_bench`; see bench/README.md). Both are timed warm, in the same run, as the
median of several runs; the summary should take at most 5× the count and under 250 ms
(issue 12; a closed month is read from the roll-ups, activities/rollups.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian_bench \\
        .venv/bin/python bench/summary.py [--year 2026 --month 10] [--runs 5] [--queries]
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
from summary.report import monthly_summary  # noqa: E402

TARGET_RATIO = 5.0
TARGET_SECONDS = 0.25


def _median_seconds(fn, runs: int) -> float:
    fn()  # warm: connection, caches, query plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    today = timezone.localdate()
    last_month = add_months(today.year, today.month, -1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=last_month[0])
    parser.add_argument("--month", type=int, default=last_month[1])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--queries", action="store_true", help="list each query's time")
    args = parser.parse_args()

    vendor = connection.vendor
    print(f"database: {vendor} {connection.settings_dict.get('NAME')}")
    if vendor != "postgresql":
        print(
            "note: the targets are for PostgreSQL (DATABASE_URL=postgres://…); "
            "SQLite numbers are only indicative."
        )

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM activities_signup")
            return cursor.fetchone()[0]

    signups = count()
    print(f"sign-ups in the table: {signups:,}")

    def summary():
        return monthly_summary(year=args.year, month=args.month)

    with CaptureQueriesContext(connection) as ctx:
        s = summary()
    print(
        f"month: {args.year}-{args.month:02d} · activities held {s.activities_held.value:,} · "
        f"attendance {s.attendance.value:,} · households reached "
        f"{s.households_reached.value:,} · queries {len(ctx.captured_queries)}"
    )
    if args.queries:
        for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"])):
            print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:110]}")

    count_s = _median_seconds(count, args.runs)
    summary_s = _median_seconds(summary, args.runs)
    ratio = summary_s / count_s if count_s else float("inf")
    print(
        f"SELECT count(*) FROM activities_signup: {count_s * 1000:8.1f} ms (median of {args.runs})"
    )
    print(
        f"monthly_summary({args.year}, {args.month}):      {summary_s * 1000:8.1f} ms "
        f"(median of {args.runs})"
    )
    print(
        f"ratio: {ratio:.1f}× (target ≤ {TARGET_RATIO:g}×: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})"
    )
    print(f"under {TARGET_SECONDS * 1000:g} ms: {'yes' if summary_s < TARGET_SECONDS else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
