from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "volunteering"
    verbose_name = _("双报到与志愿服务")

    def ready(self):
        from core.pagecache import invalidate_on_change

        from . import privacy  # noqa: F401 - registers what volunteering holds about residents
        from .hooks import connect
        from .models import RoleSignUp, VolunteerRole

        connect()
        # An activity's page shows its roles and their places left (core/pagecache.py).
        invalidate_on_change(VolunteerRole, RoleSignUp)
