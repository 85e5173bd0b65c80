"""The summary's roll-ups (activities/rollups.py): written by the services in the same
transaction as every change, equal to a live recount after any sequence of operations, and
read by the summary of a closed month with the same figures as counting live."""

import datetime as dt
import random
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from activities import rollups, services
from activities.models import (
    Activity,
    ActivityTally,
    Category,
    Feedback,
    HouseholdReach,
    MonthReach,
    ResidentReach,
    SignUp,
)
from residents.models import Resident
from summary.report import monthly_summary, year_summary
from tests.factories import ActivityFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=SHANGHAI)


@contextmanager
def clock(moment):
    """The services' `timezone.now()` at `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def activity_on(starts, **kwargs):
    return ActivityFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2), **kwargs)


def sign_up_and_check_in(activity, resident):
    with clock(activity.starts_at - dt.timedelta(days=1)):
        signup = services.sign_up(activity=activity, resident=resident).signup
    with clock(activity.starts_at + dt.timedelta(minutes=10)):
        services.check_in(activity=activity, code=signup.check_in_code)
    return signup


def months_of(model, **key):
    row = model.objects.filter(**key).first()
    return row.months if row else 0


def assert_no_drift(*months):
    assert rollups.differences() == []
    for year, month in months:
        assert rollups.differences(year=year, month=month) == []
    call_command("rollups", "--check")


# --- the writers ---------------------------------------------------------------------------


def test_a_check_in_counts_in_the_tally_and_the_month_of_the_activity():
    resident = ResidentFactory(user=None)
    activity = activity_on(at(2026, 1, 31, 22))  # ends 1 February 00:00 local: February
    sign_up_and_check_in(activity, resident)

    assert ActivityTally.objects.get(activity=activity).attended == 1
    assert months_of(ResidentReach, resident=resident, year=2026) == rollups.month_bit(2)
    assert months_of(HouseholdReach, household=resident.household, year=2026) == 0b10
    february = MonthReach.objects.get(year=2026, month=2)
    assert (february.residents, february.households) == (1, 1)
    assert MonthReach.objects.get(year=2026, month=12).residents_year == 1
    assert_no_drift((2026, 2))


def test_undoing_a_check_in_takes_the_month_back_when_it_was_the_only_one():
    resident = ResidentFactory(user=None)
    activity = activity_on(at(2026, 3, 5))
    signup = sign_up_and_check_in(activity, resident)

    services.undo_check_in(signup=signup)

    assert ActivityTally.objects.get(activity=activity).attended == 0
    assert months_of(ResidentReach, resident=resident, year=2026) == 0
    assert MonthReach.objects.get(year=2026, month=3).residents == 0
    assert_no_drift((2026, 3))


def test_a_walk_in_counts_as_attended_and_confirmed():
    resident = ResidentFactory(user=None)
    activity = activity_on(at(2026, 4, 5), capacity=0)
    with clock(activity.starts_at):
        services.walk_in(activity=activity, resident=resident, over_capacity=True)

    tally = ActivityTally.objects.get(activity=activity)
    assert (tally.confirmed, tally.attended) == (1, 1)
    assert_no_drift((2026, 4))


def test_sign_ups_cancellations_and_promotions_move_the_tally():
    activity = activity_on(at(2026, 5, 5), capacity=1)
    first, second = ResidentFactory(user=None), ResidentFactory(user=None)
    with clock(activity.starts_at - dt.timedelta(days=2)):
        a = services.sign_up(activity=activity, resident=first).signup
        services.sign_up(activity=activity, resident=second)
        tally = ActivityTally.objects.get(activity=activity)
        assert (tally.confirmed, tally.waitlisted) == (1, 1)
        services.cancel(signup=a)

    tally.refresh_from_db()
    assert (tally.confirmed, tally.waitlisted) == (1, 0)
    assert_no_drift((2026, 5))


def test_ratings_and_their_deletion_move_the_tally():
    activity = activity_on(at(2026, 6, 5))
    signup = sign_up_and_check_in(activity, ResidentFactory(user=None))
    with clock(activity.ends_at + dt.timedelta(hours=1)):
        feedback = services.leave_feedback(signup=signup, rating=4)
    tally = ActivityTally.objects.get(activity=activity)
    assert (tally.ratings, tally.rating_sum) == (1, 4)

    services.delete_feedback(feedback_ids=[feedback.pk])

    tally.refresh_from_db()
    assert (tally.ratings, tally.rating_sum) == (0, 0)
    assert_no_drift((2026, 6))


def test_moving_an_activity_across_a_year_moves_its_attendees_months():
    resident = ResidentFactory(user=None)
    activity = activity_on(at(2025, 12, 20))
    sign_up_and_check_in(activity, resident)

    activity.starts_at, activity.ends_at = at(2026, 1, 10), at(2026, 1, 10, 12)
    services.save_activity(activity=activity)

    assert months_of(ResidentReach, resident=resident, year=2025) == 0
    assert months_of(ResidentReach, resident=resident, year=2026) == rollups.month_bit(1)
    assert MonthReach.objects.get(year=2025, month=12).households == 0
    assert MonthReach.objects.get(year=2026, month=1).households == 1
    assert_no_drift((2025, 12), (2026, 1))


def test_cancelling_an_activity_takes_its_attendees_out_of_the_month():
    resident = ResidentFactory(user=None)
    activity = activity_on(timezone.now() + dt.timedelta(minutes=30))
    with clock(activity.starts_at - dt.timedelta(hours=2)):
        signup = services.sign_up(activity=activity, resident=resident).signup
    services.check_in(activity=activity, code=signup.check_in_code)
    local = timezone.localtime(activity.ends_at)

    services.cancel_activity(activity=activity)

    assert months_of(ResidentReach, resident=resident, year=local.year) == 0
    assert_no_drift((local.year, local.month))


def test_a_residents_move_changes_no_roll_up():
    resident = ResidentFactory(user=None)
    sign_up_and_check_in(activity_on(at(2026, 2, 5)), resident)
    before = rollups.stored()

    resident.household = HouseholdFactory()
    resident.save()

    assert rollups.stored() == before
    assert_no_drift((2026, 2))


def test_a_party_membership_given_later_counts_in_the_months_reached():
    resident = ResidentFactory(user=None, is_party_member=False)
    sign_up_and_check_in(activity_on(at(2026, 2, 5)), resident)
    assert MonthReach.objects.get(year=2026, month=2).party_residents == 0

    resident.is_party_member = True
    resident.save()

    assert MonthReach.objects.get(year=2026, month=2).party_residents == 1
    assert_no_drift((2026, 2))


# --- the command ---------------------------------------------------------------------------


def test_the_check_reports_drift_and_exits_non_zero_until_rebuilt(capsys):
    resident = ResidentFactory(user=None)
    activity = activity_on(at(2026, 7, 5))
    sign_up_and_check_in(activity, resident)
    ResidentReach.objects.filter(resident=resident).update(months=0)  # behind the services' back
    ActivityTally.objects.filter(activity=activity).update(attended=7)
    MonthReach.objects.filter(year=2026, month=7).update(residents=5)

    with pytest.raises(CommandError, match="drifted"):
        call_command("rollups", "--check", "--year", "2026", "--month", "7")
    out = capsys.readouterr().out
    assert f"resident {resident.pk} in 2026" in out
    assert f"activity {activity.pk}" in out
    assert "month 2026-07" in out

    call_command("rollups", "--rebuild")
    call_command("rollups", "--check", "--all")
    assert "match" in capsys.readouterr().out


def test_the_check_refuses_a_month_without_a_year():
    with pytest.raises(CommandError):
        call_command("rollups", "--check", "--month", "3")


# --- random operations ---------------------------------------------------------------------


class Operations:
    """Random operations through the services, each at a plausible moment, over activities
    from November 2025 to February 2026 (months and a year boundary to cross)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.households = [HouseholdFactory() for _ in range(5)]
        self.residents = [
            ResidentFactory(
                user=None,
                household=self.rng.choice(self.households),
                is_party_member=i % 3 == 0,
            )
            for i in range(12)
        ]
        self.activities = [
            activity_on(
                at(2025, 11, 1) + dt.timedelta(days=self.rng.randrange(0, 115), hours=i % 5),
                capacity=self.rng.choice([2, 3, None]),
                category=self.rng.choice(Category.values),
            )
            for i in range(8)
        ]
        self.months = set()
        self.done: dict[str, int] = {}

    def pick(self, items):
        return self.rng.choice(list(items)) if items else None

    def touch(self, activity):
        local = timezone.localtime(activity.ends_at)
        self.months.add((local.year, local.month))

    def fresh(self, activity):
        return Activity.objects.get(pk=activity.pk)

    def signups(self, **filters):
        return list(SignUp.objects.filter(**filters).select_related("activity"))

    # the operations (each may be refused, as at the desk)

    def sign_up(self):
        activity = self.fresh(self.pick(self.activities))
        with clock(activity.starts_at - dt.timedelta(days=1)):
            services.sign_up(activity=activity, resident=self.pick(self.residents))

    def cancel(self):
        signup = self.pick(self.signups(status__in=["confirmed", "waitlisted"], attended=False))
        if signup:
            with clock(signup.activity.starts_at - dt.timedelta(hours=2)):
                services.cancel(signup=signup)

    def check_in(self):
        signup = self.pick(self.signups(status="confirmed", attended=False))
        if signup:
            moment = signup.activity.starts_at + dt.timedelta(minutes=5)
            with clock(moment):
                services.check_in(
                    activity=signup.activity_id, code=signup.check_in_code, now=moment
                )

    def undo(self):
        signup = self.pick(self.signups(attended=True))
        if signup:
            services.undo_check_in(signup=signup)

    def walk_in(self):
        activity = self.fresh(self.pick(self.activities))
        with clock(activity.starts_at + dt.timedelta(minutes=5)):
            services.walk_in(
                activity=activity,
                resident=self.pick(self.residents),
                over_capacity=self.rng.random() < 0.5,
            )

    def rate(self):
        signup = self.pick(self.signups(attended=True))
        if signup:
            with clock(signup.activity.ends_at + dt.timedelta(hours=1)):
                services.leave_feedback(signup=signup, rating=self.rng.randint(1, 5))

    def delete_rating(self):
        feedback = self.pick(Feedback.objects.all())
        if feedback:
            services.delete_feedback(feedback_ids=[feedback.pk])

    def move(self):
        activity = self.fresh(self.pick(self.activities))
        self.touch(activity)
        shift = dt.timedelta(days=self.rng.choice([-40, -20, -3, 3, 20, 40]))
        starts = activity.starts_at + shift
        if not at(2025, 10, 1) <= starts <= at(2026, 3, 25):
            return
        activity.starts_at, activity.ends_at = starts, activity.ends_at + shift
        services.save_activity(activity=activity)

    def recategorise(self):
        activity = self.fresh(self.pick(self.activities))
        activity.category = self.pick(Category.values)
        services.save_activity(activity=activity)

    def cancel_activity(self):
        activity = self.fresh(self.pick(self.activities))
        with clock(activity.starts_at - dt.timedelta(hours=1)):
            services.cancel_activity(activity=activity)

    def reopen_activity(self):
        activity = self.fresh(self.pick(self.activities))
        if activity.is_cancelled:
            activity.status = Activity.Status.OPEN
            services.save_activity(activity=activity)

    def change_capacity(self):
        activity = self.fresh(self.pick(self.activities))
        with clock(activity.starts_at - dt.timedelta(days=1)):
            services.change_capacity(activity=activity, capacity=self.rng.choice([1, 2, 4, None]))

    def move_house(self):
        resident = Resident.objects.get(pk=self.pick(self.residents).pk)
        resident.household = self.pick(self.households)
        resident.save()

    def party(self):
        resident = Resident.objects.get(pk=self.pick(self.residents).pk)
        resident.is_party_member = not resident.is_party_member
        resident.save()

    WEIGHTS = {
        "sign_up": 8,
        "cancel": 2,
        "check_in": 6,
        "undo": 2,
        "walk_in": 3,
        "rate": 2,
        "delete_rating": 1,
        "move": 2,
        "recategorise": 1,
        "cancel_activity": 1,
        "reopen_activity": 1,
        "change_capacity": 1,
        "move_house": 1,
        "party": 1,
    }

    def run(self, count: int):
        names, weights = zip(*self.WEIGHTS.items(), strict=True)
        for _ in range(count):
            name = self.rng.choices(names, weights)[0]
            try:
                getattr(self, name)()
            except ValidationError:
                continue  # refused, as it would be at the desk: nothing changed
            self.done[name] = self.done.get(name, 0) + 1
        for activity in Activity.objects.filter(pk__in=[a.pk for a in self.activities]):
            self.touch(activity)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_leave_no_drift_in_any_month_they_touched(seed):
    ops = Operations(seed)
    ops.run(300)

    # The sequence did exercise what can move the roll-ups.
    for name in ("sign_up", "check_in", "undo", "walk_in", "move", "cancel"):
        assert ops.done.get(name, 0) > 0, name
    assert SignUp.objects.filter(attended=True).exists()
    assert_no_drift(*sorted(ops.months))
    # And the summary of each closed month reads the same from the roll-ups as live.
    now = at(2026, 6, 1)
    for year, month in sorted(ops.months):
        rolled = monthly_summary(year=year, month=month, now=now)
        live = monthly_summary(year=year, month=month, now=now, live=True)
        assert rolled == live, (year, month)


def test_a_closed_years_reach_reads_the_same_from_the_roll_ups_as_live():
    ops = Operations(4)
    ops.run(150)
    assert_no_drift(*sorted(ops.months))
    year = year_summary(year=2025, now=at(2026, 6, 1))  # closed: from the roll-ups
    december = monthly_summary(year=2025, month=12, now=at(2026, 6, 1), live=True)
    assert year.residents_reached == december.residents_reached_year.value
    assert year.households_reached == december.households_reached_year.value
