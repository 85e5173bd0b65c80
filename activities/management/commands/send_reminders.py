"""The daily job: `python manage.py send_reminders` (run it once a day from cron, e.g. at
08:00; running it again, or on two servers at once, sends nothing twice)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from activities import reminders
from residents.services import forget_old_phone_codes


class Command(BaseCommand):
    help = (
        "Send the day-before reminders, notices of works in residents' buildings and the "
        "staff's daily digest, and delete yesterday's text-message codes. Idempotent: a "
        "second run sends nothing twice."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        reminded = reminders.send_day_before_reminders(today=today)
        works = reminders.send_works_notices(today=today)
        digest = reminders.send_staff_digest(today=today)
        forgotten = forget_old_phone_codes()
        self.stdout.write(
            f"reminders: {reminded}, works notices: {works}, "
            f"staff digest: {'sent' if digest else 'not sent'}, "
            f"old text-message codes deleted: {forgotten}"
        )
