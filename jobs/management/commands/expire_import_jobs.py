"""Daily: expire import jobs left unconfirmed for IMPORT_JOB_KEEP_DAYS and delete their
files (the jobs themselves stay as the history of imports)."""

from django.core.management.base import BaseCommand

from jobs.services import expire_old_jobs


class Command(BaseCommand):
    help = "Expire unconfirmed import jobs older than IMPORT_JOB_KEEP_DAYS; delete their files."

    def handle(self, *args, **options):
        expired = expire_old_jobs()
        self.stdout.write(f"expired {expired} import job(s)")
