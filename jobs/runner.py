"""The work of an import job, run by the worker (`jobs.tasks`): read the stored file,
check every row (a dry run that writes nothing), and, once confirmed, import it in one
transaction. Any refused row rolls the whole file back.

The resources are those the back office's import pages use: the job names a model
(`residents.resident`) and the worker asks that model's admin (a
`core.admin.StaffImportExportMixin`, registered on the admin site by its own app) for its
import resource and formats, so that a background import checks exactly what the page does.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from core.admin import StaffImportExportMixin
from core.imports import ImportRefused, check_headers

from . import services
from .models import ImportJob

logger = logging.getLogger(__name__)

#: How often (in rows) the progress is reported.
PROGRESS_EVERY = 200


class JobSetup:
    """The model admin, resource and dataset of a job."""

    def __init__(self, job: ImportJob):
        self.job = job
        model = apps.get_model(job.target)
        model_admin = admin.site.get_model_admin(model)
        if not isinstance(model_admin, StaffImportExportMixin):
            raise LookupError(f"{job.target} has no staff import")
        self.model_admin = model_admin
        request = HttpRequest()
        request.user = job.uploaded_by
        self.request = request
        resource_class = model_admin.get_import_resource_classes(request)[job.resource_index]
        self.resource = resource_class(**model_admin.get_import_resource_kwargs(request))
        formats = {fmt().get_title().lower(): fmt for fmt in model_admin.get_import_formats()}
        self.file_format = formats[job.file_format]()
        with job.file.open("rb") as stored:
            data = stored.read()
        self.dataset = self.file_format.create_dataset(data, limit=job.total_rows)
        check_headers(
            list(self.dataset.headers),
            expected=self.resource.template_headers(),
            required=self.resource.required_headers(),
            glosses=self.resource.header_glosses(),
        )
        self._count_rows()
        self._name_the_author()

    def _count_rows(self) -> None:
        resource, job_id = self.resource, self.job.pk
        import_row = resource.import_row
        done = 0

        def counted(row, instance_loader, **kwargs):
            nonlocal done
            result = import_row(row, instance_loader, **kwargs)
            done += 1
            if done % PROGRESS_EVERY == 0:
                services.report_progress(job_id=job_id, rows_done=done)
            return result

        resource.import_row = counted

    def _name_the_author(self) -> None:
        # Each record's history names the uploader, as when the import page writes it.
        resource, user = self.resource, self.job.uploaded_by
        before_save_instance = resource.before_save_instance

        def named(instance, row, **kwargs):
            instance._history_user = user
            return before_save_instance(instance, row, **kwargs)

        resource.before_save_instance = named

    def run(self, *, dry_run: bool):
        kwargs = self.model_admin.get_import_data_kwargs(request=self.request)
        kwargs["rollback_on_validation_errors"] = True
        if dry_run and not getattr(self.resource, "dry_run_saves", True):
            # A check that writes nothing needs no transaction: none is held open for
            # minutes, and the progress is saved on the job as it goes.
            kwargs["use_transactions"] = False
        return self.resource.import_data(
            self.dataset,
            dry_run=dry_run,
            raise_errors=False,
            file_name=self.job.file_name,
            user=self.job.uploaded_by,
            **kwargs,
        )


def row_errors(result) -> list[dict]:
    """The refused rows, by row number (as Excel numbers them), each with its messages
    ("column: message"), in the job's language (the worker runs in it)."""
    by_row: dict[int, list[str]] = {}
    for row in result.invalid_rows:
        for column, messages in row.error.message_dict.items():
            prefix = "" if column == "__all__" else f"{column}："
            by_row.setdefault(row.number, []).extend(f"{prefix}{m}" for m in messages)
    for number, _errors in result.row_errors():
        # An unexpected error (logged with its traceback): no server detail on the page.
        by_row.setdefault(number, []).append(_("这一行无法导入，请检查后重试。"))
    base = [_("无法导入这个文件，请检查后重新上传。")] if result.base_errors else []
    errors = [{"row": number, "messages": by_row[number]} for number in sorted(by_row)]
    return ([{"row": None, "messages": base}] if base else []) + errors


def check_job(job_id: int) -> ImportJob | None:
    """The dry run over every row of a queued job: `ready` or `invalid`."""
    job = services.start(
        job_id=job_id, expected=ImportJob.Status.QUEUED, to=ImportJob.Status.VALIDATING
    )
    if job is None:
        return None
    with translation.override(job.language):
        try:
            setup = JobSetup(job)
            result = setup.run(dry_run=True)
        except ImportRefused as refusal:
            return services.finish_check(job_id=job_id, errors=[], message=refusal.message)
        except Exception:
            logger.exception("Import job %s: the check failed", job_id)
            return services.finish_check(
                job_id=job_id, errors=[], message=_("无法检查这个文件，请检查后重新上传。")
            )
        return services.finish_check(job_id=job_id, errors=row_errors(result))


def import_job(job_id: int) -> ImportJob | None:
    """Write a confirmed job in one transaction; any refused row rolls everything back."""
    job = services.start(
        job_id=job_id, expected=ImportJob.Status.IMPORTING, to=ImportJob.Status.IMPORTING
    )
    if job is None:
        return None
    with translation.override(job.language):
        try:
            setup = JobSetup(job)
            with transaction.atomic():
                result = setup.run(dry_run=False)
                errors = row_errors(result)
                if errors:
                    transaction.set_rollback(True)
        except ImportRefused as refusal:
            return services.finish_import(job_id=job_id, message=refusal.message)
        except Exception:
            logger.exception("Import job %s: the import failed", job_id)
            return services.finish_import(
                job_id=job_id, message=_("导入失败，未写入任何数据。请稍后重试或联系管理员。")
            )
        if errors:
            return services.finish_import(job_id=job_id, errors=errors)
        totals = result.totals
        return services.finish_import(
            job_id=job_id,
            created=totals.get("new", 0),
            updated=totals.get("update", 0),
            skipped=totals.get("skip", 0),
            object_ids=[row.object_id for row in result.rows if row.object_id is not None],
        )
