from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummaryConfig(AppConfig):
    """The party secretary's monthly summary: on screen, printed on A4, in Excel. Reads the
    apps below it through their own QuerySet methods; owns no models."""

    name = "summary"
    verbose_name = _("月度汇总")
