from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("共建单位")

    def ready(self):
        from core.pagecache import invalidate_on_change

        from . import privacy  # noqa: F401 - registers what partners hold about residents
        from .models import Agreement, Partner, ResourceCommitment

        # Shown on the partner directory and partner pages (core/pagecache.py).
        invalidate_on_change(Partner, Agreement, ResourceCommitment)
