"""Which communities a back-office user works over, and querysets cut down to them.

Every model of the product declares how it reaches its community:

- `COMMUNITY_PATH = "complex__community"`: the lookup from the model to its community
  (e.g. an activity's complex's community); rows whose path is empty (a resident without a
  household) belong to no community;
- or a classmethod `community_q(ids) -> Q` when one path is not enough (a partner is a
  community's when it has an agreement with one of its complexes or was registered by it);
  a path through a to-many relation is written as a subquery there, so that no row comes
  twice and no list needs `distinct()`.

`scoped(queryset, user)` filters with that declaration; `communities_for(user)` says which
communities: None for all of them (superusers; any back-office user while the installation
has one community and the user has no `StaffScope`), else a frozenset of ids (empty for a
user who must first be placed). The answer is kept on the user object for the request.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from .models import Community, StaffScope

_CACHE = "_gongjian_communities"


def communities_for(user) -> frozenset[int] | None:
    """The ids of the communities `user` works over; None means all of them."""
    cached = getattr(user, _CACHE, False)
    if cached is not False:
        return cached
    answer = _communities_for(user)
    if getattr(user, "pk", None) is not None:
        setattr(user, _CACHE, answer)
    return answer


def _communities_for(user) -> frozenset[int] | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    scope = StaffScope.objects.filter(user=user).values_list("community", "subdistrict").first()
    if scope is None:
        # Unplaced: on a one-community installation everyone works over it, as before there
        # were several; with several, nothing until a superuser places the user.
        ids = list(Community.objects.values_list("pk", flat=True)[:2])
        return None if len(ids) <= 1 else frozenset()
    community, subdistrict = scope
    if community is not None:
        return frozenset({community})
    return frozenset(Community.objects.filter(subdistrict=subdistrict).values_list("pk", flat=True))


def own_community_id(user) -> int | None:
    """The one community `user` works in, or None (the subdistrict's or the whole
    installation's users, and the unplaced): where what they add without a community goes."""
    ids = communities_for(user)
    return next(iter(ids)) if ids is not None and len(ids) == 1 else None


def forget(user) -> None:
    """Drop the kept answer (after the user's `StaffScope` changed)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def is_unplaced(user) -> bool:
    """A back-office user who sees nothing until placed in a community or the subdistrict."""
    ids = communities_for(user)
    return ids is not None and not ids


def community_q(model, ids) -> Q:
    """The condition that keeps `model`'s rows of the communities `ids`."""
    custom = getattr(model, "community_q", None)
    if custom is not None:
        return custom(ids)
    path = getattr(model, "COMMUNITY_PATH", None)
    if path is None:
        raise ImproperlyConfigured(
            f"{model.__name__} declares no COMMUNITY_PATH (see residents.scoping)."
        )
    return Q(**{f"{path}__in": ids})


def is_scoped_model(model) -> bool:
    return hasattr(model, "community_q") or hasattr(model, "COMMUNITY_PATH")


def scoped(queryset, user):
    """`queryset` cut down to the communities `user` works over."""
    ids = communities_for(user)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    condition = community_q(queryset.model, ids)
    return queryset.filter(condition)


def within_scope(queryset, user):
    """`scoped(queryset, user)`, or the whole queryset when there is no user (a command or
    a test rather than a request)."""
    return queryset if user is None else scoped(queryset, user)
