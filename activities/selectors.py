"""Reads for the residents' pages: activities with seat counts, a resident's own sign-ups,
service projects and published feedback.

Every function returns in a fixed number of queries, whatever the amount of data: pages
built from them keep a flat query count (tests/activities/test_views.py measures it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from partners.models import Partner, ResourceCommitment
from residents.models import Resident

from .models import LIVE_STATUSES, Activity, Feedback, Need, ServiceProject, SignUp


def visible_activities():
    """Activities residents may see, with seat counts and their partners prefetched."""
    return (
        Activity.objects.visible()
        .with_seat_counts()
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
    )


def home_first(queryset, community_id: int | None):
    """`queryset` as read by the community's readers: its own activities and those opened
    to the whole subdistrict, its own first, each part in the queryset's order."""
    if community_id is None:
        return queryset
    ordering = queryset.query.order_by or Activity._meta.ordering
    return queryset.for_community(community_id).order_by("home_first", *ordering)


def page_with_seat_counts(page, *, community_id: int | None = None):
    """One page of activities (a sliced queryset) with seat counts and partners, in one
    query plus the partners': the counts are made for the page's rows only, however far
    the page is (`?page=50`) and however many activities match. `community_id`: the page
    was ordered by `home_first` for that community."""
    ordering = page.query.order_by or Activity._meta.ordering
    return (
        Activity.objects.filter(pk__in=page.values("pk"))
        .for_community(community_id)
        .with_seat_counts()
        .prefetch_related("partners")
        .order_by(*ordering)
    )


def upcoming_activities(*, now=None, limit: int | None = None, community_id: int | None = None):
    """Visible activities not over yet and not cancelled, soonest first (the community's
    own first, see `home_first`)."""
    qs = home_first(visible_activities().upcoming(now).not_cancelled(), community_id)
    return qs[:limit] if limit else qs


def week_end(now=None) -> dt.datetime:
    """Midnight at the end of this week's Sunday, local time."""
    today = timezone.localdate(now)
    monday = today - dt.timedelta(days=today.weekday())
    next_monday = monday + dt.timedelta(days=7)
    return timezone.make_aware(dt.datetime.combine(next_monday, dt.time.min))


def resident_of(user) -> Resident | None:
    """The Resident profile of a logged-in user, or None (staff, anonymous, deleted data)."""
    if not getattr(user, "is_authenticated", False):
        return None
    resident = getattr(user, "resident", None)
    if resident is None or resident.is_anonymised:
        return None
    return resident


def active_signups(*, residents: Iterable[Resident | int], activity_ids: Iterable[int]):
    """The residents' active (not cancelled) sign-ups for these activities, each with its
    `waitlist_position` — one query."""
    resident_ids = [getattr(r, "pk", r) for r in residents]
    activity_ids = list(activity_ids)
    if not resident_ids or not activity_ids:
        return SignUp.objects.none()
    return (
        SignUp.objects.filter(resident_id__in=resident_ids, activity_id__in=activity_ids)
        .active()
        .with_waitlist_position()
        .order_by()
    )


def signups_by_activity(*, resident: Resident | None, activities: Iterable[Activity]) -> dict:
    """{activity id: the resident's own active sign-up} for a page of activities."""
    if resident is None:
        return {}
    ids = [a.pk for a in activities]
    return {s.activity_id: s for s in active_signups(residents=[resident], activity_ids=ids)}


def household_members_without_login(resident: Resident):
    """Members of the resident's household who have no login (children, elderly parents):
    the ones a guardian may sign up from their own phone. Only a resident whom staff
    verified at the address is a guardian (see `residents.selectors.may_act_for_household`)."""
    if resident.household_id is None or not resident.is_verified:
        return Resident.objects.none()
    return (
        Resident.objects.active()
        .filter(household_id=resident.household_id, user__isnull=True)
        .exclude(pk=resident.pk)
        .order_by("birth_year", "pk")
    )


def published_feedback(
    *,
    activity: Activity | None = None,
    partner: Partner | None = None,
    community_id: int | None = None,
    limit: int = 10,
):
    """Quotes staff published with the residents' consent, newest first (a partner's: of
    the activities a reader of `community_id` sees listed, `ActivityQuerySet.for_community`)."""
    qs = Feedback.objects.filter(is_published=True, may_publish=True).select_related(
        "signup__resident", "signup__activity"
    )
    if activity is not None:
        qs = qs.filter(signup__activity=activity)
    if partner is not None:
        qs = qs.filter(
            signup__activity__in=Activity.objects.visible()
            .filter(partners=partner)
            .for_community(community_id)
            .values("pk")
        )
    return qs.order_by("-created_at", "pk")[:limit]


def service_projects(*, community_id: int | None = None):
    """Service projects in progress first, then planned, then done, with their partner,
    buildings and milestones prefetched (of one community's complexes, if given)."""
    order = Case(
        When(status=ServiceProject.Status.IN_PROGRESS, then=Value(0)),
        When(status=ServiceProject.Status.PLANNED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    projects = ServiceProject.objects.all()
    if community_id is not None:
        projects = projects.filter(complex__community_id=community_id)
    return (
        projects.select_related("partner")
        .prefetch_related("buildings", "milestones")
        .annotate(status_order=order)
        .order_by("status_order", "due_on", "-starts_on", "pk")
    )


def partner_directory(*, community_id: int | None = None):
    """Active partners with their active commitments and count of upcoming visible
    activities, ordered by category (in the order of `PartnerCategory`) then name. With
    `community_id`: the community's partners and commitments, counting what its readers see
    listed."""
    now = timezone.now()
    partners = Partner.objects.active()
    listed = Q()
    commitments = ResourceCommitment.objects.filter(is_active=True)
    if community_id is not None:
        partners = partners.filter(Partner.community_q([community_id]))
        listed = Q(activities__complex__community_id=community_id) | Q(
            activities__audience=Activity.Audience.SUBDISTRICT
        )
        commitments = commitments.filter(ResourceCommitment.community_q([community_id]))
    return (
        partners.annotate(
            upcoming_count=Count(
                "activities",
                filter=Q(activities__ends_at__gte=now, activities__status__in=LIVE_STATUSES)
                & ~Q(activities__status=Activity.Status.PLANNED, activities__is_public=False)
                & listed,
                distinct=True,
            )
        )
        .prefetch_related(
            Prefetch(
                "commitments",
                queryset=commitments.order_by("title"),
                to_attr="active_commitments",
            )
        )
        .order_by("name")
    )


# --- commitments (资源清单): promised vs delivered ----------------------------------------


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class CommitmentDelivery:
    """One commitment over one agreement term: what was promised (so far, up to today, and
    over the whole term) and what was delivered — held activities linked to it
    (`Activity.commitment`, `ActivityQuerySet.held_q`) and, for "on request", the needs the
    partner's projects resolved in the term."""

    commitment: ResourceCommitment
    first: dt.date
    last: dt.date  # the last day counted: the term's last day, or today if sooner
    promised: int | None  # up to `last`; None when not counted in times
    promised_term: int | None  # over the whole term (None: open-ended or not counted)
    delivered: int
    needs_answered: int | None  # "on request" commitments only

    @property
    def is_measured(self) -> bool:
        return self.commitment.is_measured

    @property
    def met(self) -> bool | None:
        """None when nothing is due yet (or it is not counted in times)."""
        if not self.promised:
            return None
        return self.delivered >= self.promised


@dataclass(frozen=True)
class TermDelivery:
    """The commitments of one agreement term (or, for commitments outside any agreement,
    the current year)."""

    agreement: object  # partners.Agreement | None
    first: dt.date
    last: dt.date | None
    rows: tuple[CommitmentDelivery, ...]

    @property
    def promised(self) -> int:
        return sum(r.promised or 0 for r in self.rows)

    @property
    def delivered(self) -> int:
        return sum(r.delivered for r in self.rows if r.promised is not None)

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.rows if r.met)

    @property
    def counted_count(self) -> int:
        return sum(1 for r in self.rows if r.met is not None)


#: Other ways a commitment is delivered, registered by the apps above (volunteering: items
#: redeemed at the points shop): each `(partner_ids=, start=, end=)` returns
#: `[(commitment id, moment)]`, one pair per delivery, in one query.
DELIVERY_SOURCES: list = []


def commitment_delivery(
    *, partner: Partner, today: dt.date | None = None, year: int | None = None
) -> list[TermDelivery]:
    """Promised vs delivered for each of the partner's commitments, grouped by agreement
    term (latest first), in three queries. With `year`, every term is cut to that calendar
    year (the annual review)."""
    return commitment_delivery_by_partner(partners=[partner], today=today, year=year).get(
        partner.pk, []
    )


def commitment_delivery_by_partner(
    *, partners, today: dt.date | None = None, year: int | None = None, communities=None
) -> dict[int, list[TermDelivery]]:
    """`commitment_delivery` for several partners at once: {partner id: terms}, in three
    queries whatever the number of partners; with `communities` (ids), only the
    commitments of those communities (`ResourceCommitment.community_q`)."""
    today = today or timezone.localdate()
    if year is not None:
        today = min(today, dt.date(year, 12, 31))
    now = timezone.now()
    partner_ids = [getattr(p, "pk", p) for p in partners]
    mine = Q() if communities is None else ResourceCommitment.community_q(communities)
    commitments = list(
        ResourceCommitment.objects.filter(mine, partner_id__in=partner_ids)
        .select_related("agreement")
        .order_by("title", "pk")
    )
    if not commitments:
        return {}
    terms: dict[tuple[int, object], list[ResourceCommitment]] = {}
    for c in commitments:
        terms.setdefault((c.partner_id, c.agreement), []).append(c)

    def bounds(agreement) -> tuple[dt.date, dt.date | None]:
        if agreement is None:
            first, last = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
        else:
            first, last = agreement.starts_on, agreement.last_day
        if year is not None:
            first = max(first, dt.date(year, 1, 1))
            last = min(last, dt.date(year, 12, 31)) if last else dt.date(year, 12, 31)
        return first, last

    spans = {key: bounds(key[1]) for key in terms}
    earliest = min(first for first, _last in spans.values())
    latest = max(earliest, max(min(last or today, today) for _first, last in spans.values()))
    start, end = local_midnight(earliest), local_midnight(latest + dt.timedelta(days=1))
    held = list(
        Activity.objects.held(start=start, end=end, now=now)
        .filter(commitment__partner_id__in=partner_ids)
        .values_list("commitment_id", "ends_at")
    )
    for source in DELIVERY_SOURCES:
        held += source(partner_ids=partner_ids, start=start, end=end)
    answered = list(
        Need.objects.filter(
            status=Need.Status.RESOLVED,
            project__partner_id__in=partner_ids,
            resolved_at__gte=start,
            resolved_at__lt=end,
        ).values_list("project__partner_id", "resolved_at")
    )

    def within(moment, first, last) -> bool:
        return first <= timezone.localdate(moment) <= last

    result: dict[int, list[TermDelivery]] = {}
    for (partner_id, agreement), items in terms.items():
        first, term_last = spans[(partner_id, agreement)]
        if year is not None and term_last is not None and term_last < first:
            continue  # the term lies outside the year
        last = min(term_last or today, today)
        rows = []
        for c in items:
            on_request = c.promise == ResourceCommitment.Promise.ON_REQUEST
            rows.append(
                CommitmentDelivery(
                    commitment=c,
                    first=first,
                    last=last,
                    promised=c.promised_in(first, last),
                    promised_term=c.promised_in(first, term_last) if term_last else None,
                    delivered=sum(
                        1 for cid, ends in held if cid == c.pk and within(ends, first, last)
                    ),
                    needs_answered=(
                        sum(
                            1
                            for pid, moment in answered
                            if pid == partner_id and within(moment, first, last)
                        )
                        if on_request
                        else None
                    ),
                )
            )
        result.setdefault(partner_id, []).append(
            TermDelivery(agreement=agreement, first=first, last=term_last, rows=tuple(rows))
        )
    for partner_terms in result.values():
        partner_terms.sort(key=lambda t: t.first, reverse=True)
    return result
