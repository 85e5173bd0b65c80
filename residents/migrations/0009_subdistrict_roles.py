"""Create the subdistrict's two back-office roles as Django groups (beside the community's,
activities/migrations/0002_create_roles.py):

- 街道工作人员 (subdistrict staff): what community staff may do, plus the subdistrict's own
  records; over every community of the subdistrict (their `StaffScope`).
- 街道党工委书记 (secretary of the subdistrict's party working committee): what the
  community secretary may read, over every community of the subdistrict; changes nothing.

`residents.roles_sync` keeps them holding the community roles' permissions after every
later migration that grants those new ones.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = "社区工作人员"  # core.roles.STAFF_GROUP (kept literal: a migration is frozen)
SECRETARY = "党委书记"  # core.roles.SECRETARY_GROUP
SUBDISTRICT_STAFF = "街道工作人员"  # core.roles.SUBDISTRICT_STAFF_GROUP
SUBDISTRICT_SECRETARY = "街道党工委书记"  # core.roles.SUBDISTRICT_SECRETARY_GROUP


def create_roles(apps, schema_editor):
    app_config = apps.get_app_config("residents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    subdistrict = Permission.objects.filter(
        content_type__app_label="residents", content_type__model="subdistrict"
    )
    for name, base, extra in (
        (SUBDISTRICT_STAFF, STAFF, subdistrict.exclude(codename__startswith="delete_")),
        (SUBDISTRICT_SECRETARY, SECRETARY, subdistrict.filter(codename__startswith="view_")),
    ):
        group, _created = Group.objects.get_or_create(name=name)
        base_group = Group.objects.filter(name=base).first()
        perms = list(base_group.permissions.all()) if base_group else []
        group.permissions.add(*perms, *extra)


def remove_roles(apps, schema_editor):
    names = [SUBDISTRICT_STAFF, SUBDISTRICT_SECRETARY]
    apps.get_model("auth", "Group").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0008_staff_scope"),
        ("activities", "0015_merge_list_indexes_and_rollups"),
        ("volunteering", "0002_grant_roles"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
