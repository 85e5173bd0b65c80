from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("居民与小区")

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.pagecache import invalidate_on_change

        from .roles_sync import sync_subdistrict_roles

        post_migrate.connect(sync_subdistrict_roles, dispatch_uid="residents_subdistrict_roles")

        from . import checks, privacy  # noqa: F401 - registers the check and own data
        from .models import Building, Complex, Resident

        # Names on published feedback, complexes and buildings on public pages.
        invalidate_on_change(Resident, Complex, Building)
        # A resident's own cached pages: every row that points at a resident or household.
        from .pagescopes import track_resident_data

        track_resident_data()
