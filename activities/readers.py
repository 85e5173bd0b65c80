"""Whose activities a reader of the public site sees on an installation of several
communities (a subdistrict's): the community they read as.

- `?community=<id>` on the page (the list's community filter) wins; `?community=all` shows
  the whole subdistrict's list;
- else a logged-in resident reads as their own community (their household's, or without
  one the community that registered them), and a back-office user placed in one community
  (`StaffScope`) as that one;
- else the community an anonymous visitor chose with the chooser (a cookie);
- else nobody's: the whole subdistrict's list.

Reading as a community lists its own activities first, then those other communities open
to the whole subdistrict (`ActivityQuerySet.for_community`). On a one-community
installation nothing of this applies: every list is as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from core.http import id_param
from residents.models import Community, Household, Resident, StaffScope

COOKIE = "gongjian_community"
COOKIE_SECONDS = 365 * 24 * 3600
ALL = "all"


@dataclass(frozen=True)
class Reading:
    """The communities of the installation and the one the reader reads as."""

    communities: tuple[tuple[int, str], ...] = ()
    community_id: int | None = None
    home_id: int | None = None  # the logged-in resident's own community
    chosen_id: int | None = None  # the anonymous visitor's remembered choice

    @property
    def several(self) -> bool:
        return len(self.communities) > 1

    @property
    def community_name(self) -> str:
        return dict(self.communities).get(self.community_id, "")


def _as_id(value: str | None) -> int | None:
    return id_param(value)


def _home(request, resident: Resident | None):
    """The condition on a community that it is the reader's own, or None (no home)."""
    if resident is not None:
        if resident.household_id is not None:
            return Exists(
                Household.objects.filter(
                    pk=resident.household_id, building__complex__community=OuterRef("pk")
                )
            )
        if resident.registered_in_id is not None:
            return Q(pk=resident.registered_in_id)
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return Exists(
            StaffScope.objects.filter(user_id=user.pk, community=OuterRef("pk")).values("pk")
        )
    return None


def reading(request, resident: Resident | None) -> Reading:
    """The reader's `Reading`, in one query (the communities, and the reader's own)."""
    communities = Community.objects.order_by("name")
    home = _home(request, resident)
    if home is not None:
        rows = list(
            communities.annotate(
                is_home=ExpressionWrapper(home, output_field=BooleanField())
            ).values_list("pk", "name", "is_home")
        )
    else:
        rows = [(pk, name, False) for pk, name in communities.values_list("pk", "name")]
    if len(rows) <= 1:
        return Reading(communities=tuple((pk, name) for pk, name, _home in rows))
    known = {pk for pk, _name, _home in rows}
    home_id = next((pk for pk, _name, is_home in rows if is_home), None)
    chosen_id = _as_id(request.COOKIES.get(COOKIE))
    chosen_id = chosen_id if chosen_id in known else None
    asked = request.GET.get("community", "")
    if asked == ALL:
        community_id = None
    elif _as_id(asked) in known:
        community_id = _as_id(asked)
    else:
        community_id = home_id or chosen_id
    return Reading(
        communities=tuple((pk, name) for pk, name, _home in rows),
        community_id=community_id,
        home_id=home_id,
        chosen_id=chosen_id,
    )


def cache_variant(request) -> str:
    """What the anonymous page cache must tell apart besides the address: the chosen
    community (the address carries `?community=`)."""
    chosen = request.COOKIES.get(COOKIE, "")
    return f"community:{chosen}" if id_param(chosen) is not None else ""


def remember(response, community_id: int | None) -> None:
    """Keep the visitor's choice in a cookie (or forget it: the whole subdistrict)."""
    if community_id is None:
        response.delete_cookie(COOKIE, samesite="Lax")
        return
    response.set_cookie(
        COOKIE,
        str(community_id),
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
