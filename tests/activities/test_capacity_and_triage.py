"""Writes staff make in the back office, as services: an activity's capacity (new seats go
to the waiting list), a need's triage (resolved_at follows the status), and who cancelled
or checked a resident in (recorded, and kept in the sign-up's history)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from activities import services
from activities.models import Activity, Need, SignUp
from tests.factories import (
    ActivityFactory,
    NeedFactory,
    ResidentFactory,
    ServiceProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


def refused(call, code: str) -> str:
    """The call is refused with `code`, with a message in Chinese and one in English."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == code
    message = caught.value.messages[0]
    with translation.override("en"), pytest.raises(ValidationError) as english:
        call()
    assert english.value.messages[0] != message, "no English translation"
    return message


def sign_up(activity, count):
    residents = ResidentFactory.create_batch(count, user=None)
    return [services.sign_up(activity=activity, resident=r).signup for r in residents]


def statuses(signups):
    for signup in signups:
        signup.refresh_from_db()
    return [s.status for s in signups]


# --- capacity ----------------------------------------------------------------------------


def test_raising_capacity_promotes_the_oldest_waitlisted():
    activity = ActivityFactory(capacity=2)
    first, second, w1, w2, w3 = sign_up(activity, 5)

    result = services.change_capacity(activity=activity.pk, capacity=4)

    assert [s.pk for s in result.promoted] == [w1.pk, w2.pk]
    assert statuses([w1, w2, w3]) == ["confirmed", "confirmed", "waitlisted"]
    w1.refresh_from_db()
    assert w1.promoted_at is not None and w1.promotion_unseen
    assert result.confirmed == 4 and not result.overbooked
    activity.refresh_from_db()
    assert activity.capacity == 4


def test_removing_the_limit_promotes_every_waitlisted_resident():
    activity = ActivityFactory(capacity=1)
    signups = sign_up(activity, 4)

    result = services.change_capacity(activity=activity, capacity=None)

    assert len(result.promoted) == 3
    assert set(statuses(signups)) == {"confirmed"}


def test_lowering_capacity_below_the_confirmed_keeps_their_seats_and_queues_newcomers():
    activity = ActivityFactory(capacity=4)
    confirmed = sign_up(activity, 4)

    result = services.change_capacity(activity=activity, capacity=2)
    [newcomer] = sign_up(activity, 1)

    assert result.promoted == []
    assert result.overbooked and result.confirmed == 4
    assert statuses(confirmed) == ["confirmed"] * 4
    assert newcomer.status == SignUp.Status.WAITLISTED


def test_after_lowering_capacity_a_cancellation_frees_no_seat_until_below_it():
    activity = ActivityFactory(capacity=3)
    a, b, c, waiting = sign_up(activity, 4)
    services.change_capacity(activity=activity, capacity=1)

    services.cancel(signup=a)
    services.cancel(signup=b)
    assert statuses([waiting]) == ["waitlisted"]
    services.cancel(signup=c)
    assert statuses([waiting]) == ["confirmed"]


def test_raising_capacity_of_a_held_activity_promotes_nobody():
    activity = ActivityFactory(capacity=1)
    _confirmed, waiting = sign_up(activity, 2)
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.HELD)

    result = services.change_capacity(activity=activity.pk, capacity=5)

    assert result.promoted == []
    assert statuses([waiting]) == ["waitlisted"]


def test_a_negative_capacity_is_refused_and_nothing_is_saved():
    activity = ActivityFactory(capacity=5)

    message = refused(
        lambda: services.change_capacity(activity=activity.pk, capacity=-1), "negative_capacity"
    )

    assert message == "名额不能为负数。"
    activity.refresh_from_db()
    assert activity.capacity == 5


def test_changing_capacity_of_a_missing_activity_is_refused():
    refused(lambda: services.change_capacity(activity=999_999, capacity=3), "not_found")


def test_a_capacity_change_is_one_version_naming_who_made_it():
    staff = StaffUserFactory()
    activity = ActivityFactory(capacity=2, title="消防演练")
    activity.title = "消防疏散演练"  # edited together with the capacity, as in the form

    services.change_capacity(activity=activity, capacity=3, by=staff)

    latest = activity.history.first()
    assert (latest.title, latest.capacity, latest.history_user) == ("消防疏散演练", 3, staff)
    assert activity.history.count() == 2


# --- needs' triage -----------------------------------------------------------------------


def test_resolving_a_need_records_when_and_reopening_it_clears_it():
    need = NeedFactory(resident__user=None)

    resolved = services.triage_need(need=need.pk, status=Need.Status.RESOLVED)
    when = resolved.resolved_at
    again = services.triage_need(need=need.pk, status=Need.Status.RESOLVED, staff_reply="已修好")
    reopened = services.triage_need(need=need.pk, status=Need.Status.ACCEPTED)

    assert when is not None
    assert again.resolved_at == when and again.staff_reply == "已修好"
    assert reopened.resolved_at is None
    need.refresh_from_db()
    assert (need.status, need.resolved_at) == (Need.Status.ACCEPTED, None)


def test_putting_a_need_in_a_project_needs_the_project():
    need = NeedFactory(resident__user=None)
    project = ServiceProjectFactory()

    message = refused(
        lambda: services.triage_need(need=need, status=Need.Status.IN_PROJECT),
        "project_required",
    )
    done = services.triage_need(need=need, status=Need.Status.IN_PROJECT, project=project)

    assert message == "“已纳入项目”的需求必须选择对应项目。"
    assert done.project == project
    need.refresh_from_db()
    assert need.status == Need.Status.IN_PROJECT


def test_a_triaged_need_cannot_go_back_to_new():
    need = NeedFactory(resident__user=None, status=Need.Status.ACCEPTED)

    refused(lambda: services.triage_need(need=need.pk, status=Need.Status.NEW), "back_to_new")

    need.refresh_from_db()
    assert need.status == Need.Status.ACCEPTED


def test_an_unknown_need_status_is_refused():
    need = NeedFactory(resident__user=None)
    refused(lambda: services.triage_need(need=need.pk, status="finished"), "invalid_status")


def test_triaging_a_missing_need_is_refused():
    refused(lambda: services.triage_need(need=999_999, status=Need.Status.ACCEPTED), "not_found")


def test_a_triage_names_the_member_of_staff_in_the_needs_history():
    staff = StaffUserFactory()
    need = NeedFactory(resident__user=None)

    services.triage_need(
        need=need.pk, status=Need.Status.DECLINED, staff_reply="不在社区范围内", by=staff
    )

    assert need.history.first().history_user == staff


# --- who did what ------------------------------------------------------------------------


def test_cancel_records_who_cancelled():
    staff = StaffUserFactory()
    [signup] = sign_up(ActivityFactory(), 1)

    cancelled = services.cancel(signup=signup, by=staff)

    assert (cancelled.cancelled_by, cancelled.cancelled_at is not None) == (staff, True)
    signup.refresh_from_db()
    assert signup.cancelled_by == staff


def test_check_in_records_who_checked_in_and_undo_clears_it():
    staff, other = StaffUserFactory(), StaffUserFactory()
    [signup] = sign_up(ActivityFactory(), 1)

    checked = services.check_in(activity=signup.activity, code=signup.check_in_code, by=staff)
    again = services.check_in(activity=signup.activity, code=signup.check_in_code, by=other)
    undone = services.undo_check_in(signup=signup, by=other)

    assert checked.checked_in_by == staff
    assert again.checked_in_by == staff  # checking in twice changes nothing
    signup.refresh_from_db()
    assert (signup.attended, signup.checked_in_at, signup.checked_in_by) == (False, None, None)
    assert undone.checked_in_by is None


def test_a_sign_up_keeps_its_history_of_who_did_what():
    staff, desk = StaffUserFactory(), StaffUserFactory()
    activity = ActivityFactory(starts_at=timezone.now() + dt.timedelta(days=1))
    [signup] = sign_up(activity, 1)

    services.check_in(activity=activity, code=signup.check_in_code, by=desk)
    services.undo_check_in(signup=signup, by=staff)
    services.cancel(signup=signup, by=staff)

    versions = list(signup.history.order_by("history_date", "history_id"))
    assert [v.history_type for v in versions] == ["+", "~", "~", "~"]
    assert [(v.attended, v.checked_in_by_id) for v in versions[:3]] == [
        (False, None),
        (True, desk.pk),
        (False, None),
    ]
    assert (versions[-1].status, versions[-1].cancelled_by_id) == ("cancelled", staff.pk)
    assert [v.history_user for v in versions[1:]] == [desk, staff, staff]


def test_a_promotion_is_in_the_promoted_sign_ups_history():
    activity = ActivityFactory(capacity=1)
    confirmed, waiting = sign_up(activity, 2)

    services.cancel(signup=confirmed)

    assert [v.status for v in waiting.history.order_by("history_date", "history_id")] == [
        "waitlisted",
        "confirmed",
    ]
