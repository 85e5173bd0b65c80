from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("活动与项目")

    def ready(self):
        from django.db.models.signals import post_save

        from core.pagecache import invalidate_on_change
        from residents.models import Resident

        from . import (
            privacy,  # noqa: F401 - registers what activities hold about residents
            rollups,
        )
        from .models import Activity, Feedback, Milestone, Need, ServiceProject, SignUp

        # What the public pages show: a change to any of these bumps the page cache.
        invalidate_on_change(Activity, SignUp, Feedback, ServiceProject, Milestone, Need)
        # A party membership given or taken moves the summary's party counts (roll-ups).
        post_save.connect(rollups.resident_saved, sender=Resident, dispatch_uid="rollups_party")
