"""Daily: expire import jobs left waiting for IMPORT_JOB_KEEP_DAYS, fail those the worker
stopped in the middle of, and delete their files (the jobs themselves stay as the history
of imports)."""

from django.core.management.base import BaseCommand

from jobs.services import expire_old_jobs


class Command(BaseCommand):
    help = (
        "Expire import jobs waiting longer than IMPORT_JOB_KEEP_DAYS, fail those the worker "
        "stopped in; delete their files."
    )

    def handle(self, *args, **options):
        expired = expire_old_jobs()
        self.stdout.write(f"ended {expired} import job(s)")
