"""Reads about partners: categories in order, the agreement in force, commitments."""

from __future__ import annotations

from itertools import groupby

from .models import Agreement, Partner, PartnerCategory


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
    """The partner's agreement in force today (the latest started, if several), with its
    derived `state` (in force, or ending within 60 days)."""
    return (
        partner.agreements.in_force(on)
        .with_state(on)
        .select_related("complex")
        .order_by("-starts_on", "-pk")
        .first()
    )


def active_commitments(partner: Partner):
    return partner.commitments.filter(is_active=True).order_by("title")
