"""SignUp.household: the resident's household at sign-up, filled in from the resident;
the summary's reach index covers it."""

import django.db.models.deletion
from django.db import migrations, models


def fill_household(apps, schema_editor):
    SignUp = apps.get_model("activities", "SignUp")
    Resident = apps.get_model("residents", "Resident")
    SignUp.objects.filter(household__isnull=True).update(
        household_id=models.Subquery(
            Resident.objects.filter(pk=models.OuterRef("resident_id")).values("household_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_create_roles"),
        ("residents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="signup",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="residents.household",
                verbose_name="住户",
            ),
        ),
        migrations.RunPython(fill_household, migrations.RunPython.noop, elidable=True),
        # Who was reached, read by the monthly summary from the index alone.
        migrations.AddIndex(
            model_name="signup",
            index=models.Index(
                condition=models.Q(("attended", True)),
                fields=["activity", "resident", "household"],
                name="signup_reach_idx",
            ),
        ),
    ]
