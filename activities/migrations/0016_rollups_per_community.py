"""The roll-ups count per community (of the activity attended): the reach rows and the
months gain a community. Their rows are emptied, the column added, and everything is
recounted from the sign-ups (activities.rollups.rebuild), both ways."""

import django.db.models.deletion
from django.db import migrations, models


def empty(apps, schema_editor):
    for name in ("ResidentReach", "HouseholdReach", "MonthReach"):
        apps.get_model("activities", name).objects.all().delete()


def fill(apps, schema_editor):
    from activities.rollups import rebuild

    rebuild(apps=apps)


def fill_without_communities(apps, schema_editor):
    """Backwards: the rows as they were, one per resident, household and month."""
    from collections import defaultdict

    from activities.rollups import _month_counts, recount

    live = recount(apps=apps)
    residents, households, party = defaultdict(int), defaultdict(int), set()
    for (pk, year, _community), mask in live.residents.items():
        residents[(pk, year, 0)] |= mask
        if (pk, year, _community) in live.party:
            party.add((pk, year, 0))
    for (pk, year, _community), mask in live.households.items():
        households[(pk, year, 0)] |= mask
    months = _month_counts(residents, households, party)
    ResidentReach = apps.get_model("activities", "ResidentReach")
    HouseholdReach = apps.get_model("activities", "HouseholdReach")
    MonthReach = apps.get_model("activities", "MonthReach")
    fields = ("residents", "households", "residents_year", "households_year", "party_residents")
    MonthReach.objects.bulk_create(
        [
            MonthReach(year=y, month=mo, **dict(zip(fields, counts, strict=True)))
            for (y, mo, _c), counts in months.items()
        ],
        batch_size=5000,
    )
    ResidentReach.objects.bulk_create(
        [
            ResidentReach(resident_id=r, year=y, months=b, party=(r, y, c) in party)
            for (r, y, c), b in residents.items()
        ],
        batch_size=5000,
    )
    HouseholdReach.objects.bulk_create(
        [HouseholdReach(household_id=h, year=y, months=b) for (h, y, _c), b in households.items()],
        batch_size=5000,
    )


def community_field():
    return models.ForeignKey(
        default=0,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="residents.community",
        verbose_name="社区",
    )


class Migration(migrations.Migration):
    # On PostgreSQL the rows are emptied in a transaction of their own: indexes cannot be
    # built on a table with trigger events still pending from the same transaction. Each
    # RunPython is atomic by itself.
    atomic = False

    dependencies = [
        ("activities", "0015_merge_list_indexes_and_rollups"),
        ("residents", "0009_subdistrict_roles"),
    ]

    operations = [
        migrations.RunPython(empty, fill_without_communities),
        migrations.RemoveConstraint(model_name="monthreach", name="month_reach_unique"),
        migrations.RemoveConstraint(model_name="residentreach", name="resident_reach_unique"),
        migrations.RemoveConstraint(model_name="householdreach", name="household_reach_unique"),
        # The tables are empty here: the default fills no row and is dropped at once.
        migrations.AddField("monthreach", "community", community_field(), preserve_default=False),
        migrations.AddField(
            "residentreach", "community", community_field(), preserve_default=False
        ),
        migrations.AddField(
            "householdreach", "community", community_field(), preserve_default=False
        ),
        migrations.AddConstraint(
            model_name="monthreach",
            constraint=models.UniqueConstraint(
                fields=("community", "year", "month"), name="month_reach_community_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="residentreach",
            constraint=models.UniqueConstraint(
                fields=("year", "resident", "community"), name="resident_reach_community_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="householdreach",
            constraint=models.UniqueConstraint(
                fields=("year", "household", "community"),
                name="household_reach_community_unique",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, empty),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
