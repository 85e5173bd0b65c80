"""The back office's site: Django's admin, opening on today's work (see `config.today`).

The app list stays below it. django-axes' login records are for superusers only (staff
have nothing to do there), named in Chinese and listed last.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from residents.scoping import is_unplaced

#: django-axes' models as the back office names them.
AXES_NAMES = {
    "AccessAttempt": _("登录失败尝试"),
    "AccessLog": _("登录记录"),
    "AccessFailureLog": _("登录失败记录"),
}


class GongjianAdminSite(admin.AdminSite):
    site_header = _("共建 · 社区资源登记")
    site_title = _("共建后台")
    index_title = _("今日工作")
    index_template = "admin/gongjian_index.html"

    def index(self, request, extra_context=None):
        # Imported here: config.today reads the apps' admin modules, which register
        # themselves with this very site.
        from .today import todays_work

        if is_unplaced(request.user):
            messages.warning(
                request,
                _(
                    "您的账号还没有分到任何社区或街道，所以后台暂时看不到任何数据。"
                    "请联系系统管理员在“工作范围”中为您设置。"
                ),
            )
        context = {**todays_work(user=request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        axes = [app for app in apps if app["app_label"] == "axes"]
        others = [app for app in apps if app["app_label"] != "axes"]
        if not request.user.is_superuser:
            return others
        for app in axes:
            app["name"] = _("登录安全")
            for model in app["models"]:
                model["name"] = AXES_NAMES.get(model["object_name"], model["name"])
        return others + axes
