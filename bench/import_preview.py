#!/usr/bin/env python
"""Benchmark: the back office's import of a large residents CSV.

Builds a CSV of `--rows` residents (a tenth of them already registered, the others new,
spread over the households of the database's buildings), uploads it to the residents'
import page as a member of staff would (Django's test client, the whole admin view), and
prints the time and the number of queries of the preview (a dry run: nothing is written).

With `--background` (files over IMPORT_BACKGROUND_ROWS become import jobs, see jobs/):
times the upload's request, then the worker (`manage.py db_worker --batch`, the real
worker, run once for the check and once more after the confirmation), and WRITES the rows:
use a database made for it (e.g. a copy of the demo).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian_imports \\
        .venv/bin/python bench/import_preview.py [--rows 20000] [--no-limit] [--background]

Needs a database with the demo (`manage.py load_demo`) or `seed_bench` data.
"""

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from core.roles import STAFF_GROUP  # noqa: E402
from residents.models import Building, Resident  # noqa: E402

HEADERS = ["姓名", "手机号码", "小区", "楼号", "单元", "门牌号", "出生年份", "党员"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def build_csv(rows: int) -> bytes:
    buildings = list(Building.objects.select_related("complex").order_by("pk"))
    if not buildings:
        raise SystemExit("no buildings: run manage.py load_demo first")
    existing = list(
        Resident.objects.exclude(phone="")
        .order_by("pk")
        .values_list("phone", flat=True)[: rows // 10]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for i in range(rows):
        phone = existing[i] if i < len(existing) else f"151{i:08d}"
        building = buildings[i % len(buildings)]
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[i % 13]
        unit = str(1 + (i // 3) % 4)
        room = f"{1 + (i // 12) % 18}{1 + (i // 4) % 3:02d}"
        birth_year = 1940 + i % 70
        party = "是" if i % 9 == 0 else "否"
        complex_name = building.complex.name
        writer.writerow([name, phone, complex_name, building.number, unit, room, birth_year, party])
    return out.getvalue().encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--no-limit", action="store_true", help="lift IMPORT_MAX_ROWS for this run")
    parser.add_argument(
        "--background", action="store_true", help="as an import job (writes the rows)"
    )
    args = parser.parse_args()

    setup_test_environment()
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(groups__name=STAFF_GROUP, is_active=True).first()
    if staff is None:
        raise SystemExit("no active member of staff: run manage.py load_demo first")
    client = Client()
    client.force_login(staff)
    data = build_csv(args.rows)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"rows: {args.rows}, file: {len(data) / 1e6:.2f} MB")

    if args.background:
        return background(client, data, args.rows)
    limits = {"IMPORT_MAX_ROWS": args.rows, "IMPORT_MAX_BYTES": len(data) + 1}
    # The preview within the request, whatever the file's size (no import job).
    with override_settings(IMPORT_BACKGROUND_ROWS=0, **(limits if args.no_limit else {})):
        upload = SimpleUploadedFile("居民.csv", data, content_type="text/csv")
        url = reverse("admin:residents_resident_import")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post(url, {"resource": "0", "format": "1", "import_file": upload})
            seconds = time.perf_counter() - started
    context = response.context or {}
    result = context.get("result") if hasattr(context, "get") else None
    form = context.get("form") if hasattr(context, "get") else None
    print(f"status: {response.status_code}, preview: {seconds:.1f} s, queries: {len(queries)}")
    if result is not None:
        print(
            f"result: {len(result.rows)} rows, totals {dict(result.totals)}, "
            f"invalid rows {len(result.invalid_rows)}, errors {len(result.row_errors())}"
        )
    if form is not None and form.errors:
        print(f"refused: {form.errors.as_text()}")
    return 0


def _worker() -> float:
    """The real worker, once through every queued task; its time in seconds."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0.1, verbosity=0)
    return time.perf_counter() - started


def background(client, data: bytes, rows: int) -> int:
    from jobs.models import ImportJob

    url = reverse("admin:residents_resident_import")
    upload = SimpleUploadedFile("居民.csv", data, content_type="text/csv")
    before = Resident.objects.count()
    started = time.perf_counter()
    response = client.post(url, {"resource": "0", "format": "1", "import_file": upload})
    upload_seconds = time.perf_counter() - started
    job = ImportJob.objects.order_by("-pk").first()
    if response.status_code != 302 or job is None:
        form = (response.context or {}).get("form")
        print(f"not queued: {response.status_code} {form.errors.as_text() if form else ''}")
        return 1
    print(f"upload: status {response.status_code} in {upload_seconds:.2f} s → job {job.pk}")
    check_seconds = _worker()
    job.refresh_from_db()
    print(f"check (worker): {check_seconds:.1f} s → {job.status}, {job.error_count} bad rows")
    if job.status != ImportJob.Status.READY:
        print(f"errors: {job.errors[:5]} {job.message}")
        return 1
    page_started = time.perf_counter()
    client.get(job.get_absolute_url())
    page_seconds = time.perf_counter() - page_started
    started = time.perf_counter()
    client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))
    confirm_seconds = time.perf_counter() - started
    import_seconds = _worker()
    job.refresh_from_db()
    total = upload_seconds + check_seconds + confirm_seconds + import_seconds
    print(
        f"progress page: {page_seconds:.2f} s; confirm: {confirm_seconds:.2f} s; "
        f"import (worker): {import_seconds:.1f} s → {job.status}: created {job.created}, "
        f"updated {job.updated}, skipped {job.skipped}"
    )
    print(f"residents: {before} → {Resident.objects.count()}; queue + finish: {total:.1f} s")
    return 0 if job.status == ImportJob.Status.DONE else 1


if __name__ == "__main__":
    sys.exit(main())
