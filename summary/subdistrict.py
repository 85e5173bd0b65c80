"""The subdistrict's monthly summary: every community of the subdistrict side by side, and
the subdistrict's total, on the page, on A4 and in Excel (they only format what
`subdistrict_summary()` returns).

Each community's line counts as its own monthly summary does (`report.monthly_summary(
community=…)`, same rules, see that module): activities held and their attendance, the
households (and residents) reached by its activities and its household coverage, the
partners holding an agreement in force with one of its complexes, the needs resolved and
the leads signed in the month.

The total adds up what is additive (activities, attendance, needs, leads, households of
the complexes); what is a distinct count is counted again over the subdistrict: a
household reached by the activities of two communities, or a partner with agreements in
two, counts once in the total. A fixed number of queries whatever the number of
communities (grouped by community).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from activities.models import (
    Activity,
    HouseholdReach,
    MonthReach,
    Need,
    ResidentReach,
    SignUp,
)
from core.periods import local_zone, month_bounds
from partners.models import Agreement, Lead
from residents.models import Community, Complex, Resident, Subdistrict

from .report import (
    PERCENT,
    SUMMARY_WORK_MEM,
    MonthOf,
    _in_force_q,
    format_value,
    held_q,
    live_attendance,
    ratio,
)

#: The figures of a line, in the page's and the Excel's column order.
COLUMNS = (
    "activities",
    "attendance",
    "residents",
    "households",
    "household_total",
    "coverage",
    "partners",
    "needs_resolved",
    "leads_signed",
)


@dataclass(frozen=True)
class CommunityLine:
    """One community's figures of the month (or the subdistrict's total)."""

    pk: int | None  # None for the total
    name: str
    activities: int
    attendance: int
    residents: int
    households: int
    household_total: int
    partners: int
    needs_resolved: int
    leads_signed: int

    @property
    def coverage(self) -> float | None:
        return ratio(self.households, self.household_total)

    @property
    def coverage_display(self) -> str:
        return format_value(self.coverage, PERCENT)

    def display(self, column: str) -> str:
        if column == "coverage":
            return self.coverage_display
        return format_value(getattr(self, column))


@dataclass(frozen=True)
class SubdistrictSummary(MonthOf):
    year: int
    month: int
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    subdistrict_name: str
    is_partial: bool
    lines: tuple[CommunityLine, ...]
    total: CommunityLine


def _grouped(queryset, key, **figures) -> dict[int, dict]:
    """{community id: {figure: value}} of `queryset` grouped by `key` (a path or an
    expression)."""
    return {
        row.pop("of_community"): row
        for row in queryset.annotate(of_community=F(key) if isinstance(key, str) else key)
        .values("of_community")
        .annotate(**figures)
        .order_by()
    }


def subdistrict_summary(
    *,
    year: int,
    month: int,
    communities,
    subdistrict: Subdistrict | None = None,
    now: dt.datetime | None = None,
) -> SubdistrictSummary:
    """The month's line of each of `communities` (Community rows, in the order given) and
    their total, in a fixed number of queries."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    communities = list(communities)
    ids = [c.pk for c in communities]
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = month_bounds(year, month)
    last_day = (end - dt.timedelta(seconds=1)).astimezone(local_zone()).date()
    ref_day = min(last_day, today)
    closed = end <= now
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = %s", [SUMMARY_WORK_MEM])
                cursor.execute("SET LOCAL jit = off")
        households_of = _grouped(
            Complex.objects.filter(community__in=ids), "community", n=Sum("household_count")
        )
        if closed:
            attendance = Coalesce(Sum("tally__attended"), 0)
        else:
            attendance = Coalesce(live_attendance(), 0)
        activities = _grouped(
            Activity.objects.filter(held_q(start, end, now), complex__community__in=ids),
            "complex__community",
            n=Count("pk"),
            attended=attendance,
        )
        if closed:
            reach = {
                r.community_id: {"households": r.households, "residents": r.residents}
                for r in MonthReach.objects.filter(community__in=ids, year=year, month=month)
            }
            total_households, total_residents = (
                model.objects.filter(year=year, community__in=ids)
                .annotate(bit=F("months").bitand(1 << (month - 1)))
                .filter(bit__gt=0)
                .aggregate(n=Count(field, distinct=True))["n"]
                for model, field in ((HouseholdReach, "household"), (ResidentReach, "resident"))
            )
        else:
            attended = SignUp.objects.filter(
                held_q(start, end, now, "activity__"),
                attended=True,
                activity__complex__community__in=ids,
            )
            reach = _grouped(
                attended,
                "activity__complex__community",
                households=Count("household", distinct=True),
                residents=Count("resident", distinct=True),
            )
            totals = attended.aggregate(
                households=Count("household", distinct=True),
                residents=Count("resident", distinct=True),
            )
            total_households, total_residents = totals["households"], totals["residents"]
        in_force = Agreement.objects.filter(_in_force_q(ref_day), complex__community__in=ids)
        partners = _grouped(in_force, "complex__community", n=Count("partner", distinct=True))
        total_partners = in_force.aggregate(n=Count("partner", distinct=True))["n"]
        needs = _grouped(
            Need.objects.counted().filter(
                status=Need.Status.RESOLVED, resolved_at__gte=start, resolved_at__lt=end
            ),
            # A need is its complex's community's, or, without one, its resident's.
            "complex__community",
            n=Count("pk"),
        )
        unplaced_needs = _grouped(
            Need.objects.counted().filter(
                complex__isnull=True,
                status=Need.Status.RESOLVED,
                resolved_at__gte=start,
                resolved_at__lt=end,
            ),
            Resident.community_of("resident__"),
            n=Count("pk"),
        )
        leads = _grouped(
            Lead.objects.counted().filter(
                Q(stage=Lead.Stage.SIGNED), closed_at__gte=start, closed_at__lt=end
            ),
            Resident.community_of("offered_by__"),
            n=Count("pk"),
        )
    lines = []
    for community in communities:
        pk = community.pk
        lines.append(
            CommunityLine(
                pk=pk,
                name=community.name,
                activities=activities.get(pk, {}).get("n", 0),
                attendance=activities.get(pk, {}).get("attended", 0) or 0,
                residents=reach.get(pk, {}).get("residents", 0),
                households=reach.get(pk, {}).get("households", 0),
                household_total=households_of.get(pk, {}).get("n", 0) or 0,
                partners=partners.get(pk, {}).get("n", 0),
                needs_resolved=needs.get(pk, {}).get("n", 0)
                + unplaced_needs.get(pk, {}).get("n", 0),
                leads_signed=leads.get(pk, {}).get("n", 0),
            )
        )
    name = subdistrict.name if subdistrict else ""
    total = CommunityLine(
        pk=None,
        name=name,
        activities=sum(line.activities for line in lines),
        attendance=sum(line.attendance for line in lines),
        residents=total_residents,
        households=total_households,
        household_total=sum(line.household_total for line in lines),
        partners=total_partners,
        needs_resolved=sum(line.needs_resolved for line in lines),
        leads_signed=sum(line.leads_signed for line in lines),
    )
    return SubdistrictSummary(
        year=year,
        month=month,
        start=start,
        end=end,
        generated_at=now,
        subdistrict_name=name,
        is_partial=start <= now < end,
        lines=tuple(lines),
        total=total,
    )


def communities_of(ids) -> list[Community]:
    """The communities `ids`, in the subdistrict's order (by name)."""
    return list(Community.objects.filter(pk__in=ids).order_by("name", "pk"))
