"""The roll-ups under real concurrency on PostgreSQL: desks checking residents in at the
same moment, in the same month and the same household, lose no update."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from activities import rollups, services
from activities.models import ActivityTally, Feedback, HouseholdReach, MonthReach
from tests.activities.test_race import ON_POSTGRESQL, run_together
from tests.factories import ActivityFactory, HouseholdFactory, ResidentFactory, SignUpFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (see test_race.py)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_simultaneous_check_ins_at_many_desks_lose_no_roll_up_update():
    household = HouseholdFactory()
    starts = timezone.now() + dt.timedelta(minutes=20)  # the door is open
    activities = [ActivityFactory(starts_at=starts, capacity=None) for _ in range(4)]
    people = [ResidentFactory(user=None, household=household) for _ in range(6)]
    signups = [services.sign_up(activity=a, resident=r).signup for a in activities for r in people]

    _results, errors = run_together(
        [
            lambda s=s: services.check_in(activity=s.activity_id, code=s.check_in_code)
            for s in signups
        ]
    )

    assert errors == []
    assert [t.attended for t in ActivityTally.objects.filter(activity__in=activities)] == [6] * 4
    local = timezone.localtime(activities[0].ends_at)
    month = MonthReach.objects.get(year=local.year, month=local.month)
    assert (month.residents, month.households) == (6, 1)
    assert HouseholdReach.objects.get(household=household, year=local.year).months
    assert rollups.differences() == []


def test_check_ins_and_undos_racing_an_activity_move_leave_no_drift():
    starts = timezone.now() + dt.timedelta(minutes=20)
    activity = ActivityFactory(starts_at=starts, capacity=None)
    other = ActivityFactory(starts_at=starts, capacity=None)
    people = [ResidentFactory(user=None) for _ in range(8)]
    here = [services.sign_up(activity=activity, resident=r).signup for r in people]
    there = [services.sign_up(activity=other, resident=r).signup for r in people]
    for signup in here[:4]:
        services.check_in(activity=activity, code=signup.check_in_code)

    def move():
        moved = type(activity).objects.get(pk=activity.pk)
        moved.ends_at += dt.timedelta(days=40)  # into another month
        return services.save_activity(activity=moved)

    calls = [lambda s=s: services.check_in(activity=other, code=s.check_in_code) for s in there]
    calls += [lambda s=s: services.undo_check_in(signup=s) for s in here[:2]]
    calls.append(move)
    _results, errors = run_together(calls)

    assert errors == []
    assert rollups.differences() == []


def test_a_sign_up_racing_a_rating_of_the_same_activity_leaves_its_tally_right():
    """`seats_changed` (one statement, under the activity's lock) against a rating writer
    that holds no activity lock (`leave_feedback`'s way): the sign-up's statement starts
    while the rating holds the tally row, so it counted before the rating committed, and
    must not write its stale rating figures over the rating's (rollups.seats_changed)."""
    activities = [
        ActivityFactory(starts_at=timezone.now() + dt.timedelta(days=2), capacity=5)
        for _ in range(3)
    ]
    attended = [
        SignUpFactory(activity=a, attended=True, checked_in_at=timezone.now()) for a in activities
    ]
    with transaction.atomic():
        for activity in activities:
            rollups.signups_changed(activity=activity)
    newcomers = [ResidentFactory(user=None) for _ in activities]

    def rate(signup):
        with transaction.atomic():
            Feedback.objects.create(signup=signup, rating=4)
            rollups.signups_changed(activity=signup.activity_id)
            time.sleep(0.3)  # holds the tally row while the sign-up's statement starts

    def sign_up(activity, resident):
        time.sleep(0.1)
        return services.sign_up(activity=activity.pk, resident=resident)

    calls = [lambda s=s: rate(s) for s in attended]
    calls += [lambda a=a, r=r: sign_up(a, r) for a, r in zip(activities, newcomers, strict=True)]
    _results, errors = run_together(calls)

    assert errors == []
    tallies = ActivityTally.objects.filter(activity__in=activities).order_by("activity")
    assert [(t.confirmed, t.attended, t.ratings, t.rating_sum) for t in tallies] == [
        (2, 1, 1, 4)
    ] * 3
    assert rollups.differences() == []
