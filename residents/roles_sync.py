"""The subdistrict's roles hold every permission of the community's (after each `migrate`).

A later migration that grants community staff or the secretary a new permission (a new
model) needs not know the subdistrict's roles: this adds the same to theirs.
"""

from core.roles import (
    SECRETARY_GROUP,
    STAFF_GROUP,
    SUBDISTRICT_SECRETARY_GROUP,
    SUBDISTRICT_STAFF_GROUP,
)

#: Each subdistrict role and the community role whose permissions it holds too.
FOLLOWS = {SUBDISTRICT_STAFF_GROUP: STAFF_GROUP, SUBDISTRICT_SECRETARY_GROUP: SECRETARY_GROUP}


def sync_subdistrict_roles(*, using="default", **_kwargs) -> None:
    from django.contrib.auth.models import Group

    groups = {
        group.name: group
        for group in Group.objects.using(using).filter(name__in=[*FOLLOWS, *FOLLOWS.values()])
    }
    for name, base in FOLLOWS.items():
        if name in groups and base in groups:
            groups[name].permissions.add(*groups[base].permissions.all())
