from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("共建单位")

    def ready(self):
        from . import privacy  # noqa: F401 - registers what partners hold about residents
