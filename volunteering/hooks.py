"""What volunteering adds to the pages of the apps below it (registered, never imported by
them): the volunteer roles on an activity's page, the shop's deliveries in the partners'
scorecards, and the volunteers' places cancelled with their activity."""

from django.utils import timezone

from activities import cancellation
from activities.sections import register_detail_section
from activities.selectors import DELIVERY_SOURCES

from . import services
from .models import PointsEntry, RoleSignUp
from .selectors import roles_with_places


def roles_section(request, activity, resident) -> dict | None:
    """The activity's volunteer roles, with the resident's own place and a button per role."""
    roles = list(roles_with_places(activity.pk))
    if not roles:
        return None
    now = timezone.now()
    mine = None
    if resident is not None:
        mine = (
            RoleSignUp.objects.active()
            .filter(activity=activity, resident=resident)
            .select_related("role")
            .first()
        )
        if mine is not None:
            mine.position = services.role_waitlist_position(mine)
    refusal = services.role_refusal(activity=activity, now=now)
    for role in roles:
        role.left = max(0, role.places - role.confirmed_count)
    return {
        "template": "volunteering/includes/activity_roles.html",
        "roles": roles,
        "mine": mine,
        "closed": refusal.messages[0] if refusal else "",
        "can_cancel": mine is not None and mine.checked_in_at is None and refusal is None,
    }


def shop_deliveries(*, partner_ids, start, end) -> list[tuple[int, object]]:
    """Items redeemed at the points shop, each counted as one delivery of the commitment
    the item stands for (partners stock the shop as a resource commitment)."""
    rows = PointsEntry.objects.filter(
        kind=PointsEntry.Kind.REDEEMED,
        item__commitment__partner_id__in=partner_ids,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("item__commitment_id", "created_at", "quantity")
    return [(commitment, moment) for commitment, moment, quantity in rows for _ in range(quantity)]


def cancel_volunteers(*, activity, by=None) -> None:
    """An activity was cancelled: its volunteers' places too (in the same transaction)."""
    services.cancel_roles_of_cancelled_activity(activity=activity, by=by)


def connect() -> None:
    register_detail_section(roles_section)
    cancellation.register(cancel_volunteers)
    if shop_deliveries not in DELIVERY_SOURCES:
        DELIVERY_SOURCES.append(shop_deliveries)
