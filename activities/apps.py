from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("活动与项目")

    def ready(self):
        from . import privacy  # noqa: F401 - registers what activities hold about residents
