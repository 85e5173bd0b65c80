from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.backups import backup, copy_media


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc, or SQLite's backup API) and MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="the backup file (default backups/gongjian-<time>.dump)"
        )
        parser.add_argument("--no-media", action="store_true", help="do not copy MEDIA_ROOT")

    def handle(self, *args, output=None, no_media=False, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = Path(output or settings.BASE_DIR / "backups" / f"gongjian-{stamp}.dump")
        backup(path)
        if not no_media:
            copy_media(Path(settings.MEDIA_ROOT), path.with_suffix(".media"))
        self.stdout.write(f"{path}")
