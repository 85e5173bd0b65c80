from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import restore


class Command(BaseCommand):
    help = "Replace the database's content with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, backup, yes=False, **options):
        path = Path(backup)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if not yes and input("This replaces every row of the database. Type yes: ") != "yes":
            raise CommandError("not restored")
        restore(path)
        self.stdout.write(f"restored {path}")
