from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares and none owns: roles, month periods, HTTP, form and admin
    helpers, QR codes, the site's template tags. No models; imports no app of ours."""

    name = "core"
    verbose_name = _("公共")

    def ready(self):
        from . import checks, middleware  # noqa: F401 - deployment checks, login signal
