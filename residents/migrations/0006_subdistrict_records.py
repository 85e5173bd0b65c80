"""The subdistrict becomes a record: step 2, one Subdistrict per distinct name a community
had (a blank one is settings.SUBDISTRICT_NAME), each community linked to its own.
Backwards, the name goes back into the text field."""

from django.conf import settings
from django.db import migrations


def link_subdistricts(apps, schema_editor):
    Community = apps.get_model("residents", "Community")
    Subdistrict = apps.get_model("residents", "Subdistrict")
    for community in Community.objects.order_by("pk"):
        name = (community.subdistrict or "").strip() or settings.SUBDISTRICT_NAME
        subdistrict, _created = Subdistrict.objects.get_or_create(
            name=name, defaults={"city": community.city}
        )
        community.subdistrict_link = subdistrict
        community.save(update_fields=["subdistrict_link"])


def unlink_subdistricts(apps, schema_editor):
    Community = apps.get_model("residents", "Community")
    for community in Community.objects.select_related("subdistrict_link"):
        community.subdistrict = (
            community.subdistrict_link.name if community.subdistrict_link else ""
        )
        community.save(update_fields=["subdistrict"])


class Migration(migrations.Migration):
    dependencies = [("residents", "0005_subdistrict")]

    operations = [migrations.RunPython(link_subdistricts, unlink_subdistricts)]
