from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The page-cache scope every write to the summed-up apps bumps (see ready()).
SUMMARY_SCOPE = "summary"
SUMMED_APPS = ("residents", "partners", "activities", "volunteering")


class SummaryConfig(AppConfig):
    """The party secretary's monthly summary: on screen, printed on A4, in Excel. Reads the
    apps below it through their own QuerySet methods; owns no models."""

    name = "summary"
    verbose_name = _("月度汇总")

    def ready(self):
        from django.apps import apps

        from core.pagecache import scope_on_change

        # The summary's pages are cached for their readers until any row of the apps it
        # sums up changes (core.pagecache; simple_history's copies are written with them).
        scope_on_change(
            SUMMARY_SCOPE,
            *(
                model
                for label in SUMMED_APPS
                for model in apps.get_app_config(label).get_models()
                if not model._meta.model_name.startswith("historical")
            ),
        )
