"""Import jobs in the back office: the list (every job, for staff and the secretary), each
job's progress page (rows done / total, refused rows by number, the result, a link to the
imported rows), its uploader's confirm and cancel buttons, and the hand-over from the
import pages (`queue_from_import_page`, registered in `jobs.apps`).

Only a job's uploader confirms or cancels it, and only while they may still import into
its model (the secretary never can); jobs are never changed or deleted here.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import ImportJob

#: Imported records listed a page on the job's "imported rows" page.
ROWS_PER_PAGE = 100


def queue_from_import_page(model_admin, request, form):
    """A valid import form of a large file (core.admin.StaffImportExportMixin): queue it as
    an import job and go to its progress page."""
    opts = model_admin.model._meta
    file_format = model_admin.get_import_formats()[int(form.cleaned_data["format"])]
    upload = form.cleaned_data["import_file"]
    upload.seek(0)
    try:
        job = services.queue_import(
            user=request.user,
            target=opts.label_lower,
            resource_index=int(form.cleaned_data.get("resource") or 0),
            file_format=file_format().get_title().lower(),
            upload=upload,
            total_rows=len(form.dataset),
            language=translation.get_language() or "zh-hans",
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return HttpResponseRedirect(request.get_full_path())
    messages.info(
        request,
        _("文件共 %(rows)s 行，已交给后台检查。可以离开本页，稍后在“导入任务”中查看。")
        % {"rows": f"{job.total_rows:,}"},
    )
    return HttpResponseRedirect(job.get_absolute_url())


def _target_admin(job: ImportJob):
    try:
        model = apps.get_model(job.target)
    except (LookupError, ValueError):
        return None, None
    try:
        return model, admin.site.get_model_admin(model)
    except NotRegistered:
        return model, None


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "file_name",
        "target_name",
        "status",
        "total_rows",
        "error_count",
        "created",
        "updated",
        "uploaded_by",
        "queued_at",
    )
    list_filter = ("status", "target")
    search_fields = ("file_name", "uploaded_by__username")
    list_select_related = ("uploaded_by",)
    date_hierarchy = "queued_at"

    def has_add_permission(self, request):
        return False  # a job comes from an import page

    def has_change_permission(self, request, obj=None):
        return False  # jobs change only through their own buttons (services)

    def has_delete_permission(self, request, obj=None):
        return False  # the history of imports is kept

    def get_queryset(self, request):
        return super().get_queryset(request).defer("errors", "object_ids")

    @admin.display(description=_("导入到"), ordering="target")
    def target_name(self, job):
        model, _model_admin = _target_admin(job)
        return model._meta.verbose_name if model else job.target

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/confirm/", view(self.confirm_view), name="jobs_importjob_confirm"),
            path("<int:job_id>/cancel/", view(self.cancel_view), name="jobs_importjob_cancel"),
            path("<int:job_id>/rows/", view(self.rows_view), name="jobs_importjob_rows"),
            *super().get_urls(),
        ]

    def _job(self, request, job_id) -> ImportJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            job_id = int(job_id)
        except (TypeError, ValueError):
            raise Http404 from None
        return get_object_or_404(ImportJob.objects.select_related("uploaded_by"), pk=job_id)

    def may_decide(self, request, job: ImportJob) -> bool:
        """Confirm or cancel: the uploader, while still allowed to import into the model."""
        if job.uploaded_by_id != request.user.pk:
            return False
        _model, model_admin = _target_admin(job)
        return model_admin is not None and model_admin.has_import_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's progress page (it refreshes itself while the worker is at it)."""
        job = self._job(request, object_id)
        model, _model_admin = _target_admin(job)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入任务：%(name)s") % {"name": job.file_name},
            "subtitle": None,
            "opts": opts,
            "job": job,
            "target_name": model._meta.verbose_name if model else job.target,
            "rows_done": services.rows_done(job),
            "may_decide": self.may_decide(request, job),
            "has_view_permission": True,
            "refresh_seconds": 3 if job.is_running else None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/jobs/importjob/progress.html", context)

    def _decide(self, request, job_id, service, done_message):
        job = self._job(request, job_id)
        if not self.may_decide(request, job):
            raise PermissionDenied
        try:
            service(job=job, user=request.user)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, done_message)
        return HttpResponseRedirect(job.get_absolute_url())

    @method_decorator(require_POST)
    def confirm_view(self, request, job_id):
        return self._decide(
            request,
            job_id,
            services.confirm_import,
            _("已确认，正在后台导入。可以离开本页，稍后回来查看结果。"),
        )

    @method_decorator(require_POST)
    def cancel_view(self, request, job_id):
        return self._decide(
            request, job_id, services.cancel_import, _("已取消导入，上传的文件已删除。")
        )

    def rows_view(self, request, job_id):
        """The records a finished job created or updated, a page at a time, each linked to
        its own page in the back office."""
        job = self._job(request, job_id)
        model, model_admin = _target_admin(job)
        if model is None or model_admin is None or not model_admin.has_view_permission(request):
            raise PermissionDenied
        page = Paginator(job.object_ids, ROWS_PER_PAGE).get_page(request.GET.get("p"))
        found = model._default_manager.in_bulk(list(page.object_list))
        target = model._meta
        change = f"admin:{target.app_label}_{target.model_name}_change"
        rows = [
            {"pk": pk, "name": str(found[pk]), "url": reverse(change, args=[pk])}
            for pk in page.object_list
            if pk in found
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入的%(name)s：%(file)s")
            % {"name": target.verbose_name, "file": job.file_name},
            "subtitle": None,
            "opts": self.model._meta,
            "job": job,
            "page": page,
            "rows": rows,
            "missing": len(page.object_list) - len(rows),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/jobs/importjob/rows.html", context)
