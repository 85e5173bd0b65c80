"""Each rule is spelled once, in the app that owns it, and every reader uses it: the pages,
the admin, the services and the monthly summary agree on what "held", "over", "in force",
"open" and "can cancel" mean."""

import datetime as dt

import pytest
from django.utils import timezone

from activities import services
from activities.models import Activity, Need
from core.periods import month_bounds
from partners.models import Agreement, Lead, Partner
from summary.report import monthly_summary
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("status", "starts", "ends", "in_force"),
    [
        (Agreement.Status.ACTIVE, -10, None, True),
        (Agreement.Status.ACTIVE, -10, 0, True),
        (Agreement.Status.ACTIVE, -10, -1, False),
        (Agreement.Status.ACTIVE, 1, 30, False),
        (Agreement.Status.EXPIRED, -30, 5, True),
        (Agreement.Status.EXPIRED, -30, -5, False),
        (Agreement.Status.EXPIRED, -30, None, False),
        (Agreement.Status.DRAFT, -10, 30, False),
        (Agreement.Status.TERMINATED, -10, 30, False),
    ],
)
def test_agreement_in_force_means_the_same_in_memory_in_the_database_and_for_partners(
    status, starts, ends, in_force
):
    agreement = AgreementFactory(
        status=status,
        signed_on=TODAY + dt.timedelta(days=starts),
        starts_on=TODAY + dt.timedelta(days=starts),
        ends_on=None if ends is None else TODAY + dt.timedelta(days=ends),
    )
    assert agreement.is_in_force(TODAY) is in_force
    assert Agreement.objects.in_force(TODAY).filter(pk=agreement.pk).exists() is in_force
    assert (
        Partner.objects.with_active_agreement(TODAY).filter(pk=agreement.partner_id).exists()
        is in_force
    )


def test_an_activity_is_over_when_marked_held_or_past_its_end():
    now = timezone.now()
    ended = ActivityFactory(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    marked = ActivityFactory(
        status=Activity.Status.HELD,
        starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    coming = ActivityFactory(
        starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2)
    )
    assert [a.is_over(now) for a in (ended, marked, coming)] == [True, True, False]
    assert set(Activity.objects.over(now)) == {ended, marked}


def test_a_cancelled_activity_is_never_held_in_a_month():
    start, end = month_bounds(2026, 3)
    when = start + dt.timedelta(days=3)
    held = ActivityFactory(starts_at=when, ends_at=when + dt.timedelta(hours=2))
    ActivityFactory(
        status=Activity.Status.CANCELLED, starts_at=when, ends_at=when + dt.timedelta(hours=2)
    )
    later = end + dt.timedelta(days=40)
    assert list(Activity.objects.held(start=start, end=end, now=later)) == [held]
    summary = monthly_summary(year=2026, month=3, now=later)
    assert summary.activities_held.value == 1


def test_a_lead_is_open_until_it_is_signed_or_dropped():
    moment = timezone.now()
    open_lead = LeadFactory(created_at=moment - dt.timedelta(days=5))
    LeadFactory(
        created_at=moment - dt.timedelta(days=5),
        stage=Lead.Stage.SIGNED,
        partner=PartnerFactory(),
        closed_at=moment - dt.timedelta(days=1),
    )
    closed_later = LeadFactory(
        created_at=moment - dt.timedelta(days=5),
        stage=Lead.Stage.DROPPED,
        closed_at=moment + dt.timedelta(days=1),
    )
    LeadFactory(created_at=moment + dt.timedelta(days=1))
    assert set(Lead.objects.open_at(moment)) == {open_lead, closed_later}


def test_a_need_is_open_while_accepted_or_in_a_project_and_until_resolved():
    moment = timezone.now()
    before = moment - dt.timedelta(days=5)
    accepted = NeedFactory(status=Need.Status.ACCEPTED, created_at=before)
    NeedFactory(status=Need.Status.NEW, created_at=before)
    NeedFactory(status=Need.Status.DECLINED, created_at=before)
    resolved_later = NeedFactory(
        status=Need.Status.RESOLVED,
        created_at=before,
        resolved_at=moment + dt.timedelta(days=1),
    )
    NeedFactory(
        status=Need.Status.RESOLVED, created_at=before, resolved_at=moment - dt.timedelta(days=1)
    )
    assert set(Need.objects.open_at(moment)) == {accepted, resolved_later}


def test_cancellation_is_refused_after_check_in_and_once_the_activity_has_begun():
    now = timezone.now()
    coming = ActivityFactory(
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=2)
    )
    begun = ActivityFactory(
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=2)
    )
    resident = ResidentFactory()
    free = SignUpFactory(activity=coming, resident=resident)
    attended = SignUpFactory(
        activity=coming, resident=ResidentFactory(), attended=True, checked_in_at=now
    )
    late = SignUpFactory(activity=begun, resident=resident)

    assert services.cancellation_refusal(signup=free, now=now) is None
    assert services.cancellation_refusal(signup=attended, now=now).code == "attended"
    assert services.cancellation_refusal(signup=late, now=now).code == "started"
    with pytest.raises(Exception) as refused:
        services.cancel(signup=late)
    assert refused.value.code == "started"
