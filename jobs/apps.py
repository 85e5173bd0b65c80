from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("后台任务")

    def ready(self):
        from core.imports import register_background_importer

        from .admin import queue_from_import_page

        # Large admin imports become import jobs (core.admin.StaffImportExportMixin).
        register_background_importer(
            queue_from_import_page, list_url_name="admin:jobs_importjob_changelist"
        )
