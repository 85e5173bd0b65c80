"""`python manage.py expire_points`: take away volunteer points whose time ran out (daily,
from cron beside send_reminders; running it twice takes nothing more)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from volunteering.services import expire_points


class Command(BaseCommand):
    help = "Take away volunteer points that have expired (POINTS_EXPIRE_MONTHS)."

    def handle(self, *args, **options):
        count = expire_points()
        self.stdout.write(_("%(count)s 位居民的积分到期。") % {"count": count})
