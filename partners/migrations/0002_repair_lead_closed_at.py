"""Before "closed iff closed_at" becomes a constraint (0003), repair the leads that break
it: a signed or dropped lead without its closing time gets its last change's time; a
closing time left on a lead still being followed up is cleared."""

from django.db import migrations
from django.db.models import F, Q

CLOSED = ("signed", "dropped")


def repair(apps, schema_editor):
    Lead = apps.get_model("partners", "Lead")
    Lead.objects.filter(stage__in=CLOSED, closed_at__isnull=True).update(closed_at=F("updated_at"))
    Lead.objects.filter(~Q(stage__in=CLOSED), closed_at__isnull=False).update(closed_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop, elidable=True),
    ]
