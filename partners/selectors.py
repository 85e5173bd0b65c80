"""Reads for the partner directory (百宝箱) and a partner's public page."""

from __future__ import annotations

from itertools import groupby

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from activities.models import Activity

from .models import Agreement, Partner, PartnerCategory, ResourceCommitment


def directory():
    """Active partners with their active commitments and count of upcoming visible
    activities, ordered by category (in the order of `PartnerCategory`) then name."""
    now = timezone.now()
    return (
        Partner.objects.active()
        .annotate(
            upcoming_count=Count(
                "activities",
                filter=Q(activities__ends_at__gte=now)
                & ~Q(activities__status=Activity.Status.CANCELLED)
                & ~Q(activities__status=Activity.Status.PLANNED, activities__is_public=False),
                distinct=True,
            )
        )
        .prefetch_related(
            Prefetch(
                "commitments",
                queryset=ResourceCommitment.objects.filter(is_active=True).order_by("title"),
                to_attr="active_commitments",
            )
        )
        .order_by("name")
    )


def by_category(partners) -> list[tuple[str, str, list[Partner]]]:
    """[(category value, category label, partners)] in the order categories are declared."""
    order = {value: index for index, value in enumerate(PartnerCategory.values)}
    ordered = sorted(partners, key=lambda p: (order.get(p.category, len(order)), p.name))
    labels = dict(PartnerCategory.choices)
    return [
        (category, labels.get(category, category), list(group))
        for category, group in groupby(ordered, key=lambda p: p.category)
    ]


def agreement_in_force(partner: Partner, *, on=None) -> Agreement | None:
    """The partner's agreement in force today (the latest started, if several)."""
    day = on or timezone.localdate()
    return (
        partner.agreements.filter(status=Agreement.Status.ACTIVE, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("complex")
        .order_by("-starts_on", "-pk")
        .first()
    )


def active_commitments(partner: Partner):
    return partner.commitments.filter(is_active=True).order_by("title")
