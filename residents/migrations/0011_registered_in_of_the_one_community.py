"""On an installation of one community, every resident without a household is that
community's (`Resident.registered_in`): its staff keep seeing them once a second community
is added. With several communities nobody can tell whose they were: they stay unplaced (the
subdistrict's users and superusers see them, and may set it).

Going back leaves the field as it is (the previous migration removes it)."""

from django.db import migrations


def place_in_the_one_community(apps, schema_editor):
    Community = apps.get_model("residents", "Community")
    Resident = apps.get_model("residents", "Resident")
    communities = list(Community.objects.values_list("pk", flat=True)[:2])
    if len(communities) != 1:
        return
    Resident.objects.filter(household__isnull=True, registered_in__isnull=True).update(
        registered_in=communities[0]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0010_resident_registered_in"),
    ]

    operations = [
        migrations.RunPython(place_in_the_one_community, migrations.RunPython.noop),
    ]
