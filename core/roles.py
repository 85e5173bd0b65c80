"""The back-office roles: Django groups created by `activities/migrations/0002_create_roles.py`
and `residents/migrations/0009_subdistrict_roles.py`.

- 社区工作人员 (community staff): everything in the product's apps, not users.
- 党委书记 (party secretary): view only, and the monthly summary.
- 街道工作人员 (subdistrict staff): what community staff do, over every community of the
  subdistrict, and the subdistrict's own record.
- 街道党工委书记 (secretary of the subdistrict's party working committee): reads everything
  of the subdistrict, changes nothing.

Which communities a user works over is `residents.scoping.communities_for` (their
`residents.StaffScope`).
"""

STAFF_GROUP = "社区工作人员"
SECRETARY_GROUP = "党委书记"
SUBDISTRICT_STAFF_GROUP = "街道工作人员"
SUBDISTRICT_SECRETARY_GROUP = "街道党工委书记"
STAFF_GROUPS = frozenset({STAFF_GROUP, SUBDISTRICT_STAFF_GROUP})
SECRETARY_GROUPS = frozenset({SECRETARY_GROUP, SUBDISTRICT_SECRETARY_GROUP})


def _group_names(user) -> set[str]:
    """The user's group names, read once per user object."""
    names = getattr(user, "_gongjian_groups", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user._gongjian_groups = names
    return names


def is_secretary(user) -> bool:
    """A party secretary (the community's or the subdistrict's): in her group and not also
    staff or a superuser."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    names = _group_names(user)
    return bool(names & SECRETARY_GROUPS) and not names & STAFF_GROUPS


def is_subdistrict_role(user) -> bool:
    """Subdistrict staff or the subdistrict's secretary (not a superuser)."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    return bool(_group_names(user) & {SUBDISTRICT_STAFF_GROUP, SUBDISTRICT_SECRETARY_GROUP})


def reads_summary(user) -> bool:
    """The secretary, staff and superusers read the monthly summary; residents do not."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(_group_names(user) & (STAFF_GROUPS | SECRETARY_GROUPS))


def display_name(user) -> str:
    """How the product greets a login: the full name in Chinese order (family name first,
    "王晓燕"), a Western full name as written, or else the login name."""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if not (first or last):
        return user.get_username()
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"
