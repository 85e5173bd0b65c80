"""`python manage.py load_demo`: the demo community, its partners, activities and residents.

Idempotent (run it as often as you like) and refused when DEBUG is off unless `--force`.
The data and the builder live in `demo/community.py`.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from demo import community as demo
from demo.subdistrict import logins


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a plain string, translated when the parser is built
        return _(
            "载入演示数据：小西坪社区铁建丽苑小区、共建单位、活动和300名演示居民（可重复运行）。"
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("在 DEBUG 关闭时（生产环境）也写入演示数据。"),
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG 已关闭，这看起来是生产环境，已拒绝写入演示数据。"
                    "如确需写入，请加上 --force 参数再运行。"
                )
            )
        report = demo.load_demo()
        counts = report.counts
        first, last = demo.resident_phones()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "演示数据已就绪：%(buildings)s栋楼、%(households)s户、%(residents)s名居民、"
                    "%(partners)s家共建单位、%(activities)s场活动、%(signups)s条报名、"
                    "%(projects)s个服务项目。"
                )
                % counts
            )
        )
        self.stdout.write(_("访问地址：%(url)s") % {"url": demo.SITE_URL})
        self.stdout.write(_("演示账号（密码均为 %(password)s）：") % {"password": demo.PASSWORD})
        self.stdout.write(_("  社区工作人员：%(username)s") % {"username": demo.STAFF_USERNAME})
        self.stdout.write(_("  社区党委书记：%(username)s") % {"username": demo.SECRETARY_USERNAME})
        self.stdout.write(
            _("  居民：%(first)s … %(last)s（用户名为手机号）") % {"first": first, "last": last}
        )
        for who, username in logins():
            self.stdout.write(f"  {who}：{username}")
