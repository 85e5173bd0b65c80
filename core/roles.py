"""The back-office roles: Django groups created by `activities/migrations/0002_create_roles.py`.

- 社区工作人员 (community staff): everything in the product's apps, not users.
- 党委书记 (party secretary): view only, and the monthly summary.
"""

STAFF_GROUP = "社区工作人员"
SECRETARY_GROUP = "党委书记"


def _group_names(user) -> set[str]:
    """The user's group names, read once per user object."""
    names = getattr(user, "_gongjian_groups", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user._gongjian_groups = names
    return names


def is_secretary(user) -> bool:
    """The party secretary: in her group and not also staff or a superuser."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    names = _group_names(user)
    return SECRETARY_GROUP in names and STAFF_GROUP not in names


def reads_summary(user) -> bool:
    """The secretary, staff and superusers read the monthly summary; residents do not."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(_group_names(user) & {STAFF_GROUP, SECRETARY_GROUP})


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
