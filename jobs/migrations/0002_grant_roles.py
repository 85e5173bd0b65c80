"""Give the back-office roles their permissions on import jobs (as in
activities/migrations/0002_create_roles): staff may do everything, the secretary may read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = "社区工作人员"  # core.roles.STAFF_GROUP (kept literal: a migration is frozen)
SECRETARY = "党委书记"  # core.roles.SECRETARY_GROUP


def grant(apps, schema_editor):
    app_config = apps.get_app_config("jobs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="jobs")
    staff = Group.objects.filter(name=STAFF).first()
    if staff is not None:
        staff.permissions.add(*perms)
    secretary = Group.objects.filter(name=SECRETARY).first()
    if secretary is not None:
        secretary.permissions.add(*perms.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_import_jobs"),
        ("activities", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
