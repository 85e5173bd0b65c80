"""Reads for the residents' pages: activities with seat counts, a resident's own sign-ups,
service projects and published feedback.

Every function returns in a fixed number of queries, whatever the amount of data: pages
built from them keep a flat query count (tests/activities/test_views.py measures it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from partners.models import Partner, ResourceCommitment
from residents.models import Resident

from .models import LIVE_STATUSES, Activity, Feedback, ServiceProject, SignUp


def visible_activities():
    """Activities residents may see, with seat counts and their partners prefetched."""
    return (
        Activity.objects.visible()
        .with_seat_counts()
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
    )


def upcoming_activities(*, now=None, limit: int | None = None):
    """Visible activities not over yet and not cancelled, soonest first."""
    qs = visible_activities().upcoming(now).not_cancelled()
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
    *, activity: Activity | None = None, partner: Partner | None = None, limit: int = 10
):
    """Quotes staff published with the residents' consent, newest first."""
    qs = Feedback.objects.filter(is_published=True, may_publish=True).select_related(
        "signup__resident", "signup__activity"
    )
    if activity is not None:
        qs = qs.filter(signup__activity=activity)
    if partner is not None:
        qs = qs.filter(signup__activity__in=Activity.objects.visible().filter(partners=partner))
    return qs.order_by("-created_at", "pk")[:limit]


def service_projects():
    """Service projects in progress first, then planned, then done, with their partner,
    buildings and milestones prefetched."""
    order = Case(
        When(status=ServiceProject.Status.IN_PROGRESS, then=Value(0)),
        When(status=ServiceProject.Status.PLANNED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        ServiceProject.objects.select_related("partner")
        .prefetch_related("buildings", "milestones")
        .annotate(status_order=order)
        .order_by("status_order", "due_on", "-starts_on", "pk")
    )


def partner_directory():
    """Active partners with their active commitments and count of upcoming visible
    activities, ordered by category (in the order of `PartnerCategory`) then name."""
    now = timezone.now()
    return (
        Partner.objects.active()
        .annotate(
            upcoming_count=Count(
                "activities",
                filter=Q(activities__ends_at__gte=now, activities__status__in=LIVE_STATUSES)
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
