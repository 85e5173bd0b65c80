"""Give the back-office roles their permissions on the call list (电话通知名单): staff may do
everything with it, the secretary may read it (as in 0002_create_roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = "社区工作人员"  # core.roles.STAFF_GROUP (kept literal: a migration is frozen)
SECRETARY = "党委书记"  # core.roles.SECRETARY_GROUP
MODELS = ("calllistentry", "historicalcalllistentry")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("activities")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="activities", content_type__model__in=MODELS
    )
    staff = Group.objects.filter(name=STAFF).first()
    if staff is not None:
        staff.permissions.add(*perms)
    secretary = Group.objects.filter(name=SECRETARY).first()
    if secretary is not None:
        secretary.permissions.add(*perms.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [("activities", "0011_door_walk_ins_and_call_list")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
