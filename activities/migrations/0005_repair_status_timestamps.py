"""Before the status/timestamp pairs become constraints (0006), repair the rows that break
them: a cancelled sign-up or a resolved need without its time gets the latest time known
for it; a time left on a row that is no longer cancelled or resolved is cleared."""

from django.db import migrations
from django.db.models import F, Q
from django.db.models.functions import Coalesce


def repair(apps, schema_editor):
    SignUp = apps.get_model("activities", "SignUp")
    Need = apps.get_model("activities", "Need")

    SignUp.objects.filter(status="cancelled", cancelled_at__isnull=True).update(
        cancelled_at=Coalesce(F("promoted_at"), F("confirmed_at"), F("created_at"))
    )
    SignUp.objects.filter(~Q(status="cancelled"), cancelled_at__isnull=False).update(
        cancelled_at=None
    )
    # A need's last change is the best guess of when it was marked resolved.
    Need.objects.filter(status="resolved", resolved_at__isnull=True).update(
        resolved_at=F("updated_at")
    )
    Need.objects.filter(~Q(status="resolved"), resolved_at__isnull=False).update(resolved_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0004_signup_who_and_history"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop, elidable=True),
    ]
