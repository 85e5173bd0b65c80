"""Reads about partners: categories in order, the agreement in force, commitments."""

from __future__ import annotations

from itertools import groupby

from .models import Agreement, Partner, PartnerCategory, ResourceCommitment


def by_category(partners) -> list[tuple[str, str, list[Partner]]]:
    """[(category value, category label, partners)] in the order categories are declared."""
    order = {value: index for index, value in enumerate(PartnerCategory.values)}
    ordered = sorted(partners, key=lambda p: (order.get(p.category, len(order)), p.name))
    labels = dict(PartnerCategory.choices)
    return [
        (category, labels.get(category, category), list(group))
        for category, group in groupby(ordered, key=lambda p: p.category)
    ]


def agreement_in_force(
    partner: Partner, *, on=None, community_id: int | None = None
) -> Agreement | None:
    """The partner's agreement in force today (the latest started, if several), with its
    derived `state` (in force, or ending within 60 days); with `community_id`, of that
    community's complexes only."""
    agreements = partner.agreements.all()
    if community_id is not None:
        agreements = agreements.filter(complex__community_id=community_id)
    return (
        agreements.in_force(on)
        .with_state(on)
        .select_related("complex")
        .order_by("-starts_on", "-pk")
        .first()
    )


def active_commitments(partner: Partner, *, community_id: int | None = None):
    """The partner's active commitments (with `community_id`, that community's:
    `ResourceCommitment.community_q`)."""
    commitments = partner.commitments.filter(is_active=True)
    if community_id is not None:
        commitments = commitments.filter(ResourceCommitment.community_q([community_id]))
    return commitments.order_by("title")
