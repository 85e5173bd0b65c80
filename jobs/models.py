"""Import jobs: a large spreadsheet import done by the worker instead of the request.

A job is queued when staff upload a file of more than `IMPORT_BACKGROUND_ROWS` rows on a
back-office import page, checked by the worker (a dry run over every row: nothing is
written), and, when every row is good, written in one transaction once its uploader
confirms. Its row stays as the history of the import (who, what file, how many rows
created / updated / skipped, the refused rows); the file itself is deleted when the job
ends or expires (`IMPORT_JOB_KEEP_DAYS`).

Written only through `jobs.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core.uploads import RandomName

from .storage import private_storage


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        VALIDATING = "validating", _("检查中")
        INVALID = "invalid", _("有错误，未导入")
        READY = "ready", _("待确认")
        IMPORTING = "importing", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导入失败，未写入")
        CANCELLED = "cancelled", _("已取消")
        EXPIRED = "expired", _("已过期")

    #: The worker is at it, or will be: the progress page refreshes itself.
    RUNNING = (Status.QUEUED, Status.VALIDATING, Status.IMPORTING)
    #: Nothing more will happen: the file is deleted.
    FINISHED = (Status.INVALID, Status.DONE, Status.FAILED, Status.CANCELLED, Status.EXPIRED)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("上传人"),
    )
    target = models.CharField(
        _("导入到"), max_length=100, help_text=_("模型，如 residents.resident。")
    )
    resource_index = models.PositiveSmallIntegerField(_("导入格式序号"), default=0)
    file_format = models.CharField(
        _("文件格式"), max_length=10, choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]
    )
    file = models.FileField(
        _("上传的文件"),
        storage=private_storage,
        upload_to=RandomName("imports"),
        blank=True,
        max_length=200,
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    language = models.CharField(_("语言"), max_length=15, default="zh-hans")
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    error_count = models.PositiveIntegerField(_("有错误的行数"), default=0)
    errors = models.JSONField(
        _("错误"),
        default=list,
        blank=True,
        help_text=_("每行的错误：[{row, messages}]，最多列出前 1000 行。"),
    )
    message = models.CharField(_("说明"), max_length=500, blank=True)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    skipped = models.PositiveIntegerField(_("跳过"), default=0)
    object_ids = models.JSONField(_("导入的记录"), default=list, blank=True)
    queued_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(
        _("开始处理时间"), null=True, blank=True, help_text=_("后台开始检查或导入的时间。")
    )
    checked_at = models.DateTimeField(_("检查完成时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = pgettext_lazy("plural", "导入任务")
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("total_rows")),
                name="import_job_rows_done_within_total",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "queued",
                        "validating",
                        "invalid",
                        "ready",
                        "importing",
                        "done",
                        "failed",
                        "cancelled",
                        "expired",
                    ]
                ),
                name="import_job_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["uploaded_by", "-queued_at"], name="import_job_user_idx")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("admin:jobs_importjob_change", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.rows_done * 100 // self.total_rows)
