"""The door: the check-in window, every check-in refusal, walk-ins (over capacity only when
staff confirm it), and the call list of residents the site cannot reach."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from activities import services
from activities.models import Activity, CallListEntry, SignUp
from residents.services import register_at_the_door
from summary.report import monthly_summary, ratio
from tests.activities.test_services import assert_refused, people, sign_up_all, someone
from tests.factories import (
    ActivityFactory,
    BuildingFactory,
    ResidentFactory,
    StaffUserFactory,
    hold,
)

pytestmark = pytest.mark.django_db


def _signed_up(activity, **kwargs):
    return services.sign_up(activity=activity, resident=someone(**kwargs)).signup


# --- the check-in window -----------------------------------------------------------------


def test_check_in_opens_two_hours_before_the_start_by_default():
    activity = ActivityFactory()
    opens, closes = services.check_in_window(activity)
    assert opens == activity.starts_at - dt.timedelta(hours=2)
    assert closes == activity.ends_at + dt.timedelta(minutes=30)


def test_check_in_days_before_the_activity_is_refused_as_too_early():
    activity = ActivityFactory()  # a week from now
    signup = _signed_up(activity)

    message = assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code), "too_early"
    )

    assert "签到从" in message
    signup.refresh_from_db()
    assert not signup.attended


def test_check_in_just_inside_the_window_is_accepted(settings):
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 120
    activity = ActivityFactory()
    signup = _signed_up(activity)
    moment = activity.starts_at - dt.timedelta(minutes=119)

    checked = services.check_in(activity=activity, code=signup.check_in_code, now=moment)

    assert checked.attended and checked.checked_in_at == moment


def test_the_window_follows_the_settings(settings):
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 30
    activity = ActivityFactory(at_the_door=True)  # starts in an hour
    signup = _signed_up(activity)

    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code), "too_early"
    )
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 90
    assert services.check_in(activity=activity, code=signup.check_in_code).attended


def test_check_in_after_the_end_and_its_grace_is_refused_as_too_late(settings):
    settings.CHECK_IN_GRACE_MINUTES_AFTER = 30
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    late = activity.ends_at + dt.timedelta(minutes=31)
    in_grace = activity.ends_at + dt.timedelta(minutes=29)

    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code, now=late),
        "too_late",
    )
    assert services.check_in(activity=activity, code=signup.check_in_code, now=in_grace).attended


# --- every refusal at the door -----------------------------------------------------------


def test_a_code_of_another_activity_scanned_as_a_link_is_refused_naming_it():
    here = ActivityFactory(at_the_door=True)
    elsewhere = ActivityFactory(at_the_door=True, title="书法班")
    signup = _signed_up(elsewhere)
    link = f"https://gongjian.example/activities/{elsewhere.pk}/check-in/{signup.check_in_code}/"

    message = assert_refused(lambda: services.check_in(activity=here, code=link), "other_activity")

    assert "书法班" in message
    signup.refresh_from_db()
    assert not signup.attended


def test_a_scanned_link_of_this_activity_checks_the_resident_in():
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    link = f"https://gongjian.example/en/activities/{activity.pk}/check-in/{signup.check_in_code}/"

    assert services.check_in(activity=activity, code=link).pk == signup.pk


@pytest.mark.parametrize("typed", ["000000x", "12345", "", "abcdef"])
def test_an_unknown_code_is_refused(typed):
    activity = ActivityFactory(at_the_door=True)
    _signed_up(activity)

    assert_refused(lambda: services.check_in(activity=activity, code=typed), "invalid_code")


def test_a_cancelled_sign_up_is_refused_at_the_door():
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    services.cancel(signup=signup)

    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code), "cancelled"
    )


def test_a_waitlisted_resident_is_refused_at_the_door():
    activity = ActivityFactory(at_the_door=True, capacity=1)
    _first, waiting = sign_up_all(activity, people(2))

    assert_refused(
        lambda: services.check_in(activity=activity, code=waiting.check_in_code), "waitlisted"
    )


def test_a_cancelled_activity_refuses_every_check_in():
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    services.cancel_activity(activity=activity)

    assert_refused(
        lambda: services.check_in(activity=activity, code=signup.check_in_code),
        "activity_cancelled",
    )


def test_a_resident_already_in_keeps_the_first_check_in():
    staff, other = StaffUserFactory(), StaffUserFactory()
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    first = services.check_in(activity=activity, code=signup.check_in_code, by=staff)

    again = services.check_in(activity=activity, code=signup.check_in_code, by=other)

    assert (again.checked_in_at, again.checked_in_by) == (first.checked_in_at, staff)


def test_undo_is_recorded_in_the_history_with_who_undid_it():
    desk, supervisor = StaffUserFactory(), StaffUserFactory()
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    services.check_in(activity=activity, code=signup.check_in_code, by=desk)

    services.undo_check_in(signup=signup, by=supervisor)

    last = signup.history.order_by("-history_date", "-history_id").first()
    assert (last.attended, last.history_user) == (False, supervisor)


def test_rating_is_refused_until_the_activity_is_over():
    activity = ActivityFactory(at_the_door=True)
    signup = _signed_up(activity)
    signup = services.check_in(activity=activity, code=signup.check_in_code)

    assert_refused(lambda: services.leave_feedback(signup=signup, rating=5), "not_over")
    hold(activity)
    signup.refresh_from_db()
    assert services.leave_feedback(signup=signup, rating=5).rating == 5


# --- walk-ins ---------------------------------------------------------------------------


def test_a_walk_in_is_signed_up_and_checked_in_at_once():
    staff = StaffUserFactory()
    activity = ActivityFactory(at_the_door=True)

    signup = services.walk_in(activity=activity, resident=someone(), by=staff)

    assert (signup.status, signup.attended, signup.walk_in) == ("confirmed", True, True)
    assert signup.checked_in_by == staff and signup.over_capacity_at is None


def test_a_walk_in_at_a_full_activity_needs_the_over_capacity_confirmation():
    staff = StaffUserFactory()
    activity = ActivityFactory(at_the_door=True, capacity=2)
    sign_up_all(activity, people(2))
    walker = someone()

    message = assert_refused(
        lambda: services.walk_in(activity=activity, resident=walker, by=staff), "full"
    )
    assert "超额" in message
    assert not activity.signups.filter(resident=walker).exists()

    signup = services.walk_in(activity=activity, resident=walker, over_capacity=True, by=staff)

    assert signup.attended and signup.over_capacity_by == staff
    assert signup.over_capacity_at is not None
    assert activity.signups.filter(status=SignUp.Status.CONFIRMED).count() == 3


def test_a_waitlisted_resident_who_comes_to_a_full_activity_is_let_in_over_capacity():
    staff = StaffUserFactory()
    activity = ActivityFactory(at_the_door=True, capacity=1)
    _first, waiting = sign_up_all(activity, people(2))

    assert_refused(
        lambda: services.walk_in(activity=activity, resident=waiting.resident, by=staff), "full"
    )
    signup = services.walk_in(
        activity=activity, resident=waiting.resident, over_capacity=True, by=staff
    )

    assert signup.pk == waiting.pk
    assert (signup.status, signup.attended, signup.over_capacity_by) == (
        "confirmed",
        True,
        staff,
    )


def test_a_walk_in_outside_the_window_is_refused():
    activity = ActivityFactory()  # a week from now

    assert_refused(lambda: services.walk_in(activity=activity, resident=someone()), "too_early")


def test_walk_ins_over_capacity_count_as_attended_and_seats_stay_at_most_full():
    staff = StaffUserFactory()
    activity = ActivityFactory(at_the_door=True, capacity=1)
    [seated] = sign_up_all(activity, people(1))
    services.check_in(activity=activity, code=seated.check_in_code)
    services.walk_in(activity=activity, resident=someone(), over_capacity=True, by=staff)
    hold(activity)
    local = timezone.localtime(activity.ends_at)

    summary = monthly_summary(year=local.year, month=local.month)

    assert summary.attendance.value == 2
    assert summary.seats_filled.value == ratio(1, 1)  # a full house, not 200 %


def test_staff_register_a_walk_in_or_find_them_by_phone():
    building = BuildingFactory()
    known = ResidentFactory(user=None, phone="13911112222")

    found = register_at_the_door(name="别的名字", phone="13911112222")
    new = register_at_the_door(name=" 马 兰英 ", building=building, unit="2", room="301")

    assert found == known
    assert (new.name, new.user, str(new.household)) == ("马 兰英", None, str(new.household))
    assert new.household.building == building and new.household.room == "301"


# --- the call list ----------------------------------------------------------------------


def test_a_resident_without_a_login_promoted_from_the_waiting_list_goes_on_the_call_list():
    activity = ActivityFactory(capacity=1)
    first, waiting = sign_up_all(activity, people(2))

    services.cancel(signup=first)

    [entry] = CallListEntry.objects.all()
    assert (entry.resident, entry.activity, entry.reason) == (
        waiting.resident,
        activity,
        CallListEntry.Reason.PROMOTED,
    )
    assert entry.signup == waiting and entry.called_at is None


def test_a_resident_with_a_login_and_an_e_mail_is_told_by_e_mail_not_phoned(
    django_capture_on_commit_callbacks,
):
    activity = ActivityFactory(capacity=1)
    first = _signed_up(activity)
    online = ResidentFactory(email="wang@example.com")
    services.sign_up(activity=activity, resident=online)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(signup=first)

    assert not CallListEntry.objects.exists()
    assert len(mail.outbox) == 1


def test_a_resident_with_a_login_but_no_e_mail_is_phoned():
    activity = ActivityFactory(capacity=1)
    first = _signed_up(activity)
    no_mail = ResidentFactory(email="")
    services.sign_up(activity=activity, resident=no_mail)

    services.cancel(signup=first)

    assert CallListEntry.objects.get().resident == no_mail


def test_cancelling_an_activity_puts_those_who_cannot_be_reached_on_the_call_list():
    activity = ActivityFactory(capacity=1)
    seated, waiting = sign_up_all(activity, people(2))
    online = ResidentFactory(email="li@example.com")
    services.sign_up(activity=activity, resident=online)

    services.cancel_activity(activity=activity, by=StaffUserFactory())

    entries = CallListEntry.objects.filter(reason=CallListEntry.Reason.CANCELLED)
    assert {e.resident for e in entries} == {seated.resident, waiting.resident}
    assert Activity.objects.get(pk=activity.pk).is_cancelled


def _staff_save(activity):
    """What the activity's admin form does: save, then tell residents what changed."""
    before = Activity.objects.get(pk=activity.pk)
    services.save_activity(activity=activity)
    services.tell_activity_changed(activity=activity, before=before)


def test_moving_an_activity_puts_them_on_the_call_list_once_with_the_new_time():
    activity = ActivityFactory()
    signup = _signed_up(activity)
    activity.starts_at += dt.timedelta(days=1)
    activity.ends_at += dt.timedelta(days=1)
    _staff_save(activity)
    activity.starts_at += dt.timedelta(hours=1)
    activity.ends_at += dt.timedelta(hours=1)
    _staff_save(activity)

    [entry] = CallListEntry.objects.filter(reason=CallListEntry.Reason.TIME_CHANGED)
    assert entry.resident == signup.resident
    assert timezone.localtime(activity.starts_at).strftime("%H:%M") in entry.detail


def test_saving_an_activity_without_moving_it_calls_nobody():
    activity = ActivityFactory()
    _signed_up(activity)
    activity.title = "新名字"
    _staff_save(activity)

    assert not CallListEntry.objects.exists()


def test_ticking_called_records_who_and_when_and_can_be_taken_back():
    staff = StaffUserFactory()
    activity = ActivityFactory(capacity=1)
    first, _waiting = sign_up_all(activity, people(2))
    services.cancel(signup=first)
    entry = CallListEntry.objects.get()

    called = services.mark_called(entry=entry, by=staff)
    assert called.called_by == staff and called.called_at is not None
    assert not CallListEntry.objects.to_call().exists()

    back = services.mark_called(entry=entry.pk, by=staff, called=False)
    assert back.called_at is None and back.called_by is None
    assert called.history.count() == 3


def test_a_call_list_entry_is_exported_and_forgotten_with_the_resident():
    from residents.privacy import export_data
    from residents.services import anonymise_resident

    activity = ActivityFactory(capacity=1)
    first, waiting = sign_up_all(activity, people(2))
    services.cancel(signup=first)

    data = export_data(waiting.resident)
    assert [row["reason"] for row in data["call_list"]] == ["promoted"]

    anonymise_resident(resident=waiting.resident)
    assert not CallListEntry.objects.exists()
    assert not CallListEntry.history.model.objects.exists()
