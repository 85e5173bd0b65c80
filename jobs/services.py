"""Writes about import jobs: queue one, move it through its states, confirm, cancel,
expire. Keyword-only, one transaction each, the job's row locked before it is checked.

The states (`ImportJob.Status`):

    queued → validating → invalid (a row is refused: nothing written, the file deleted)
                        → ready (awaiting its uploader's confirmation)
    ready → importing (confirmed; the worker writes it) → done (in one transaction)
                                                      | failed (nothing written)
    queued | ready → cancelled (by its uploader) | expired (after IMPORT_JOB_KEEP_DAYS)
    validating | importing → failed, when the worker stopped in the middle (nothing is
        written: the import is one transaction) and STALE_AFTER has passed

The work itself (reading the file, the dry run, the import) is in `jobs.runner`, run by
the worker through `jobs.tasks`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.imports import too_many_rows

from .models import ImportJob

logger = logging.getLogger(__name__)

#: The refused rows kept on a job for its page (the count covers them all).
MAX_ERRORS_KEPT = 1000

#: A check or import still running after this long was stopped (the worker was killed or
#: the server restarted): 50,000 rows take minutes.
STALE_AFTER = dt.timedelta(hours=6)


def _progress_key(job_id: int) -> str:
    return f"jobs:import:{job_id}:rows"


def _progress():
    """The cache the progress goes through (settings.CACHES["jobs"]: shared by every process)."""
    return caches["jobs"]


def _locked(job_id: int) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job_id)


def _uploaders(job_id: int, user, *, allowed, not_uploader: str, not_now: str) -> ImportJob:
    """The job, locked, if `user` uploaded it and it is in one of the `allowed` states."""
    job = _locked(job_id)
    if job.uploaded_by_id != user.pk:
        raise ValidationError(not_uploader, code="not_uploader")
    if job.status not in allowed:
        raise ValidationError(
            not_now % {"status": job.get_status_display()}, code="not_in_this_state"
        )
    return job


def _forget_file(job: ImportJob) -> None:
    """Delete the uploaded file (kept only while the job may still need it)."""
    if job.file:
        name = job.file.name
        job.file.delete(save=False)
        logger.info("Import job %s: deleted its file %s", job.pk, name)


def _enqueue(task, job_id: int) -> None:
    # After the commit: the worker must find the job in its new state.
    transaction.on_commit(lambda: task.enqueue(job_id))


def queue_import(
    *,
    user,
    target: str,
    resource_index: int,
    file_format: str,
    upload,
    total_rows: int,
    language: str,
) -> ImportJob:
    """Store the upload privately and queue the job's check (a dry run over every row)."""
    from .tasks import check_import_job

    if total_rows > settings.IMPORT_JOB_MAX_ROWS:
        refusal = too_many_rows(settings.IMPORT_JOB_MAX_ROWS)
        raise ValidationError(refusal.message, code=refusal.code)
    with transaction.atomic():
        job = ImportJob(
            uploaded_by=user,
            target=target,
            resource_index=resource_index,
            file_format=file_format,
            file_name=str(upload.name)[:200],
            language=language,
            total_rows=total_rows,
        )
        job.file.save(upload.name, upload, save=False)
        job.full_clean(exclude=["file"])
        job.save()
        _enqueue(check_import_job, job.pk)
    expire_old_jobs()
    return job


def start(*, job_id: int, expected: str, to: str) -> ImportJob | None:
    """Move the job from `expected` to `to` (the worker taking it); None when it is no
    longer in `expected` (cancelled, or taken already)."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status != expected:
            return None
        job.status = to
        job.rows_done = 0
        job.started_at = timezone.now()
        job.save(update_fields=["status", "rows_done", "started_at"])
    # The check and the import count from 0 (a finished phase's count may linger; it is
    # read only while the job runs).
    _progress().delete(_progress_key(job_id))
    return job


def report_progress(*, job_id: int, rows_done: int) -> None:
    """Rows done so far. Outside a transaction it is saved on the job; within one (the
    check and the import both run in one: django-import-export wraps them) it goes to the
    jobs' cache, shared by every process, which the progress page reads too."""
    if connection.in_atomic_block:
        _progress().set(_progress_key(job_id), rows_done, 6 * 3600)
    else:
        ImportJob.objects.filter(pk=job_id).update(rows_done=rows_done)


def rows_done(job: ImportJob) -> int:
    """The job's progress, from its row or (during the import) the shared cache."""
    if not job.is_running:
        return job.rows_done
    return min(job.total_rows, max(job.rows_done, _progress().get(_progress_key(job.pk)) or 0))


def _kept(errors: list[dict]) -> list[dict]:
    return errors[:MAX_ERRORS_KEPT]


def finish_check(*, job_id: int, errors: list[dict], message: str = "") -> ImportJob:
    """The dry run is over: with any refused row the job is `invalid` (its file deleted),
    else `ready` for its uploader's confirmation."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status != ImportJob.Status.VALIDATING:
            return job
        job.checked_at = timezone.now()
        job.rows_done = job.total_rows
        job.errors = _kept(errors)
        job.error_count = len(errors)
        job.message = message[:500]
        if errors or message:
            job.status = ImportJob.Status.INVALID
            job.finished_at = job.checked_at
            _forget_file(job)
        else:
            job.status = ImportJob.Status.READY
        job.save()
    return job


def confirm_import(*, job: ImportJob, user) -> ImportJob:
    """The uploader confirms a checked job: it is `importing` (queued for the worker,
    which then writes it)."""
    from .tasks import run_import_job

    with transaction.atomic():
        job = _uploaders(
            job.pk,
            user,
            allowed=(ImportJob.Status.READY,),
            not_uploader=_("只有上传文件的人可以确认导入。"),
            not_now=_("这个导入任务现在不能确认（%(status)s）。"),
        )
        job.status = ImportJob.Status.IMPORTING
        job.confirmed_at = timezone.now()
        job.started_at = None  # until the worker takes it
        job.rows_done = 0
        job.save(update_fields=["status", "confirmed_at", "started_at", "rows_done"])
        _progress().delete(_progress_key(job.pk))  # the check's count
        _enqueue(run_import_job, job.pk)
    return job


def finish_import(
    *,
    job_id: int,
    created: int = 0,
    updated: int = 0,
    skipped: int = 0,
    object_ids: list | None = None,
    errors: list[dict] | None = None,
    message: str = "",
) -> ImportJob:
    """The import is over: `done` with its counts, or `failed` (rolled back: nothing
    written) with the refused rows or a message. The file is deleted either way."""
    with transaction.atomic():
        job = _locked(job_id)
        job.finished_at = timezone.now()
        job.errors = _kept(errors or [])
        job.error_count = len(errors or [])
        job.message = message[:500]
        if errors or message:
            job.status = ImportJob.Status.FAILED
            job.rows_done = 0
        else:
            job.status = ImportJob.Status.DONE
            job.rows_done = job.total_rows
            job.created, job.updated, job.skipped = created, updated, skipped
            job.object_ids = list(object_ids or [])
        _forget_file(job)
        job.save()
    return job


def cancel_import(*, job: ImportJob, user) -> ImportJob:
    """Its uploader drops a job that waits (queued or awaiting confirmation)."""
    with transaction.atomic():
        job = _uploaders(
            job.pk,
            user,
            allowed=(ImportJob.Status.QUEUED, ImportJob.Status.READY),
            not_uploader=_("只有上传文件的人可以取消导入。"),
            not_now=_("这个导入任务现在不能取消（%(status)s）。"),
        )
        job.status = ImportJob.Status.CANCELLED
        job.finished_at = timezone.now()
        _forget_file(job)
        job.save()
    return job


def expire_old_jobs(*, now: dt.datetime | None = None) -> int:
    """Expire the jobs that waited (for the worker or for a confirmation) more than
    IMPORT_JOB_KEEP_DAYS, fail those the worker stopped in the middle of (`STALE_AFTER`),
    and delete their files (and any file a finished job still has). The jobs' rows stay as
    history. Returns how many jobs were ended."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.IMPORT_JOB_KEEP_DAYS)
    waiting = (
        Q(status=ImportJob.Status.READY, checked_at__lt=cutoff)
        | Q(status=ImportJob.Status.QUEUED, queued_at__lt=cutoff)
        | Q(status=ImportJob.Status.IMPORTING, started_at=None, confirmed_at__lt=cutoff)
    )
    stopped = Q(
        status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING],
        started_at__lt=now - STALE_AFTER,
    )
    ended = 0
    for job_id in ImportJob.objects.filter(waiting | stopped).values_list("pk", flat=True):
        with transaction.atomic():
            job = _locked(job_id)
            if job.status in (ImportJob.Status.READY, ImportJob.Status.QUEUED) or (
                job.status == ImportJob.Status.IMPORTING and job.started_at is None
            ):
                job.status = ImportJob.Status.EXPIRED
            elif job.status in (ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING):
                job.status = ImportJob.Status.FAILED
                job.message = _("后台处理中断，没有写入任何数据。请重新上传文件。")
            else:
                continue
            job.finished_at = now
            _forget_file(job)
            job.save()
            ended += 1
    leftovers = ImportJob.objects.filter(status__in=ImportJob.FINISHED).exclude(file="")
    for job_id in leftovers.values_list("pk", flat=True):
        with transaction.atomic():
            job = _locked(job_id)
            _forget_file(job)
            job.save(update_fields=["file"])
    return ended
