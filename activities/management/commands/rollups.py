"""The summary's roll-ups (activities/rollups.py): check them against a live recount of the
sign-ups, or rebuild them.

    manage.py rollups --check                      # everything; exit 1 on any drift
    manage.py rollups --check --year 2026           # one year
    manage.py rollups --check --year 2026 --month 10
    manage.py rollups --rebuild                    # recount and store everything
"""

from django.core.management.base import BaseCommand, CommandError

from activities import rollups

#: Differences printed at most (all are counted).
SHOWN = 50


class Command(BaseCommand):
    help = (
        "Compare the monthly summary's roll-ups with a live recount of the sign-ups "
        "(--check; exits 1 on drift), or recount and store them (--rebuild)."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true", help="compare, exit 1 on drift")
        action.add_argument("--rebuild", action="store_true", help="recount and store all")
        parser.add_argument("--year", type=int, help="only this year (with --check)")
        parser.add_argument("--month", type=int, help="only this month (with --year)")
        parser.add_argument("--all", action="store_true", help="every year (the default)")

    def handle(self, *args, check, rebuild, year, month, all, **options):
        if month is not None and (year is None or not 1 <= month <= 12):
            raise CommandError("--month needs --year and a month from 1 to 12")
        if all and year is not None:
            raise CommandError("--all and --year exclude each other")
        if rebuild:
            if year is not None:
                raise CommandError("--rebuild rebuilds everything (no --year)")
            live = rollups.rebuild()
            self.stdout.write(
                f"rebuilt: {len(live.tallies)} activity tallies, {len(live.residents)} "
                f"resident-years, {len(live.households)} household-years, "
                f"{len(live.months)} months"
            )
            return
        scope = f"{year}-{month:02d}" if month else str(year) if year else "all months"
        found = rollups.differences(year=year, month=month)
        for difference in found[:SHOWN]:
            self.stdout.write(str(difference))
        if len(found) > SHOWN:
            self.stdout.write(f"… and {len(found) - SHOWN} more")
        if found:
            raise CommandError(
                f"roll-ups drifted ({scope}): {len(found)} differences; "
                "`manage.py rollups --rebuild` recounts them"
            )
        self.stdout.write(f"roll-ups match the sign-ups ({scope})")
