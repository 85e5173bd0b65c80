"""Issue 11, imports: a file too large for a request is an import job, checked (every row,
nothing written) and then imported in one transaction by the worker, with a progress page
its uploader can leave and come back to. Tasks run at once here (ImmediateBackend) when
their transaction commits (`django_capture_on_commit_callbacks`)."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs import runner, services
from jobs.models import ImportJob
from residents.models import Building, Resident
from tests.factories import (
    BuildingFactory,
    ImportJobFactory,
    ResidentFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:residents_resident_import")
HEADERS = ["姓名", "手机号码", "小区", "楼号", "单元", "门牌号", "出生年份", "党员"]
CSV = "1"  # the import form's format choice (core.admin.StaffImportExportMixin)
NAMES = [
    "王秀英",
    "李建国",
    "张桂兰",
    "刘德华",
    "陈淑珍",
    "杨志强",
    "黄丽娟",
    "赵文华",
    "吴玉梅",
    "周国平",
]


def _rows(count: int, **bad: list) -> list[list]:
    """`count` good rows; `bad` replaces a column's value in the given data rows (0-based)."""
    rows = [
        [NAMES[i % 10], f"1390000{i:04d}", "", "导入楼", "2", f"{300 + i}", 1956, "否"]
        for i in range(count)
    ]
    for column, changes in bad.items():
        index = {"name": 0, "phone": 1, "year": 6}[column]
        for row_index, value in changes:
            rows[row_index][index] = value
    return rows


def _csv(rows) -> bytes:
    return "\r\n".join(",".join(str(c) for c in row) for row in [HEADERS, *rows]).encode()


def _upload(client, data: bytes, url=IMPORT):
    upload = SimpleUploadedFile("居民.csv", data, content_type="text/csv")
    return client.post(url, {"resource": "0", "format": CSV, "import_file": upload})


def _page(client, job):
    return client.get(job.get_absolute_url())


@pytest.fixture(autouse=True)
def _background_from_four_rows(settings, tmp_path):
    settings.IMPORT_BACKGROUND_ROWS = 3
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def building(complex_):
    # A number no BuildingFactory sequence ("N号楼") can draw in the same complex.
    return BuildingFactory(complex=complex_, number="导入楼")


def _private_files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_ROOT).rglob("*") if p.is_file()]


# --- queuing --------------------------------------------------------------------------


def test_a_file_over_the_threshold_is_queued_and_the_request_answers_at_once(
    staff_client, staff_user, building
):
    response = _upload(staff_client, _csv(_rows(5)))

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert job.status == ImportJob.Status.QUEUED
    assert job.uploaded_by == staff_user and job.total_rows == 5
    assert job.target == "residents.resident" and job.file_format == "csv"
    assert not Resident.objects.exists()
    # Stored privately: under PRIVATE_ROOT with a random name, never under MEDIA_ROOT.
    stored = Path(settings.PRIVATE_ROOT) / job.file.name
    assert stored.read_bytes() == _csv(_rows(5))
    assert job.file.name.startswith("imports/") and "居民" not in job.file.name
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        job.file.url  # noqa: B018 - no URL serves it


def test_a_file_within_the_threshold_is_still_previewed_in_the_request(staff_client, building):
    response = _upload(staff_client, _csv(_rows(3)))

    assert response.status_code == 200
    assert response.context["result"].totals["new"] == 3
    assert not ImportJob.objects.exists()


def test_background_imports_take_up_to_their_own_row_limit(staff_client, building, settings):
    settings.IMPORT_MAX_ROWS = 3
    settings.IMPORT_JOB_MAX_ROWS = 6

    taken = _upload(staff_client, _csv(_rows(6)))
    refused = _upload(staff_client, _csv(_rows(7)))

    assert taken.status_code == 302
    [error] = refused.context["form"].errors["import_file"]
    assert "最多导入 6 行" in error
    assert ImportJob.objects.count() == 1


def test_the_import_form_tells_when_files_go_to_the_background(staff_client, settings):
    settings.IMPORT_BACKGROUND_ROWS = 500
    settings.IMPORT_JOB_MAX_ROWS = 50000

    page = staff_client.get(IMPORT).content.decode()

    assert "50,000 行数据" in page and "超过 500 行的文件在后台检查和导入" in page
    assert reverse("admin:jobs_importjob_changelist") in page


def test_a_wrong_file_is_refused_on_the_form_and_queues_nothing(staff_client, building):
    data = "\r\n".join(["name,phone", *[f"王{i},1" for i in range(6)]]).encode()

    response = _upload(staff_client, data)

    assert response.status_code == 200
    assert "缺少这些列" in response.context["form"].errors["import_file"][0]
    assert not ImportJob.objects.exists()


# --- the lifecycle ----------------------------------------------------------------------


def test_a_good_file_is_checked_then_imported_in_one_go_after_confirmation(
    staff_client, building, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(_rows(5)))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY
    assert job.rows_done == 5 and job.error_count == 0 and job.checked_at
    assert not Resident.objects.exists(), "the check writes nothing"
    page = _page(staff_client, job).content.decode()
    assert "检查通过：共 5 行" in page and "确认导入" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.updated, job.skipped) == (5, 0, 0)
    assert sorted(Resident.objects.values_list("phone", flat=True)) == [
        f"1390000{i:04d}" for i in range(5)
    ]
    assert sorted(job.object_ids) == sorted(Resident.objects.values_list("pk", flat=True))
    page = _page(staff_client, job).content.decode()
    assert "新增 5 条，更新 0 条，跳过 0 条" in page
    assert reverse("admin:jobs_importjob_rows", args=[job.pk]) in page
    assert not job.file and _private_files() == []


def test_other_imports_go_through_jobs_too_with_their_own_resource(
    staff_client, building, django_capture_on_commit_callbacks
):
    from residents.models import Household

    rows = [["导入楼", "2", f"{300 + i}", 3] for i in range(4)]
    data = "\r\n".join(
        ",".join(str(c) for c in row) for row in [["楼号", "单元", "门牌号", "户内人数"], *rows]
    ).encode()
    url = reverse("admin:residents_household_import")

    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, data, url=url)
    job = ImportJob.objects.get()
    assert (job.target, job.status) == ("residents.household", ImportJob.Status.READY)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 4)
    assert sorted(Household.objects.values_list("room", flat=True)) == [
        "300",
        "301",
        "302",
        "303",
    ]


def test_an_excel_file_of_activities_with_partners_is_imported_by_the_worker(
    staff_client, django_capture_on_commit_callbacks
):
    from activities.models import Activity
    from tests.factories import ComplexFactory, PartnerFactory
    from tests.test_excel import ACTIVITY_HEADERS, _xlsx

    ComplexFactory(name="铁建丽苑小区")
    PartnerFactory(name="蓝天救援队", short_name="蓝天")
    row = ["应急救护培训", "应急安全", "铁建丽苑小区", "二楼", "2026-12-05 09:30"]
    rows = [
        [f"{row[0]}{i}", *row[1:], "2026-12-05 11:00", 30, "报名中", "是", "蓝天"] for i in range(4)
    ]
    upload = SimpleUploadedFile("活动.xlsx", _xlsx([ACTIVITY_HEADERS, *rows]))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:activities_activity_import"),
            {"resource": "0", "format": "0", "import_file": upload},
        )
    job = ImportJob.objects.get()
    assert (job.file_format, job.status) == ("xlsx", ImportJob.Status.READY)
    assert not Activity.objects.exists(), "the check (which saves and rolls back) wrote nothing"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 4)
    assert {p.name for a in Activity.objects.all() for p in a.partners.all()} == {"蓝天救援队"}
    assert Activity.objects.count() == 4


def test_an_import_updates_the_residents_it_finds_by_phone(
    staff_client, building, django_capture_on_commit_callbacks
):
    ResidentFactory(name="王秀英", phone="13900000000")
    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(_rows(4)))
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created, job.updated) == (ImportJob.Status.DONE, 3, 1)
    assert Resident.objects.count() == 4


def test_bad_rows_are_reported_by_number_and_nothing_is_written(
    staff_client, building, django_capture_on_commit_callbacks
):
    rows = _rows(6, name=[(1, "王1号")], phone=[(3, "12345")], year=[(4, "1800")])

    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(rows))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert job.error_count == 3
    # Excel's numbers: the header is row 1, the first row of data row 2.
    assert [error["row"] for error in job.errors] == [3, 5, 6]
    assert "姓名" in job.errors[0]["messages"][0]
    assert not Resident.objects.exists()
    assert not job.file and _private_files() == []
    page = _page(staff_client, job).content.decode()
    assert "第 3 行" in page and "第 5 行" in page and "没有写入任何数据" in page
    assert "确认导入" not in page


def test_a_repeated_phone_anywhere_in_the_file_is_refused(
    staff_client, building, django_capture_on_commit_callbacks
):
    rows = _rows(5, phone=[(4, "13900000000")])

    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(rows))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [{"row": 6, "messages": ["手机号码：与第2行的手机号码重复。"]}]


def test_errors_come_in_the_uploaders_language(
    staff_client, building, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(_rows(5, name=[(0, "王1号")])), url="/en" + IMPORT)

    job = ImportJob.objects.get()
    assert job.language == "en"
    [error] = job.errors
    assert error["row"] == 2
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in error["messages"][0].split("：", 1)[1])


def test_an_import_that_fails_at_the_confirmation_writes_nothing(
    staff_client, building, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(staff_client, _csv(_rows(5)))
    job = ImportJob.objects.get()
    # Between the check and the confirmation, the building goes: no row can be placed.
    Building.objects.filter(pk=building.pk).delete()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 5 and job.created == 0
    assert not Resident.objects.exists()
    assert not job.file and _private_files() == []


def test_the_worker_leaves_a_job_that_is_no_longer_queued_alone(building, staff_user):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.CANCELLED)

    assert runner.check_job(job.pk) is None
    assert runner.import_job(job.pk) is None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED


def test_a_job_whose_file_cannot_be_read_is_invalid_with_a_sentence(staff_user):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.QUEUED, total_rows=5)
    job.file.save("x.csv", ContentFile(b"\xff\xfe\x00garbage"), save=True)

    runner.check_job(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    assert "编码" in job.message or "CSV" in job.message
    assert not job.file


# --- progress ---------------------------------------------------------------------------


def test_the_progress_page_shows_rows_done_and_refreshes_itself(staff_client, staff_user):
    job = ImportJobFactory(
        uploaded_by=staff_user, status=ImportJob.Status.VALIDATING, total_rows=1200
    )
    services.report_progress(job_id=job.pk, rows_done=400)

    page = _page(staff_client, job).content.decode()

    assert 'http-equiv="refresh"' in page
    assert 'max="1200" value="400"' in page
    assert re.search(r"400 / 1,?200 行", page)


def test_progress_during_the_import_comes_from_the_shared_cache(
    staff_user, django_assert_num_queries
):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.IMPORTING)
    from django.db import transaction

    with transaction.atomic():  # as the import's own transaction
        services.report_progress(job_id=job.pk, rows_done=250)

    job.refresh_from_db()
    assert job.rows_done == 0
    assert services.rows_done(job) == 250


def test_the_import_counts_its_rows_from_zero_after_the_check(staff_client, staff_user):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.VALIDATING)
    with transaction.atomic():  # the check's own transaction
        services.report_progress(job_id=job.pk, rows_done=600)
    services.finish_check(job_id=job.pk, errors=[])

    services.confirm_import(job=job, user=staff_user)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING
    assert services.rows_done(job) == 0


def test_a_finished_job_stops_refreshing(staff_client, staff_user):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.DONE, created=600)

    page = _page(staff_client, job).content.decode()

    assert 'http-equiv="refresh"' not in page


def test_the_progress_page_queries_do_not_grow_with_the_errors(staff_client, staff_user):
    few = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.INVALID,
        errors=[{"row": 2, "messages": ["姓名：请填写姓名。"]}],
        error_count=1,
    )
    many = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.INVALID,
        errors=[{"row": n, "messages": ["姓名：请填写姓名。"]} for n in range(2, 1002)],
        error_count=1000,
    )
    _page(staff_client, few)  # the session and the user, read once

    with CaptureQueriesContext(connection) as one:
        _page(staff_client, few)
    with CaptureQueriesContext(connection) as thousand:
        page = _page(staff_client, many).content.decode()

    assert len(thousand) == len(one) <= 8
    assert page.count("<tr><td>") == 1000


def test_the_job_list_queries_do_not_grow_with_the_jobs(staff_client, staff_user):
    url = reverse("admin:jobs_importjob_changelist")
    ImportJobFactory(uploaded_by=staff_user)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url)
    ImportJobFactory.create_batch(10)

    with CaptureQueriesContext(connection) as eleven:
        response = staff_client.get(url)

    assert response.status_code == 200
    assert len(eleven) == len(one)


def test_the_imported_rows_page_links_each_record(staff_client, staff_user, building):
    residents = ResidentFactory.create_batch(3)
    job = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.DONE,
        object_ids=[r.pk for r in residents],
    )

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get(reverse("admin:jobs_importjob_rows", args=[job.pk]))

    text = page.content.decode()
    for resident in residents:
        assert reverse("admin:residents_resident_change", args=[resident.pk]) in text
    # Session, user, job, the rows, their links; one more since the admin reads the user's
    # work scope (residents.scoping) to cut the rows to their communities.
    assert len(queries) <= 9


# --- who may do what ---------------------------------------------------------------------


def test_other_staff_see_a_job_but_only_its_uploader_confirms_or_cancels(client, building):
    job = ImportJobFactory()
    other = StaffUserFactory()
    client.force_login(other)

    page = _page(client, job)
    listed = client.get(reverse("admin:jobs_importjob_changelist"))
    confirm = client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))
    cancel = client.post(reverse("admin:jobs_importjob_cancel", args=[job.pk]))

    assert page.status_code == 200 and "确认导入" not in page.content.decode()
    assert job.file_name in listed.content.decode()
    assert confirm.status_code == cancel.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_the_secretary_reads_jobs_but_never_starts_or_confirms_one(
    secretary_client, secretary_user, building
):
    job = ImportJobFactory(uploaded_by=secretary_user)  # even one in her name

    page = _page(secretary_client, job)
    upload = _upload(secretary_client, _csv(_rows(5)))
    confirm = secretary_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    assert page.status_code == 200 and "确认导入" not in page.content.decode()
    assert upload.status_code == 403
    assert confirm.status_code == 403
    assert ImportJob.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_residents_and_strangers_never_reach_a_job(client, who, resident):
    job = ImportJobFactory()
    if who == "resident":
        client.force_login(resident.user)

    urls = [
        job.get_absolute_url(),
        reverse("admin:jobs_importjob_changelist"),
        reverse("admin:jobs_importjob_rows", args=[job.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url
    response = client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_confirming_twice_imports_once(staff_client, staff_user, building):
    job = ImportJobFactory(uploaded_by=staff_user, status=ImportJob.Status.DONE)

    response = staff_client.post(reverse("admin:jobs_importjob_confirm", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


# --- the uploaded file goes ---------------------------------------------------------------


def test_cancelling_deletes_the_file_and_keeps_the_history(staff_client, staff_user):
    job = ImportJobFactory(uploaded_by=staff_user)
    job.file.save("a.csv", ContentFile(b"x"), save=True)
    assert _private_files()

    staff_client.post(reverse("admin:jobs_importjob_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and job.finished_at
    assert not job.file and _private_files() == []


def test_unconfirmed_jobs_expire_after_the_days_kept(staff_user, settings):
    settings.IMPORT_JOB_KEEP_DAYS = 7
    old = ImportJobFactory(uploaded_by=staff_user, checked_at=timezone.now() - dt.timedelta(days=8))
    recent = ImportJobFactory(uploaded_by=staff_user)
    for job in (old, recent):
        job.file.save("a.csv", ContentFile(b"x"), save=True)

    from django.core.management import call_command

    out = io.StringIO()
    call_command("expire_import_jobs", stdout=out)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == ImportJob.Status.EXPIRED and not old.file
    assert recent.status == ImportJob.Status.READY and recent.file
    assert len(_private_files()) == 1
    assert "ended 1 import job" in out.getvalue()


def test_jobs_the_worker_stopped_in_fail_and_lose_their_file(staff_user):
    now = timezone.now()
    stopped = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.IMPORTING,
        started_at=now - dt.timedelta(hours=7),
    )
    running = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.VALIDATING,
        started_at=now - dt.timedelta(minutes=5),
    )
    waiting = ImportJobFactory(
        uploaded_by=staff_user,
        status=ImportJob.Status.IMPORTING,
        confirmed_at=now - dt.timedelta(days=8),
        started_at=None,
    )
    for job in (stopped, running, waiting):
        job.file.save("a.csv", ContentFile(b"x"), save=True)

    assert services.expire_old_jobs() == 2

    for job in (stopped, running, waiting):
        job.refresh_from_db()
    assert stopped.status == ImportJob.Status.FAILED and "中断" in stopped.message
    assert not stopped.file
    assert waiting.status == ImportJob.Status.EXPIRED and not waiting.file
    assert running.status == ImportJob.Status.VALIDATING and running.file
