"""Cancelling an activity cancels its volunteers' places and tells them, in the same
transaction (`activities.cancellation`, registered by `volunteering.hooks`)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import cancellation, services as activity_services
from activities.models import Activity
from residents.models import Notification
from tests.activities.test_admin import _activity_form
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.models import PointsEntry, RoleSignUp

from .factories import PartyMemberFactory, PointsRuleFactory, VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def _cancelled_notices(resident):
    return Notification.objects.filter(resident=resident, kind=Notification.Kind.ACTIVITY_CANCELLED)


def test_cancelling_an_activity_cancels_confirmed_and_waitlisted_volunteers_and_tells_each_once():
    role = VolunteerRoleFactory(places=1)
    confirmed = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    waiting = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    activity_services.cancel_activity(activity=role.activity)
    activity_services.cancel_activity(activity=role.activity)  # twice changes nothing

    for signup in (confirmed, waiting):
        signup.refresh_from_db()
        assert signup.status == RoleSignUp.Status.CANCELLED
        assert signup.cancelled_at is not None
        assert signup.promoted_at is None
        notices = _cancelled_notices(signup.resident)
        assert notices.count() == 1
        assert role.activity.title in notices.get().title


def test_a_resident_holding_a_seat_and_a_role_hears_of_the_cancellation_once():
    role = VolunteerRoleFactory()
    resident = ResidentFactory()
    activity_services.sign_up(activity=role.activity, resident=resident)
    services.sign_up_for_role(role=role, resident=resident)

    activity_services.cancel_activity(activity=role.activity)

    assert _cancelled_notices(resident).count() == 1


def test_a_member_living_elsewhere_loses_the_place_without_a_notification():
    role = VolunteerRoleFactory()
    member = PartyMemberFactory(resident=None, name="在外党员", phone="13700000000")
    signup = services.sign_up_for_role(role=role, member=member).signup

    activity_services.cancel_activity(activity=role.activity)

    signup.refresh_from_db()
    assert signup.status == RoleSignUp.Status.CANCELLED
    assert not Notification.objects.exists()


def test_volunteers_of_a_cancelled_activity_earn_no_points_and_cannot_check_in():
    PointsRuleFactory(points=10)
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity)
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    services.check_in_volunteer(signup=signup, now=timezone.now())

    activity_services.cancel_activity(activity=activity)

    signup.refresh_from_db()
    assert signup.status == RoleSignUp.Status.CANCELLED
    assert signup.hours is None
    services.award_points(signup=signup)
    assert not PointsEntry.objects.exists()
    assert not RoleSignUp.objects.served().exists()


def test_a_failing_cancellation_hook_rolls_the_whole_cancellation_back():
    role = VolunteerRoleFactory()
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    def broken(*, activity, by=None):
        raise RuntimeError("hook failed")

    cancellation.register(broken)
    try:
        with pytest.raises(RuntimeError):
            activity_services.cancel_activity(activity=role.activity)
    finally:
        cancellation.CANCELLATION_HOOKS.remove(broken)

    role.activity.refresh_from_db()
    signup.refresh_from_db()
    assert role.activity.status == Activity.Status.OPEN
    assert signup.status == RoleSignUp.Status.CONFIRMED
    assert not Notification.objects.exists()


def test_staff_cancelling_in_the_back_office_form_cancel_the_volunteers_too(admin_client):
    role = VolunteerRoleFactory()
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    activity = role.activity
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    admin_client.post(url, _activity_form(activity, place="新的地点"))
    signup.refresh_from_db()
    assert signup.status == RoleSignUp.Status.CONFIRMED  # a plain change cancels nothing

    response = admin_client.post(url, _activity_form(activity, status="cancelled"))

    assert response.status_code == 302
    activity.refresh_from_db()
    signup.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    assert signup.status == RoleSignUp.Status.CANCELLED
    assert _cancelled_notices(signup.resident).count() == 1


def test_a_volunteer_the_site_cannot_reach_goes_on_the_call_list_once():
    from activities.models import CallListEntry

    role = VolunteerRoleFactory()
    no_login = ResidentFactory(user=None)
    both = ResidentFactory(user=None)
    services.sign_up_for_role(role=role, resident=no_login)
    services.sign_up_for_role(role=role, resident=both)
    activity_services.sign_up(activity=role.activity, resident=both)
    services.sign_up_for_role(role=role, resident=ResidentFactory(email="a@example.com"))

    activity_services.cancel_activity(activity=role.activity)

    entries = CallListEntry.objects.filter(activity=role.activity, reason="cancelled")
    assert sorted(e.resident_id for e in entries) == sorted([no_login.pk, both.pk])
    assert entries.get(resident=both).signup is not None  # the seat's entry, shared
