"""Create the two back-office roles as Django groups.

- 社区工作人员 (community staff): add, change, delete and view everything in the product's
  apps; view the login-attempt records; no access to users and groups.
- 党委书记 (party secretary): view only, everywhere staff can look.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = "社区工作人员"  # core.roles.STAFF_GROUP (kept literal: a migration is frozen)
SECRETARY = "党委书记"  # core.roles.SECRETARY_GROUP
PRODUCT_APPS = ("residents", "partners", "activities")
VIEW_ONLY_APPS = ("axes",)


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    product = Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
    viewing = Permission.objects.filter(
        content_type__app_label__in=PRODUCT_APPS + VIEW_ONLY_APPS, codename__startswith="view_"
    )

    staff, _ = Group.objects.get_or_create(name=STAFF)
    staff.permissions.set(list(product) + list(viewing))
    secretary, _ = Group.objects.get_or_create(name=SECRETARY)
    secretary.permissions.set(viewing)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[STAFF, SECRETARY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("residents", "0001_initial"),
        ("partners", "0001_initial"),
        ("activities", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
