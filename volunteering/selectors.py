"""Reads about volunteer service: roles with their places, service records, hours by
member and unit, what reported members did in a year, party members' service in a month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import PartyMember, PointsEntry, RoleSignUp, VolunteerRole

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=1))


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(dt.date(year, 1, 1)), local_midnight(dt.date(year + 1, 1, 1))


def roles_with_places(activity_id: int):
    """The activity's roles, each with `confirmed_count` and `waitlisted_count`."""
    return VolunteerRole.objects.filter(activity_id=activity_id).annotate(
        confirmed_count=Count("signups", filter=Q(signups__status=RoleSignUp.Status.CONFIRMED)),
        waitlisted_count=Count("signups", filter=Q(signups__status=RoleSignUp.Status.WAITLISTED)),
    )


def service_records(*, resident_ids: list[int]):
    """A resident's service records (志愿服务记录): activity, role, date, hours, organiser,
    recorder; newest first."""
    return (
        RoleSignUp.objects.served()
        .filter(resident_id__in=resident_ids)
        .select_related("activity", "role", "recorded_by")
        .prefetch_related("activity__partners")
        .order_by("-activity__starts_at", "-pk")
    )


def hours_q(start, end, prefix: str = "") -> Q:
    """Served hours of activities starting in [start, end), for conditional aggregates."""
    return Q(
        **{
            f"{prefix}hours__isnull": False,
            f"{prefix}activity__starts_at__gte": start,
            f"{prefix}activity__starts_at__lt": end,
        }
    ) & ~Q(**{f"{prefix}status": RoleSignUp.Status.CANCELLED})


def members_with_year(year: int):
    """Reported party members with what they did in the year: `year_hours`,
    `year_activities` (distinct activities served)."""
    start, end = year_bounds(year)
    served = hours_q(start, end, "volunteer_signups__")
    return PartyMember.objects.select_related("resident", "unit").annotate(
        year_hours=Coalesce(Sum("volunteer_signups__hours", filter=served), ZERO),
        year_activities=Count("volunteer_signups__activity", filter=served, distinct=True),
    )


@dataclass
class ReviewLine:
    """One reported member's year (年度评议)."""

    member: PartyMember
    posts: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    hours: Decimal = Decimal("0")
    points: int = 0
    comment: str = ""


def annual_review(*, year: int, unit_id: int | None = None, member_ids=None) -> list[ReviewLine]:
    """The year of each reported member (of a unit, or these members): posts, activities,
    hours, points earned, the staff's comment; in a fixed number of queries."""
    from .models import AnnualReview

    start, end = year_bounds(year)
    members = PartyMember.objects.select_related("resident").prefetch_related("posts")
    if unit_id is not None:
        members = members.filter(unit_id=unit_id)
    if member_ids is not None:
        members = members.filter(pk__in=member_ids)
    members = list(members.order_by("unit__name", "name", "pk"))
    ids = [m.pk for m in members]
    records = (
        RoleSignUp.objects.served_between(start, end)
        .filter(member_id__in=ids)
        .select_related("activity", "role")
        .order_by("activity__starts_at", "pk")
    )
    by_member: dict[int, list[RoleSignUp]] = {}
    for record in records:
        by_member.setdefault(record.member_id, []).append(record)
    resident_ids = [m.resident_id for m in members if m.resident_id]
    points = dict(
        PointsEntry.objects.filter(
            resident_id__in=resident_ids, created_at__gte=start, created_at__lt=end
        )
        .filter(
            Q(kind=PointsEntry.Kind.EARNED)
            | Q(kind=PointsEntry.Kind.CORRECTED, signup__isnull=False)
        )
        .values("resident_id")
        .annotate(n=Sum("points"))
        .values_list("resident_id", "n")
    )
    comments = dict(
        AnnualReview.objects.filter(year=year, member_id__in=ids).values_list(
            "member_id", "comment"
        )
    )
    lines = []
    for member in members:
        served = by_member.get(member.pk, [])
        titles: list[str] = []
        for record in served:
            line = f"{record.activity.title}（{record.role.name}）"
            if line not in titles:
                titles.append(line)
        lines.append(
            ReviewLine(
                member=member,
                posts=[p.name for p in member.posts.all()],
                activities=titles,
                hours=sum((r.hours for r in served), Decimal("0")),
                points=points.get(member.resident_id, 0) if member.resident_id else 0,
                comment=comments.get(member.pk, ""),
            )
        )
    return lines


@dataclass(frozen=True)
class PartyService:
    """Party members' service in a month, for the monthly summary."""

    members: int
    hours: Decimal
    reported: int


def party_service(*, start: dt.datetime, end: dt.datetime) -> PartyService:
    """Reported party members who served in [start, end) and their hours (two queries)."""
    served = RoleSignUp.objects.served_between(start, end).filter(member__isnull=False)
    totals = served.aggregate(
        members=Count("member", distinct=True), hours=Coalesce(Sum("hours"), ZERO)
    )
    return PartyService(
        members=totals["members"],
        hours=totals["hours"],
        reported=PartyMember.objects.filter(is_active=True).count(),
    )
