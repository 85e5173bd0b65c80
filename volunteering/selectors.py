"""Reads about volunteer service: roles with their places, service records, hours by
member and unit, what reported members did in a year, party members' service in a month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.pinyin import pinyin_key
from residents.models import Resident

from .models import PartyMember, PointsEntry, ReportingUnit, RoleSignUp, VolunteerRole

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
    review_id: int | None = None  # the AnnualReview holding the comment, if written

    @property
    def unit_name(self) -> str:
        return self.member.unit.name if self.member.unit_id else ""

    @property
    def earns_points(self) -> bool:
        """Members living elsewhere (no resident record) have no points account."""
        return self.member.resident_id is not None


def annual_review(*, year: int, unit_id: int | None = None, member_ids=None) -> list[ReviewLine]:
    """The year of each reported member (of a unit, or these members): posts, activities,
    hours, points earned, the staff's comment; in a fixed number of queries."""
    from .models import AnnualReview

    start, end = year_bounds(year)
    members = PartyMember.objects.select_related("resident", "unit").prefetch_related("posts")
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
    reviews = {
        member_id: (pk, comment)
        for pk, member_id, comment in AnnualReview.objects.filter(
            year=year, member_id__in=ids
        ).values_list("pk", "member_id", "comment")
    }
    lines = []
    for member in members:
        served = by_member.get(member.pk, [])
        review_id, comment = reviews.get(member.pk, (None, ""))
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
                comment=comment,
                review_id=review_id,
            )
        )
    return lines


@dataclass
class UnitReviewLine:
    """One reported unit's year: its posts, its members' figures added up, its comment."""

    unit: ReportingUnit
    posts: list[str]
    members: int
    members_served: int
    hours: Decimal
    points: int
    comment: str = ""
    review_id: int | None = None


def unit_reviews(
    *, year: int, lines: list[ReviewLine], unit_id: int | None = None, units=None
) -> list[UnitReviewLine]:
    """Every reported unit's line for the year (units in the register, and those whose
    members have lines), or the line of one unit, from its members' `annual_review` lines;
    in two queries. `units`, when given, is the queryset of the units that may be listed
    (a community's own, in the back office)."""
    from .models import AnnualReview

    by_unit: dict[int, list[ReviewLine]] = {}
    for line in lines:
        if line.member.unit_id is not None:
            by_unit.setdefault(line.member.unit_id, []).append(line)
    written = AnnualReview.objects.filter(year=year, unit__isnull=False)
    units = (ReportingUnit.objects.all() if units is None else units).prefetch_related("posts")
    if unit_id is not None:
        written = written.filter(unit_id=unit_id)
        units = units.filter(pk=unit_id)
    else:
        units = units.filter(Q(is_active=True) | Q(pk__in=by_unit))
    reviews = {
        unit: (pk, comment) for pk, unit, comment in written.values_list("pk", "unit", "comment")
    }
    result = []
    for unit in units.order_by("name"):
        mine = by_unit.get(unit.pk, [])
        pk, comment = reviews.get(unit.pk, (None, ""))
        result.append(
            UnitReviewLine(
                unit=unit,
                posts=[p.name for p in unit.posts.all()],
                members=len(mine),
                members_served=sum(1 for line in mine if line.hours > 0),
                hours=sum((line.hours for line in mine), Decimal("0")),
                points=sum(line.points for line in mine),
                comment=comment,
                review_id=pk,
            )
        )
    return result


@dataclass(frozen=True)
class MemberService:
    """One reported member's service in the month."""

    name: str
    unit: str
    posts: tuple[str, ...]
    activities: int
    hours: Decimal


@dataclass(frozen=True)
class UnitService:
    """The service of a unit's members in the month ("" : members reporting on their own)."""

    unit: str
    members: int
    hours: Decimal


@dataclass(frozen=True)
class PartyService:
    """Party members' service in a month, for the monthly summary: the totals, by unit
    (units by hours, members reporting on their own last) and member by member."""

    members: int
    hours: Decimal
    reported: int
    by_member: tuple[MemberService, ...] = ()

    @property
    def by_unit(self) -> list[UnitService]:
        units: dict[str, list[MemberService]] = {}
        for line in self.by_member:
            units.setdefault(line.unit, []).append(line)
        rows = [
            UnitService(
                unit=name,
                members=len(lines),
                hours=sum((line.hours for line in lines), Decimal("0")),
            )
            for name, lines in units.items()
        ]
        return sorted(rows, key=lambda row: (row.unit == "", -row.hours, row.unit))


def party_service(*, start: dt.datetime, end: dt.datetime, communities=None) -> PartyService:
    """Reported party members who served in [start, end), their hours, by unit and member
    (three queries, whatever the number of members). With `communities` (ids): their
    service at those communities' activities, and the members reported who live there."""
    served = RoleSignUp.objects.served_between(start, end).filter(member__isnull=False)
    reported = PartyMember.objects.filter(is_active=True)
    if communities is not None:
        served = served.filter(activity__complex__community__in=communities)
        reported = reported.filter(Resident.community_q(communities, prefix="resident__"))
    per_member = {
        row["member"]: row
        for row in served.values("member")
        .annotate(hours_sum=Sum("hours"), activities=Count("activity", distinct=True))
        .order_by()
    }
    members = (
        PartyMember.objects.filter(pk__in=per_member)
        .select_related("resident", "unit")
        .prefetch_related("posts")
    )
    by_member = sorted(
        (
            MemberService(
                name=member.display_name,
                unit=member.unit.name if member.unit_id else "",
                posts=tuple(p.name for p in member.posts.all()),
                activities=per_member[member.pk]["activities"],
                hours=per_member[member.pk]["hours_sum"],
            )
            for member in members
        ),
        key=lambda line: (-line.hours, line.unit, pinyin_key(line.name)),
    )
    return PartyService(
        members=len(by_member),
        hours=sum((line.hours for line in by_member), Decimal("0")),
        reported=reported.count(),
        by_member=tuple(by_member),
    )
