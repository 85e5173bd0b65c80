"""The party secretary's monthly summary: every figure of the page, the print and the Excel.

`monthly_summary(year=…, month=…)` is the ONE function that computes them and returns a
frozen `MonthlySummary`; the page (`summary_views`), its print stylesheet and the Excel
download (`summary_export`) only format what it returns, so they can never disagree.

How each figure is counted (the page's footnotes say the same in Chinese):

- **Month**: from local midnight on the 1st to local midnight on the 1st of the next month,
  in `settings.TIME_ZONE` (Asia/Shanghai) — a sign-up at 23:30 on 31 January counts in
  January. Never `__month` lookups, which would cut months at UTC midnight.
- **Activity held in the month**: not cancelled, ends within the month, and either marked
  held or already over.
- **Sign-ups**: sign-ups made (created) in the month, whatever became of them since.
- **Attendance** (参加人次): the attended (checked-in) sign-ups *of the activities held in the
  month*, whenever the check-in was recorded; so the attendance of an activity always
  counts in the month the activity was held, with its confirmed sign-ups.
- **Attendance rate**: attendance ÷ confirmed sign-ups of those activities.
- **Seats filled**: confirmed sign-ups (at most the seats: walk-ins let in over capacity
  count as attended, not as more than a full house) ÷ seats, over held activities that have
  a capacity.
- **Unmet demand**: sign-ups left on the waiting list of the activities held in the month.
- **Residents / households reached**: distinct residents, and distinct households, with an
  attended sign-up of an activity held in the month (or in the year up to the end of the
  month; running totals, shown without a month-on-month change). A sign-up's household is
  the one the resident lived in when signing up (`SignUp.household`): a household reached
  in October stays reached if the resident later moves.
  **Household coverage**: households reached ÷ the total `household_count` of the
  complexes (1,149 for 铁建丽苑小区).
- **Party members taking part**: distinct party members among the residents reached.
- **Partners with an agreement in force**: distinct partners holding an agreement in force
  on the month's last day (today for the current month): `Agreement.objects.in_force()`;
  a terminated agreement is in force up to its termination date.
- **Agreements signed**: signed in the month. **Expired**: end date in the month.
  **Expiring**: end date in the month or in the 60 days after it (the agreements' own
  "ending" window), and not yet renewed by a signed agreement.
- **Leads**: received = offered in the month; converted = signed, closed in the month;
  residents credited = distinct residents who offered a lead converted in the month; in
  follow-up = offered before the month's end and not closed by then.
- **Needs**: received = reported in the month; resolved = resolved in the month; in
  progress = accepted or in a project at the month's end; pending = not yet looked at.
- **Rating**: the average rating left for the activities held in the month.
- **Service projects**: their status and progress at the month's end (from their history
  where it is recorded, else as they are now); projects done before the month are left out.

A resident who deleted their data keeps their anonymised row and sign-ups, so past months'
totals do not change. The number of queries is fixed (about twenty), whatever the number
of months, residents, activities or sign-ups: every figure is an aggregate with conditional
`Count(…, filter=Q(…))`; the 12-month series and all the distinct reach counts (this month,
last month, the year so far) come from one pass over the attended sign-ups (`_reach`). The
figures of this month and last add up the two months' activity rows, so the headline, the
activity list and the partner table always agree. Speed at a million sign-ups: see
bench/README.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy as _

from activities.models import (
    Activity,
    ActivityQuerySet,
    Category,
    Feedback,
    HouseholdReach,
    MonthReach,
    Need,
    NeedQuerySet,
    ResidentReach,
    ServiceProject,
    SignUp,
)
from core.masking import mask_name
from core.periods import (
    add_months,
    local_zone,
    month_bounds,
    month_label,
    month_start,
    short_month_label,
)
from partners.models import (
    ENDING_WINDOW_DAYS,
    RAN_STATUSES,
    SIGNED_STATUSES,
    Agreement,
    AgreementQuerySet,
    Lead,
    LeadQuerySet,
    Partner,
    ResourceCommitment,
)
from residents.models import Community, Complex, Resident
from residents.scoping import community_q

#: An agreement ending within this many days after the month's end is "expiring": the
#: agreements' own window (`partners.models.ENDING_WINDOW_DAYS`, 即将到期).
EXPIRING_WINDOW_DAYS = ENDING_WINDOW_DAYS
#: Months in the trend charts, the month itself included.
TREND_MONTHS = 12
#: Published quotes shown with the rating.
QUOTE_COUNT = 3
#: PostgreSQL work_mem for the summary's transaction (its distinct counts sort in memory).
SUMMARY_WORK_MEM = "64MB"

COUNT = "count"
PERCENT = "percent"
RATING = "rating"

# The rules are the owning apps' own (one definition each): an activity held in a month,
# an agreement in force on a day, a lead or a need open at a moment.
held_q = ActivityQuerySet.held_q
_in_force_q = AgreementQuerySet.in_force_q


# --- figures ---------------------------------------------------------------------------


def format_value(value, kind: str = COUNT) -> str:
    """How a figure reads on the page: 1149 (1,149 in English) · 87.5% · 4.6 · — (nothing
    to divide by)."""
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{value * 100:.1f}%"
    if kind == RATING:
        return f"{value:.1f}"
    return formats.number_format(value, force_grouping=True)


def _ids(community) -> list[int] | None:
    """A community, or a collection of community ids, as a list of ids; None for all."""
    if community is None:
        return None
    if isinstance(community, Community):
        return [community.pk]
    return sorted(community)


def _of(model, community) -> Q:
    """The rows of `model` that are `community`'s (a Community or a collection of ids; by
    the model's declared path, residents.scoping); every row when `community` is None."""
    ids = _ids(community)
    return Q() if ids is None else community_q(model, ids)


def _via(path: str, community) -> Q:
    """The condition `path`__in the communities, or none when `community` is None."""
    ids = _ids(community)
    return Q() if ids is None else Q(**{f"{path}__in": ids})


def ratio(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 6)


@dataclass(frozen=True)
class Figure:
    """A headline number with last month's, for the ▲/▼ change."""

    value: int | float | None
    previous: int | float | None = None
    kind: str = COUNT

    @property
    def change(self) -> int | float | None:
        if self.value is None or self.previous is None:
            return None
        diff = self.value - self.previous
        return round(diff, 6) if isinstance(diff, float) else diff

    @property
    def direction(self) -> str:
        """ "up", "down", "flat", or "" when there is nothing to compare."""
        change = self.change
        if change is None:
            return ""
        return "up" if change > 0 else "down" if change < 0 else "flat"

    @property
    def display(self) -> str:
        return format_value(self.value, self.kind)

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.kind)

    @property
    def change_display(self) -> str:
        """▲ 3 · ▼ 2.5 个百分点 · 持平 · — ."""
        change = self.change
        if change is None:
            return "—"
        if change == 0:
            return gettext("持平")
        arrow = "▲" if change > 0 else "▼"
        if self.kind == PERCENT:
            return gettext("%(arrow)s %(points)s 个百分点") % {
                "arrow": arrow,
                "points": f"{abs(change) * 100:.1f}",
            }
        if self.kind == RATING:
            return f"{arrow} {abs(change):.1f}"
        return f"{arrow} {format_value(abs(change))}"


@dataclass(frozen=True)
class CategoryFigure:
    category: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class TrendMonth:
    """One month of the 12-month series."""

    year: int
    month: int
    activities: int
    by_category: tuple[tuple[str, int], ...]
    attendance: int
    households: int

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    def category_count(self, category: str) -> int:
        return dict(self.by_category).get(category, 0)


@dataclass(frozen=True)
class AgreementRow:
    """An agreement ending in the month or soon after, not yet renewed."""

    partner: str
    title: str
    ends_on: dt.date
    has_ended: bool  # ended within the month (else: ends in the 30 days after it)


@dataclass(frozen=True)
class CommitmentRow:
    title: str
    held: int
    times_per_month: int

    @property
    def met(self) -> bool:
        return self.held >= self.times_per_month


@dataclass(frozen=True)
class PartnerRow:
    """What one partner did in the month."""

    pk: int
    name: str
    category: str
    has_agreement: bool
    agreement_ends_on: dt.date | None
    activities: int
    attendance: int
    rating: float | None
    ratings: int
    commitments: tuple[CommitmentRow, ...]

    @property
    def commitments_met(self) -> int:
        return sum(1 for c in self.commitments if c.met)

    @property
    def commitments_total(self) -> int:
        return len(self.commitments)

    @property
    def rating_display(self) -> str:
        return format_value(self.rating, RATING)

    @property
    def commitments_display(self) -> str:
        if not self.commitments:
            return "—"
        return f"{self.commitments_met}/{self.commitments_total}"


@dataclass(frozen=True)
class ActivityRow:
    """An activity held in the month."""

    pk: int
    title: str
    category: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    partners: str
    capacity: int | None
    confirmed: int
    attended: int
    waitlisted: int
    rating_sum: int
    ratings: int
    partner_ids: tuple[int, ...] = ()

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    @property
    def rating_display(self) -> str:
        return format_value(self.rating, RATING)


@dataclass(frozen=True)
class ProjectRow:
    """A service project's state at the month's end."""

    pk: int
    title: str
    partner: str
    category: str
    status: str
    status_label: str
    progress: int
    progress_change: int | None
    done_this_month: bool
    due_on: dt.date | None

    @property
    def progress_change_display(self) -> str:
        """▲ 40% · ▼ 10% · 持平 · — (no record at the month's start)."""
        change = self.progress_change
        if change is None:
            return "—"
        if change == 0:
            return gettext("持平")
        return f"{'▲' if change > 0 else '▼'} {abs(change)}%"


@dataclass(frozen=True)
class Quote:
    """A published comment, with the resident's name masked (王**)."""

    name: str
    activity: str
    rating: int
    comment: str


HEADLINE_GROUPS = (
    (
        _("共建单位与协议"),
        (
            ("partners_in_force", _("协议在期的共建单位")),
            ("agreements_signed", _("本月新签协议")),
            ("agreements_expiring", _("即将到期、尚未续签")),
            ("agreements_expired", _("本月到期协议")),
        ),
    ),
    (
        _("活动与参与"),
        (
            ("activities_held", _("举办活动（场）")),
            ("signups", _("报名（人次）")),
            ("attendance", _("参加（人次）")),
            ("attendance_rate", _("到场率")),
            ("seats_filled", _("名额使用率")),
            ("unmet_demand", _("候补未能参加（人次）")),
        ),
    ),
    (
        _("服务覆盖"),
        (
            ("residents_reached", _("本月服务居民（人）")),
            ("households_reached", _("本月服务家庭（户）")),
            ("household_coverage", _("本月户覆盖率")),
            ("residents_reached_year", _("本年累计服务居民（人）")),
            ("households_reached_year", _("本年累计服务家庭（户）")),
            ("household_coverage_year", _("本年户覆盖率")),
            ("party_members", _("参与活动的党员（人）")),
        ),
    ),
    (
        _("资源线索与居民需求"),
        (
            ("leads_received", _("收到资源线索")),
            ("leads_converted", _("线索签约")),
            ("leads_credited", _("促成签约的居民（人）")),
            ("leads_open", _("跟进中的线索")),
            ("needs_received", _("收到居民需求")),
            ("needs_in_progress", _("办理中的需求")),
            ("needs_resolved", _("已解决需求")),
            ("needs_pending", _("待受理需求")),
        ),
    ),
    (
        _("居民评价"),
        (
            ("rating", _("平均评分（5分制）")),
            ("ratings_count", _("评价（条）")),
        ),
    ),
)


class MonthOf:
    """The month of a summary (`year`, `month`, `end`): its label, last day, neighbours."""

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def last_day(self) -> dt.date:
        return timezone.localtime(self.end, local_zone()).date() - dt.timedelta(days=1)

    @property
    def previous_month(self) -> tuple[int, int]:
        return add_months(self.year, self.month, -1)

    @property
    def next_month(self) -> tuple[int, int]:
        return add_months(self.year, self.month, 1)


@dataclass(frozen=True)
class MonthlySummary(MonthOf):
    """Every figure of one month's summary (see the module docstring for definitions)."""

    year: int
    month: int
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    community_name: str
    household_total: int
    is_partial: bool  # the current month, still running
    # partners and agreements
    partners_in_force: Figure
    agreements_signed: Figure
    agreements_expiring: Figure
    agreements_expired: Figure
    expiring_agreements: tuple[AgreementRow, ...]
    # activities
    activities_held: Figure
    activities_by_category: tuple[CategoryFigure, ...]
    signups: Figure
    attendance: Figure
    confirmed: Figure
    attendance_rate: Figure
    seats_filled: Figure
    unmet_demand: Figure
    # reach
    residents_reached: Figure
    households_reached: Figure
    household_coverage: Figure
    residents_reached_year: Figure
    households_reached_year: Figure
    household_coverage_year: Figure
    party_members: Figure
    # projects
    projects: tuple[ProjectRow, ...]
    projects_planned: int
    projects_in_progress: int
    projects_done_this_month: int
    projects_done_total: int
    # leads and needs
    leads_received: Figure
    leads_converted: Figure
    leads_credited: Figure
    leads_open: Figure
    needs_received: Figure
    needs_in_progress: Figure
    needs_resolved: Figure
    needs_pending: Figure
    # feedback
    rating: Figure
    ratings_count: Figure
    quotes: tuple[Quote, ...]
    # tables
    partners: tuple[PartnerRow, ...]
    activities: tuple[ActivityRow, ...]
    trend: tuple[TrendMonth, ...]

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def has_data(self) -> bool:
        """Anything happened in the month at all."""
        return any(
            f.value
            for f in (
                self.activities_held,
                self.signups,
                self.agreements_signed,
                self.leads_received,
                self.needs_received,
                self.needs_resolved,
            )
        ) or bool(self.projects)

    def headline_groups(self):
        """[(group label, [(key, label, Figure), …]), …] in the page's and the Excel's order."""
        return [
            (group, [(key, label, getattr(self, key)) for key, label in rows])
            for group, rows in HEADLINE_GROUPS
        ]

    @property
    def trend_categories(self) -> tuple[tuple[str, str], ...]:
        """The categories with at least one activity in the 12 months, in Category order."""
        used = {c for m in self.trend for c, n in m.by_category if n}
        return tuple((c.value, str(c.label)) for c in Category if c.value in used)

    @property
    def trend_rows(self) -> tuple[tuple[str, tuple[int, ...], int], ...]:
        """(month, counts in `trend_categories` order, total) for the table under the chart."""
        keys = [key for key, _label in self.trend_categories]
        return tuple(
            (m.key, tuple(m.category_count(k) for k in keys), m.activities) for m in self.trend
        )

    @property
    def household_rows(self) -> tuple[tuple[str, int, str], ...]:
        """(month, households reached, coverage) for the table under the households chart."""
        return tuple(
            (m.key, m.households, format_value(ratio(m.households, self.household_total), PERCENT))
            for m in self.trend
        )

    @property
    def commitments_met(self) -> int:
        return sum(p.commitments_met for p in self.partners)

    @property
    def commitments_total(self) -> int:
        return sum(p.commitments_total for p in self.partners)

    def chart_data(self) -> dict:
        """What static/js/summary.js draws, passed with `json_script` (plain JSON types)."""
        categories = self.trend_categories
        return {
            "labels": [
                short_month_label(m.year, m.month, with_year=i == 0 or m.month == 1)
                for i, m in enumerate(self.trend)
            ],
            "keys": [m.key for m in self.trend],
            "categories": [
                {"key": key, "label": label, "data": [m.category_count(key) for m in self.trend]}
                for key, label in categories
            ],
            "activities": [m.activities for m in self.trend],
            "attendance": [m.attendance for m in self.trend],
            "households": [m.households for m in self.trend],
            "household_total": self.household_total,
            "text": {
                "activities": gettext("活动（场）"),
                "attendance": gettext("参加（人次）"),
                "households": gettext("服务家庭（户）"),
            },
        }


# --- the queries -----------------------------------------------------------------------


def _trend(
    first: tuple[int, int],
    end: dt.datetime,
    now: dt.datetime,
    months: int,
    *,
    year_from: int = 0,
    live: bool = False,
    community: Community | None = None,
):
    """The monthly series from `first` (year, month) for `months` months ending at `end`,
    and the reach figures that need distinct counts (see `_reach`).

    Two queries whatever the number of months: activities and their attendance by month
    (its index in the series, from local-midnight bounds) and category; distinct residents
    and households reached (`_reach`), where a sign-up's month is its activity's, as the bit
    1 << i of the i-th month. For months that are over, attendance comes from the
    activities' tallies and the reach from `MonthReach` (`_rolled_up_reach`).
    """
    start = month_start(*first)
    bounds = [month_start(*add_months(*first, i)) for i in range(1, months)]
    if end <= now and not live:
        # Every month is over: their activities' attendance and the residents and
        # households reached come from the roll-ups (activities.rollups).
        attendance = Sum("tally__attended")
        reach = _rolled_up_reach(first, months, year_from=year_from, community=community)
    else:
        # An activity's attended sign-ups, counted from the partial index (activity,
        # resident, household) WHERE attended: one index range per activity.
        attendance = live_attendance()
        # Bit of the month of the sign-up's activity: the first bound it ends before.
        month_bit = Case(
            *(When(activity__ends_at__lt=b, then=Value(1 << i)) for i, b in enumerate(bounds)),
            default=Value(1 << (months - 1)),
            output_field=IntegerField(),
        )
        attended = SignUp.objects.filter(
            held_q(start, end, now, "activity__"), _of(SignUp, community), attended=True
        )
        reach = _reach(attended, month_bit, months, year_from=year_from)
    # The activity's month as its index in the series, from local-midnight bounds (cheaper
    # than converting every end to local time in SQL).
    month_index = Case(
        *(When(ends_at__lt=b, then=Value(i)) for i, b in enumerate(bounds)),
        default=Value(months - 1),
        output_field=IntegerField(),
    )
    activities = (
        Activity.objects.filter(held_q(start, end, now), _of(Activity, community))
        .annotate(i=month_index)
        .values("i", "category")
        .annotate(n=Count("pk"), attended=attendance)
        .order_by()
    )
    by_month: dict = defaultdict(
        lambda: {"categories": defaultdict(int), "activities": 0, "attended": 0}
    )
    for row in activities:
        month = by_month[add_months(*first, row["i"])]
        month["categories"][row["category"]] += row["n"]
        month["activities"] += row["n"]
        month["attended"] += row["attended"] or 0
    result = []
    for i in range(months):
        y, m = add_months(*first, i)
        data = by_month.get((y, m), {})
        cats = data.get("categories", {})
        result.append(
            TrendMonth(
                year=y,
                month=m,
                activities=data.get("activities", 0),
                by_category=tuple((c, cats.get(c, 0)) for c in Category.values),
                attendance=data.get("attended", 0),
                households=reach["households"][i],
            )
        )
    return result, reach


def live_attendance():
    """The attended sign-ups of the activities of a group, counted from the partial index
    (activity, resident, household) WHERE attended: one index range per activity."""
    return Sum(
        Subquery(
            SignUp.objects.filter(activity=OuterRef("pk"), attended=True)
            .order_by()
            .values("activity")
            .annotate(n=Count("*"))
            .values("n"),
            output_field=IntegerField(),
        )
    )


def _bit_or(expression: str, bits: int) -> str:
    """SQL for the bitwise OR of an integer column over a group (`bits` low bits).

    PostgreSQL has BIT_OR; elsewhere each bit is the MAX of the column masked by it.
    """
    if connection.vendor == "postgresql":
        return f"BIT_OR({expression})"
    return "(" + " + ".join(f"MAX({expression} & {1 << i})" for i in range(bits)) + ")"


def _reach(attended, month_bit, months: int, *, year_from: int) -> dict:
    """Distinct households per month; distinct residents and party members in the last
    month and the one before; distinct residents and households from month `year_from`
    (0-based) to the last. One query.

    Each (resident, household at sign-up) pair of the attended sign-ups gets the months it
    was reached in as a bit mask; masks are then OR-ed per household and per resident, and
    every figure is a count of masks with the month's bit set. The grouping visits every
    attended sign-up of the months once, instead of one distinct count per figure.
    """
    pairs = (
        attended.annotate(bit=month_bit)
        .values_list("resident_id", "household_id", "bit")
        .order_by()
    )
    pairs_sql, params = pairs.query.sql_with_params()
    party = Resident.objects.filter(is_party_member=True).values("pk").order_by()
    party_sql, party_params = party.query.sql_with_params()
    last, before = 1 << (months - 1), (1 << (months - 2)) if months > 1 else 0
    year = sum(1 << i for i in range(year_from, months))

    def has(mask):
        return f"SUM(CASE WHEN (bits & {mask}) <> 0 THEN 1 ELSE 0 END)"

    def party_has(mask):
        return (
            f"SUM(CASE WHEN (bits & {mask}) <> 0 AND resident_id IN ({party_sql}) "
            "THEN 1 ELSE 0 END)"
        )

    household_columns = [has(1 << i) for i in range(months)] + [has(year)]
    resident_columns = [has(last), has(before), party_has(last), party_has(before), has(year)]
    sql = f"""
        WITH signups (resident_id, household_id, bit) AS ({pairs_sql}),
        pairs AS (
            SELECT resident_id, household_id, {_bit_or("bit", months)} AS bits
            FROM signups GROUP BY resident_id, household_id
        ),
        households AS (
            SELECT {_bit_or("bits", months)} AS bits FROM pairs
            WHERE household_id IS NOT NULL GROUP BY household_id
        ),
        residents AS (
            SELECT resident_id, {_bit_or("bits", months)} AS bits FROM pairs
            GROUP BY resident_id
        )
        SELECT * FROM
            (SELECT {", ".join(household_columns)} FROM households) AS h,
            (SELECT {", ".join(resident_columns)} FROM residents) AS r
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *party_params, *party_params])
        row = [n or 0 for n in cursor.fetchone()]
    households, row = row[:months], row[months:]
    return {
        "households": households,
        "cur_households": households[-1],
        "prev_households": households[-2] if months > 1 else 0,
        "year_households": row[0],
        "cur_residents": row[1],
        "prev_residents": row[2],
        "cur_party": row[3],
        "prev_party": row[4],
        "year_residents": row[5],
    }


def _rolled_up_reach(
    first: tuple[int, int], months: int, *, year_from: int, community: Community | None = None
) -> dict:
    """`_reach`'s figures for months that are over, from the roll-ups in one query: the
    distinct residents, households and party members (as they are now, as `_reach`
    counts them) of each month, and the residents and households of its year so far,
    are a community's `MonthReach` counters; for every community at once, the same
    counters recounted over its reach rows (`_reach_over_communities`: a resident reached
    in two communities counts once)."""
    series = [add_months(*first, i) for i in range(months)]
    # year_from is always January of the last month's year: its year so far is MonthReach's.
    ids = _ids(community)
    rows = MonthReach.objects.filter(
        year__in={y for y, _m in series}, month__in={m for _y, m in series}
    )
    if ids is not None:
        rows = rows.filter(community_id__in=ids)
    rows = list(rows)
    if len({r.community_id for r in rows}) <= 1:
        # One community's months (always so on a one-community installation): its counters.
        stored = {(r.year, r.month): r for r in rows}
    else:
        stored = _reach_over_communities(series, ids)
    empty = MonthReach()
    rows = [stored.get(key, empty) for key in series]
    cur, prev = rows[-1], rows[-2] if months > 1 else empty
    per_month = [r.households for r in rows]
    return {
        "households": per_month,
        "cur_households": cur.households,
        "prev_households": prev.households,
        "year_households": cur.households_year,
        "cur_residents": cur.residents,
        "prev_residents": prev.residents,
        "cur_party": cur.party_residents,
        "prev_party": prev.party_residents,
        "year_residents": cur.residents_year,
    }


def _reach_over_communities(series: list[tuple[int, int]], ids: list[int] | None) -> dict:
    """{(year, month): MonthReach} for the months of `series`, counted over the communities
    `ids` (None: all): each resident's and household's rows of a year OR-ed together (one
    query)."""
    years = sorted({y for y, _m in series})
    where = "" if ids is None else f" AND community_id IN ({', '.join(str(int(i)) for i in ids)})"
    if ids is not None and not ids:
        where = " AND 1 = 0"
    table = connection.ops.quote_name
    residents, households = (
        table(model._meta.db_table) for model in (ResidentReach, HouseholdReach)
    )
    party = "BOOL_OR(party)" if connection.vendor == "postgresql" else "MAX(party)"
    no_party = "FALSE" if connection.vendor == "postgresql" else "0"
    columns = []
    for y, mo in series:
        bit, upto = 1 << (mo - 1), (1 << mo) - 1
        columns += [
            f"SUM(CASE WHEN kind = 0 AND year = {y} AND (bits & {bit}) <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN kind = 1 AND year = {y} AND (bits & {bit}) <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN kind = 0 AND year = {y} AND (bits & {upto}) <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN kind = 1 AND year = {y} AND (bits & {upto}) <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN kind = 0 AND year = {y} AND (bits & {bit}) <> 0 AND is_party "
            "THEN 1 ELSE 0 END)",
        ]
    marks = ", ".join(["%s"] * len(years))
    sql = f"""
        WITH reach (kind, year, bits, is_party) AS (
            SELECT 0, year, {_bit_or("months", 12)}, {party} FROM {residents}
            WHERE year IN ({marks}){where} GROUP BY resident_id, year
            UNION ALL
            SELECT 1, year, {_bit_or("months", 12)}, {no_party} FROM {households}
            WHERE year IN ({marks}){where} GROUP BY household_id, year
        )
        SELECT {", ".join(columns)} FROM reach
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*years, *years])
        row = [n or 0 for n in cursor.fetchone()]
    fields = ("residents", "households", "residents_year", "households_year", "party_residents")
    return {
        key: MonthReach(
            year=key[0], month=key[1], **dict(zip(fields, row[i * 5 : i * 5 + 5], strict=True))
        )
        for i, key in enumerate(series)
    }


def _projects(start, end, first_day, last_day, now, community=None):
    history = ServiceProject.history.model

    def as_of(moment, field):
        return Subquery(
            history.objects.filter(id=OuterRef("pk"), history_date__lt=moment)
            .order_by("-history_date", "-history_id")
            .values(field)[:1]
        )

    projects = (
        ServiceProject.objects.filter(
            Q(starts_on__lte=last_day) | Q(starts_on__isnull=True, created_at__lt=end),
            _of(ServiceProject, community),
        )
        .select_related("partner")
        .annotate(
            status_end=as_of(end, "status"),
            progress_end=as_of(end, "progress"),
            status_start=as_of(start, "status"),
            progress_start=as_of(start, "progress"),
        )
        .order_by("pk")
    )
    labels = dict(ServiceProject.Status.choices)
    done = ServiceProject.Status.DONE
    rows, counts = [], defaultdict(int)
    for p in projects:
        if end > now or p.status_end is None:
            status, progress = p.status, p.progress
        else:
            status, progress = p.status_end, p.progress_end
        if p.status_start is not None:
            start_state = (p.status_start, p.progress_start)
        elif p.created_at >= start and (p.starts_on is None or p.starts_on >= first_day):
            start_state = (ServiceProject.Status.PLANNED, 0)  # new this month
        else:
            start_state = None  # no record of it at the start of the month
        finished_in_month = p.finished_on is not None and first_day <= p.finished_on <= last_day
        done_this_month = status == done and (
            finished_in_month or (start_state is not None and start_state[0] != done)
        )
        if status == done:
            counts["done_total"] += 1
            if not done_this_month:
                continue  # done before this month: history, not news
            counts["done_this_month"] += 1
        else:
            counts[status] += 1
        rows.append(
            ProjectRow(
                pk=p.pk,
                title=p.title,
                partner=p.partner.display_name if p.partner else "",
                category=str(Category(p.category).label),
                status=status,
                status_label=str(labels.get(status, status)),
                progress=progress,
                progress_change=None if start_state is None else progress - start_state[1],
                done_this_month=done_this_month,
                due_on=p.due_on,
            )
        )
    order = {ServiceProject.Status.IN_PROGRESS: 0, done: 1, ServiceProject.Status.PLANNED: 2}
    rows.sort(key=lambda r: (order.get(r.status, 3), -r.progress, r.title))
    return tuple(rows), counts


def _partners(start, end, ref_day, now, activities: tuple[ActivityRow, ...], community=None):
    """One row per partner: active, holding an agreement in force, or active in the month
    (of the community: its agreements, commitments and activities only).

    Activities, attendance and ratings add up the month's activity rows (an activity run
    jointly counts for each of its partners), so the table agrees with the activity list.
    """
    per_partner: dict = defaultdict(
        lambda: {"activities": 0, "attendance": 0, "rating_sum": 0, "ratings": 0}
    )
    for a in activities:
        for partner_id in a.partner_ids:
            stats = per_partner[partner_id]
            stats["activities"] += 1
            stats["attendance"] += a.attended
            stats["rating_sum"] += a.rating_sum
            stats["ratings"] += a.ratings
    commitments = defaultdict(list)
    for c in (
        ResourceCommitment.objects.filter(
            _of(ResourceCommitment, community),
            is_active=True,
            promise=ResourceCommitment.Promise.MONTHLY,
            times__gt=0,
        )
        .annotate(
            held=Count(
                "activities",
                filter=held_q(start, end, now, "activities__")
                & _via("activities__complex__community", community),
            )
        )
        .values("partner_id", "title", "times", "held")
        .order_by("partner_id", "title", "pk")
    ):
        commitments[c["partner_id"]].append(
            CommitmentRow(title=c["title"], held=c["held"], times_per_month=c["times"])
        )
    in_force = Agreement.objects.filter(
        _in_force_q(ref_day), _of(Agreement, community), partner=OuterRef("pk")
    )
    partners = (
        Partner.objects.filter(_of(Partner, community))
        .annotate(
            in_force=Exists(in_force),
            agreement_ends_on=Subquery(
                in_force.order_by(F("ends_on").desc(nulls_first=True)).values("ends_on")[:1]
            ),
        )
        .filter(Q(is_active=True) | Q(in_force=True) | Q(pk__in=list(per_partner)))
        .only("pk", "name", "short_name", "category")
        .order_by("name")
    )
    labels = dict(Partner.Category.choices)
    rows = []
    for p in partners:
        stats = per_partner.get(p.pk, {})
        ratings = stats.get("ratings", 0)
        rows.append(
            PartnerRow(
                pk=p.pk,
                name=p.display_name,
                category=str(labels.get(p.category, p.category)),
                has_agreement=p.in_force,
                agreement_ends_on=p.agreement_ends_on,
                activities=stats.get("activities", 0),
                attendance=stats.get("attendance", 0),
                rating=round(stats["rating_sum"] / ratings, 2) if ratings else None,
                ratings=ratings,
                commitments=tuple(commitments.get(p.pk, ())),
            )
        )
    rows.sort(key=lambda r: (-r.activities, -r.attendance, r.name))
    return tuple(rows)


def _activities(
    start, end, now, *, live: bool = False, community: Community | None = None
) -> tuple[ActivityRow, ...]:
    """Activities held in [start, end) with their sign-up counts, ratings and partners
    (2 queries):
    counted live while the period runs, read from their tallies (`ActivityTally`) once it
    is over."""
    if end <= now and not live:
        figures = {
            name: Coalesce(F(f"tally__{field}"), 0)
            for name, field in (
                ("n_confirmed", "confirmed"),
                ("n_attended", "attended"),
                ("n_waitlisted", "waitlisted"),
                ("rating_sum", "rating_sum"),
                ("ratings", "ratings"),
            )
        }
    else:
        figures = {
            "n_confirmed": Count("signups", filter=Q(signups__status=SignUp.Status.CONFIRMED)),
            "n_attended": Count("signups", filter=Q(signups__attended=True)),
            "n_waitlisted": Count("signups", filter=Q(signups__status=SignUp.Status.WAITLISTED)),
            # A sign-up has at most one rating: joining them multiplies nothing.
            "rating_sum": Sum("signups__feedback__rating"),
            "ratings": Count("signups__feedback"),
        }
    rows = (
        Activity.objects.filter(held_q(start, end, now), _of(Activity, community))
        .annotate(**figures)
        .values(
            "pk",
            "title",
            "category",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            *figures,
        )
        .order_by("starts_at", "pk")
    )
    # The activities' partners in one query of plain rows (no model instances): a
    # thousand prefetched partners cost more in Python than all the counting in SQL.
    partners = defaultdict(list)
    for activity_id, partner_id, name, short_name in (
        Activity.partners.through.objects.filter(
            held_q(start, end, now, "activity__"),
            _via("activity__complex__community", community),
        )
        .order_by("partner__name", "partner_id")
        .values_list("activity_id", "partner_id", "partner__name", "partner__short_name")
    ):
        partners[activity_id].append((partner_id, short_name or name))
    labels = {c.value: str(c.label) for c in Category}
    return tuple(
        ActivityRow(
            pk=a["pk"],
            title=a["title"],
            category=labels[a["category"]],
            starts_at=a["starts_at"],
            ends_at=a["ends_at"],
            place=a["place"],
            partners="、".join(name for _pk, name in partners[a["pk"]]),
            partner_ids=tuple(pk for pk, _name in partners[a["pk"]]),
            capacity=a["capacity"],
            confirmed=a["n_confirmed"],
            attended=a["n_attended"],
            waitlisted=a["n_waitlisted"],
            rating_sum=a["rating_sum"] or 0,
            ratings=a["ratings"] or 0,
        )
        for a in rows
    )


def _totals(rows: tuple[ActivityRow, ...]) -> dict:
    """A month's sign-up figures, added up from its activity rows."""
    capped = [a for a in rows if a.capacity is not None]
    ratings = sum(a.ratings for a in rows)
    return {
        "attended": sum(a.attended for a in rows),
        "confirmed": sum(a.confirmed for a in rows),
        "waitlisted": sum(a.waitlisted for a in rows),
        # Walk-ins staff let in over capacity count as attended, but a full activity is
        # 100 % of its seats, never more.
        "confirmed_capped": sum(min(a.confirmed, a.capacity) for a in capped),
        "seats": sum(a.capacity for a in capped),
        "ratings": ratings,
        "rating": round(sum(a.rating_sum for a in rows) / ratings, 2) if ratings else None,
    }


def monthly_summary(
    *,
    year: int,
    month: int,
    community: Community | None = None,
    now: dt.datetime | None = None,
    live: bool = False,
) -> MonthlySummary:
    """Compute every figure of the month's summary in a fixed number of queries: of one
    `community` (its activities and their sign-ups, its complexes' households, its
    agreements, commitments, leads, needs and projects, by each model's declared community
    path), or of the whole installation (None).

    A month that is over (and the 11 before it) is read from the roll-ups that the
    services keep (`activities.rollups`); the running month is counted live from the
    sign-ups. `live=True` counts every month live (the roll-ups' tests compare both)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # For this transaction only: enough memory for the distinct counts to sort in
            # memory, and no JIT (compiling these short queries costs more than it saves).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = %s", [SUMMARY_WORK_MEM])
                cursor.execute("SET LOCAL jit = off")
        return _monthly_summary(year=year, month=month, now=now, live=live, community=community)


def _monthly_summary(
    *, year: int, month: int, now: dt.datetime | None, live: bool, community: Community | None
) -> MonthlySummary:
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = month_bounds(year, month)
    prev = add_months(year, month, -1)
    prev_start = month_start(*prev)
    first_day = start.date()
    last_day = (month_start(*add_months(year, month, 1)) - dt.timedelta(days=1)).date()
    prev_first = prev_start.date()
    prev_last = first_day - dt.timedelta(days=1)
    ref_day, prev_ref_day = min(last_day, today), min(prev_last, today)

    def this(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    def last(field: str) -> Q:
        return Q(**{f"{field}__gte": prev_start, f"{field}__lt": start})

    # 12-month series; this month and last month are its two last entries.
    trend, reach = _trend(
        add_months(year, month, 1 - TREND_MONTHS),
        end,
        now,
        TREND_MONTHS,
        year_from=TREND_MONTHS - month,
        live=live,
        community=community,
    )
    cur_month, prev_month = trend[-1], trend[-2]

    # The activities of this month and last, with their sign-ups and ratings.
    both = _activities(prev_start, end, now, live=live, community=community)
    activities = tuple(a for a in both if a.ends_at >= start)
    cur, prv = _totals(activities), _totals(tuple(a for a in both if a.ends_at < start))

    def pair(key: str) -> Figure:
        return Figure(cur[key], prv[key])

    household_total = (
        Complex.objects.filter(_of(Complex, community)).aggregate(n=Sum("household_count"))["n"]
        or 0
    )

    signups = SignUp.objects.filter(
        _of(SignUp, community), created_at__gte=prev_start, created_at__lt=end
    ).aggregate(
        # Count the indexed column itself: an index-only scan of signup_created_idx.
        cur=Count("created_at", filter=this("created_at")),
        prev=Count("created_at", filter=last("created_at")),
    )

    renewed = AgreementQuerySet.renewed_exists()

    def expiring(first, last_):
        # Signed by the month's end: as the month stood then.
        return AgreementQuerySet.ending_q(
            first, last_ + dt.timedelta(days=EXPIRING_WINDOW_DAYS)
        ) & Q(signed_on__lte=last_)

    agreements = (
        Agreement.objects.filter(_of(Agreement, community))
        .annotate(renewed=renewed)
        .aggregate(
            partners=Count("partner", distinct=True, filter=_in_force_q(ref_day)),
            partners_prev=Count("partner", distinct=True, filter=_in_force_q(prev_ref_day)),
            signed=Count(
                "pk", filter=Q(status__in=SIGNED_STATUSES, signed_on__range=(first_day, last_day))
            ),
            signed_prev=Count(
                "pk", filter=Q(status__in=SIGNED_STATUSES, signed_on__range=(prev_first, prev_last))
            ),
            expired=Count(
                "pk", filter=Q(status__in=RAN_STATUSES, ends_on__range=(first_day, last_day))
            ),
            expired_prev=Count(
                "pk", filter=Q(status__in=RAN_STATUSES, ends_on__range=(prev_first, prev_last))
            ),
            expiring=Count("pk", filter=expiring(first_day, last_day)),
            expiring_prev=Count("pk", filter=expiring(prev_first, prev_last)),
        )
    )
    expiring_rows = tuple(
        AgreementRow(
            partner=a.partner.display_name,
            title=a.title,
            ends_on=a.ends_on,
            has_ended=a.ends_on <= last_day,
        )
        for a in Agreement.objects.annotate(renewed=renewed)
        .filter(expiring(first_day, last_day), _of(Agreement, community))
        .select_related("partner")
        .order_by("ends_on", "pk")
    )

    signed = Q(stage=Lead.Stage.SIGNED)
    # What staff marked as spam or a duplicate is not counted (Lead/Need.objects.counted()).
    leads = (
        Lead.objects.counted()
        .filter(_of(Lead, community))
        .aggregate(
            received=Count("pk", filter=this("created_at")),
            received_prev=Count("pk", filter=last("created_at")),
            converted=Count("pk", filter=signed & this("closed_at")),
            converted_prev=Count("pk", filter=signed & last("closed_at")),
            # The residents credited with a lead that became a partner (招募令).
            credited=Count("offered_by", distinct=True, filter=signed & this("closed_at")),
            credited_prev=Count("offered_by", distinct=True, filter=signed & last("closed_at")),
            open=Count("pk", filter=LeadQuerySet.open_q(end)),
            open_prev=Count("pk", filter=LeadQuerySet.open_q(start)),
        )
    )

    resolved = Q(status=Need.Status.RESOLVED)
    needs = (
        Need.objects.counted()
        .filter(_of(Need, community))
        .aggregate(
            received=Count("pk", filter=this("created_at")),
            received_prev=Count("pk", filter=last("created_at")),
            resolved=Count("pk", filter=resolved & this("resolved_at")),
            resolved_prev=Count("pk", filter=resolved & last("resolved_at")),
            in_progress=Count("pk", filter=NeedQuerySet.open_q(end)),
            in_progress_prev=Count("pk", filter=NeedQuerySet.open_q(start)),
            pending=Count("pk", filter=NeedQuerySet.untriaged_q(end)),
            pending_prev=Count("pk", filter=NeedQuerySet.untriaged_q(start)),
        )
    )

    quotes = tuple(
        Quote(
            name=mask_name(f.signup.resident.name),
            activity=f.signup.activity.title,
            rating=f.rating,
            comment=f.comment,
        )
        for f in Feedback.objects.filter(
            held_q(start, end, now, "signup__activity__"),
            _of(Feedback, community),
            is_published=True,
            signup__resident__anonymised_at__isnull=True,
        )
        .exclude(comment="")
        .select_related("signup__resident", "signup__activity")
        .order_by("-rating", "-created_at", "pk")[:QUOTE_COUNT]
    )

    projects, project_counts = _projects(start, end, first_day, last_day, now, community)

    by_category = tuple(
        CategoryFigure(
            category=c.value,
            label=str(c.label),
            figure=Figure(cur_month.category_count(c.value), prev_month.category_count(c.value)),
        )
        for c in Category
        if cur_month.category_count(c.value) or prev_month.category_count(c.value)
    )

    return MonthlySummary(
        year=year,
        month=month,
        start=start,
        end=end,
        generated_at=now,
        community_name=settings.COMMUNITY_NAME if community is None else community.name,
        household_total=household_total,
        is_partial=start <= now < end,
        partners_in_force=Figure(agreements["partners"], agreements["partners_prev"]),
        agreements_signed=Figure(agreements["signed"], agreements["signed_prev"]),
        agreements_expiring=Figure(agreements["expiring"], agreements["expiring_prev"]),
        agreements_expired=Figure(agreements["expired"], agreements["expired_prev"]),
        expiring_agreements=expiring_rows,
        activities_held=Figure(cur_month.activities, prev_month.activities),
        activities_by_category=by_category,
        signups=Figure(signups["cur"], signups["prev"]),
        attendance=pair("attended"),
        confirmed=pair("confirmed"),
        attendance_rate=Figure(
            ratio(cur["attended"], cur["confirmed"]),
            ratio(prv["attended"], prv["confirmed"]),
            PERCENT,
        ),
        seats_filled=Figure(
            ratio(cur["confirmed_capped"], cur["seats"]),
            ratio(prv["confirmed_capped"], prv["seats"]),
            PERCENT,
        ),
        unmet_demand=pair("waitlisted"),
        residents_reached=Figure(reach["cur_residents"], reach["prev_residents"]),
        households_reached=Figure(reach["cur_households"], reach["prev_households"]),
        household_coverage=Figure(
            ratio(reach["cur_households"], household_total),
            ratio(reach["prev_households"], household_total),
            PERCENT,
        ),
        # Running totals for the year: no month-on-month change.
        residents_reached_year=Figure(reach["year_residents"]),
        households_reached_year=Figure(reach["year_households"]),
        household_coverage_year=Figure(
            ratio(reach["year_households"], household_total), kind=PERCENT
        ),
        party_members=Figure(reach["cur_party"], reach["prev_party"]),
        projects=projects,
        projects_planned=project_counts[ServiceProject.Status.PLANNED],
        projects_in_progress=project_counts[ServiceProject.Status.IN_PROGRESS],
        projects_done_this_month=project_counts["done_this_month"],
        projects_done_total=project_counts["done_total"],
        leads_received=Figure(leads["received"], leads["received_prev"]),
        leads_converted=Figure(leads["converted"], leads["converted_prev"]),
        leads_credited=Figure(leads["credited"], leads["credited_prev"]),
        leads_open=Figure(leads["open"], leads["open_prev"]),
        needs_received=Figure(needs["received"], needs["received_prev"]),
        needs_in_progress=Figure(needs["in_progress"], needs["in_progress_prev"]),
        needs_resolved=Figure(needs["resolved"], needs["resolved_prev"]),
        needs_pending=Figure(needs["pending"], needs["pending_prev"]),
        rating=Figure(cur["rating"], prv["rating"], RATING),
        ratings_count=pair("ratings"),
        quotes=quotes,
        partners=_partners(start, end, ref_day, now, activities, community),
        activities=activities,
        trend=tuple(trend),
    )


# --- the year so far -------------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    """The months of a year up to `last_month`, with the year's distinct reach."""

    year: int
    last_month: int
    months: tuple[TrendMonth, ...]
    household_total: int
    residents_reached: int
    households_reached: int
    community_name: str

    @property
    def activities(self) -> int:
        return sum(m.activities for m in self.months)

    @property
    def attendance(self) -> int:
        return sum(m.attendance for m in self.months)

    @property
    def household_coverage(self) -> Figure:
        return Figure(ratio(self.households_reached, self.household_total), kind=PERCENT)

    @property
    def categories(self) -> tuple[tuple[str, str, int], ...]:
        return tuple(
            (c.value, str(c.label), total)
            for c in Category
            if (total := sum(m.category_count(c.value) for m in self.months))
        )


def year_summary(*, year: int, now: dt.datetime | None = None, community=None) -> YearSummary:
    """January to December (or to the current month) of `year`, in a fixed number of
    queries: of one community, of a collection of community ids, or of all (None)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_month = 12 if year < today.year else today.month
    _start, end = month_bounds(year, last_month)
    trend, reach = _trend((year, 1), end, now, last_month, community=community)
    return YearSummary(
        year=year,
        last_month=last_month,
        months=tuple(trend),
        household_total=Complex.objects.filter(_of(Complex, community)).aggregate(
            n=Sum("household_count")
        )["n"]
        or 0,
        residents_reached=reach["year_residents"],
        households_reached=reach["year_households"],
        community_name=community.name
        if isinstance(community, Community)
        else settings.COMMUNITY_NAME,
    )
