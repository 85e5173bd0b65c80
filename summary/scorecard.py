"""The partner scorecard for the annual review (双报到 评议): for a partner and a year, what
it delivered — activities by month, residents and households reached, attendance rate,
ratings with the published comments, commitments met / promised, needs answered, the leads
it came from, its agreements. The year page lists every partner's line.

Every figure uses the owning apps' rules, as the monthly summary does: an activity held in
the year (`ActivityQuerySet.held_q`, an activity run jointly counts for each partner), the
reach and attendance of the attended sign-ups of those activities, commitments measured by
`activities.selectors.commitment_delivery_by_partner`, an agreement's derived state
(`AgreementQuerySet.with_state`). The year runs from local midnight on 1 January
(Asia/Shanghai). The year page takes a fixed number of queries, whatever the partners.

`communities` (ids; None for all) keeps a community's own share of a partner shared by
several: its agreements, commitments, activities (held in its complexes) with their
sign-ups and ratings, its needs and leads; the subdistrict passes all of its communities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils import timezone

from activities.models import Activity, ActivityQuerySet, Feedback, Need, SignUp
from activities.selectors import commitment_delivery_by_partner
from core.masking import mask_name
from partners.models import Agreement, Lead, Partner

from .report import PERCENT, RATING, _of, _via, format_value, ratio

#: Sort keys of the year page (?sort=…), each with its attribute.
SORTS = (
    "name",
    "activities",
    "residents",
    "households",
    "attendance_rate",
    "rating",
    "commitments",
    "needs",
    "leads",
)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year + 1, 1, 1, tzinfo=zone),
    )


@dataclass(frozen=True)
class Quote:
    rating: int
    comment: str
    resident: str  # masked
    activity: str
    day: dt.date


@dataclass
class ScorecardLine:
    """One partner's figures for the year."""

    partner: Partner
    year: int
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    residents: int = 0
    households: int = 0
    confirmed: int = 0
    attended: int = 0
    ratings: int = 0
    rating_avg: float | None = None
    commitments_met: int = 0
    commitments_counted: int = 0
    needs: int = 0
    leads: int = 0

    @property
    def name(self) -> str:
        return self.partner.name

    @property
    def activities(self) -> int:
        return sum(self.by_month)

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.attended, self.confirmed)

    @property
    def rating(self) -> float | None:
        return self.rating_avg

    @property
    def commitments(self) -> float | None:
        return ratio(self.commitments_met, self.commitments_counted)

    @property
    def attendance_display(self) -> str:
        return format_value(self.attendance_rate, PERCENT)

    @property
    def rating_display(self) -> str:
        return format_value(self.rating_avg, RATING)

    @property
    def commitments_display(self) -> str:
        if not self.commitments_counted:
            return "—"
        return f"{self.commitments_met}/{self.commitments_counted}"


@dataclass
class Scorecard:
    line: ScorecardLine
    quotes: list[Quote]
    terms: list  # activities.selectors.TermDelivery
    lead_list: list[Lead]
    agreements: list[Agreement]
    activity_list: list[Activity]

    @property
    def partner(self) -> Partner:
        return self.line.partner

    @property
    def year(self) -> int:
        return self.line.year


def _lines(partners: list[Partner], year: int, communities=None) -> dict[int, ScorecardLine]:
    start, end = year_bounds(year)
    now = timezone.now()
    ids = [p.pk for p in partners]
    lines = {p.pk: ScorecardLine(partner=p, year=year) for p in partners}
    held = ActivityQuerySet.held_q(start, end, now)
    held_via_signup = ActivityQuerySet.held_q(start, end, now, "activity__")

    for partner_id, _pk, ends_at in (
        Activity.objects.filter(held, _of(Activity, communities), partners__in=ids)
        .values_list("partners", "pk", "ends_at")
        .distinct()
    ):
        lines[partner_id].by_month[timezone.localtime(ends_at).month - 1] += 1

    attended = Q(attended=True)
    for row in (
        SignUp.objects.filter(held_via_signup, _of(SignUp, communities), activity__partners__in=ids)
        .values("activity__partners")
        .annotate(
            n_confirmed=Count("pk", filter=Q(status=SignUp.Status.CONFIRMED), distinct=True),
            n_attended=Count("pk", filter=attended, distinct=True),
            n_residents=Count("resident", filter=attended, distinct=True),
            n_households=Count("household", filter=attended, distinct=True),
        )
        .order_by()
    ):
        line = lines[row["activity__partners"]]
        line.confirmed, line.attended = row["n_confirmed"], row["n_attended"]
        line.residents, line.households = row["n_residents"], row["n_households"]

    for row in (
        Feedback.objects.filter(
            ActivityQuerySet.held_q(start, end, now, "signup__activity__"),
            _of(Feedback, communities),
            signup__activity__partners__in=ids,
        )
        .values("signup__activity__partners")
        .annotate(n=Count("pk", distinct=True), avg=Avg("rating"))
        .order_by()
    ):
        line = lines[row["signup__activity__partners"]]
        line.ratings, line.rating_avg = row["n"], round(float(row["avg"]), 2)

    for row in (
        Need.objects.filter(
            _of(Need, communities),
            status=Need.Status.RESOLVED,
            resolved_at__gte=start,
            resolved_at__lt=end,
            project__partner__in=ids,
        )
        .values("project__partner")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        lines[row["project__partner"]].needs = row["n"]

    for row in (
        Lead.objects.filter(_of(Lead, communities), partner__in=ids, stage=Lead.Stage.SIGNED)
        .values("partner")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        lines[row["partner"]].leads = row["n"]

    for partner_id, terms in commitment_delivery_by_partner(
        partners=ids, year=year, communities=communities
    ).items():
        line = lines[partner_id]
        line.commitments_met = sum(t.met_count for t in terms)
        line.commitments_counted = sum(t.counted_count for t in terms)
    return lines


def year_lines(
    *, year: int, sort: str = "name", descending: bool = False, communities=None
) -> list[ScorecardLine]:
    """Every partner's line for the year: partners stationed now, or that did something or
    held an agreement in the year (of `communities`, when given)."""
    start, end = year_bounds(year)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    partners = list(
        Partner.objects.filter(
            Q(is_active=True)
            | Q(
                Q(agreements__starts_on__lte=last, agreements__ends_on__gte=first),
                _via("agreements__complex__community", communities),
            )
            | Q(
                Q(activities__ends_at__gte=start, activities__ends_at__lt=end),
                _via("activities__complex__community", communities),
            ),
            _of(Partner, communities),
        )
        .distinct()
        .order_by("name")
    )
    lines = list(_lines(partners, year, communities).values())
    key = sort if sort in SORTS else "name"
    # Lines without a value (no rating, nothing to divide by) come last either way.
    present = [line for line in lines if getattr(line, key) is not None]
    missing = [line for line in lines if getattr(line, key) is None]
    present.sort(key=lambda line: getattr(line, key), reverse=descending)
    return present + missing


def partner_scorecard(*, partner: Partner, year: int, communities=None) -> Scorecard:
    start, end = year_bounds(year)
    now = timezone.now()
    line = _lines([partner], year, communities)[partner.pk]
    feedback = (
        Feedback.objects.filter(
            ActivityQuerySet.held_q(start, end, now, "signup__activity__"),
            _of(Feedback, communities),
            signup__activity__partners=partner,
            is_published=True,
            may_publish=True,
        )
        .exclude(comment="")
        .select_related("signup__resident", "signup__activity")
        .order_by("-created_at", "pk")
    )
    quotes = [
        Quote(
            rating=f.rating,
            comment=f.comment,
            resident=mask_name(f.signup.resident.name),
            activity=f.signup.activity.title,
            day=timezone.localdate(f.signup.activity.starts_at),
        )
        for f in feedback
    ]
    return Scorecard(
        line=line,
        quotes=quotes,
        terms=commitment_delivery_by_partner(
            partners=[partner], year=year, communities=communities
        ).get(partner.pk, []),
        lead_list=list(
            Lead.objects.filter(_of(Lead, communities), partner=partner)
            .select_related("offered_by")
            .order_by("created_at")
        ),
        agreements=list(
            Agreement.objects.filter(_of(Agreement, communities), partner=partner)
            .with_state()
            .select_related("complex", "renews")
            .order_by("starts_on", "pk")
        ),
        activity_list=list(
            Activity.objects.filter(
                ActivityQuerySet.held_q(start, end, now),
                _of(Activity, communities),
                partners=partner,
            ).order_by("starts_at", "pk")
        ),
    )
