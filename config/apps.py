"""The wiring's own app configurations."""

from django.contrib.admin.apps import AdminConfig


class GongjianAdminConfig(AdminConfig):
    """Django's admin, with the back office's site (today's work on the index)."""

    default_site = "config.admin_site.GongjianAdminSite"
