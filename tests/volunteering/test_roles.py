"""Volunteer roles on activities: places, waiting list and promotion, as for seats."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from residents.models import Notification
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.models import RoleSignUp

from .factories import PartyMemberFactory, VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def test_the_fifth_volunteer_for_four_places_goes_on_the_roles_waiting_list():
    role = VolunteerRoleFactory(places=4)
    results = [services.sign_up_for_role(role=role, resident=ResidentFactory()) for _ in range(5)]

    statuses = [r.signup.status for r in results]
    assert statuses == [RoleSignUp.Status.CONFIRMED] * 4 + [RoleSignUp.Status.WAITLISTED]
    assert services.role_waitlist_position(results[4].signup) == 1


def test_signing_up_twice_for_a_role_returns_the_same_place():
    role = VolunteerRoleFactory()
    resident = ResidentFactory()

    first = services.sign_up_for_role(role=role, resident=resident)
    second = services.sign_up_for_role(role=role, resident=resident)

    assert first.created and not second.created
    assert second.signup.pk == first.signup.pk


def test_a_volunteer_holds_one_role_per_activity_when_signing_up_for_another():
    role = VolunteerRoleFactory()
    other = VolunteerRoleFactory(activity=role.activity, name="摄影")
    resident = ResidentFactory()
    services.sign_up_for_role(role=role, resident=resident)

    with pytest.raises(ValidationError) as refused:
        services.sign_up_for_role(role=other, resident=resident)

    assert refused.value.code == "other_role"


def test_cancelling_a_confirmed_place_promotes_the_oldest_waitlisted_volunteer_and_tells_them():
    role = VolunteerRoleFactory(places=1)
    holder = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    first = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    second = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    services.cancel_role_signup(signup=holder)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RoleSignUp.Status.CONFIRMED
    assert first.promoted_at is not None
    assert second.status == RoleSignUp.Status.WAITLISTED
    assert Notification.objects.filter(resident=first.resident).count() == 1


def test_raising_a_roles_places_promotes_the_waiting_list_and_lowering_below_confirmed_is_refused():
    role = VolunteerRoleFactory(places=1)
    services.sign_up_for_role(role=role, resident=ResidentFactory())
    waiting = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    role.places = 2
    services.save_role(role=role)
    waiting.refresh_from_db()
    assert waiting.status == RoleSignUp.Status.CONFIRMED

    role.places = 1
    with pytest.raises(ValidationError) as refused:
        services.save_role(role=role)
    assert refused.value.code == "places_below_confirmed"


def test_roles_of_a_started_or_cancelled_activity_refuse_new_volunteers():
    started = VolunteerRoleFactory(activity=ActivityFactory(held=True))
    cancelled = VolunteerRoleFactory(activity=ActivityFactory(status="cancelled"))

    for role, code in ((started, "started"), (cancelled, "cancelled")):
        with pytest.raises(ValidationError) as refused:
            services.sign_up_for_role(role=role, resident=ResidentFactory())
        assert refused.value.code == code


def test_staff_sign_up_a_reported_member_and_the_place_names_both_member_and_resident():
    member = PartyMemberFactory()
    role = VolunteerRoleFactory()

    signup = services.sign_up_for_role(role=role, member=member).signup

    assert signup.member == member
    assert signup.resident == member.resident


def test_a_resident_who_reported_is_linked_to_their_member_record_when_signing_up_themself():
    member = PartyMemberFactory()

    signup = services.sign_up_for_role(role=VolunteerRoleFactory(), resident=member.resident).signup

    assert signup.member == member


def test_a_member_living_elsewhere_can_be_signed_up_without_a_resident_record():
    from volunteering.models import PartyMember

    member = PartyMember.objects.create(name="赵党员", phone="13912345678")

    signup = services.sign_up_for_role(role=VolunteerRoleFactory(), member=member).signup

    assert signup.resident is None
    assert signup.volunteer_name == "赵党员"


# --- check-in, check-out, hours --------------------------------------------------------


def _at_the_door(**role_kwargs):
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity, **role_kwargs)
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    return activity, signup


def test_hours_run_from_check_in_to_check_out_within_the_activitys_times():
    activity, signup = _at_the_door()
    early = activity.starts_at - dt.timedelta(minutes=45)
    late = activity.ends_at + dt.timedelta(minutes=20)

    services.check_in_volunteer(signup=signup, now=early)
    signup = services.check_out_volunteer(signup=signup, now=late)

    # 2 hours long: the 45 minutes before and 20 after do not count.
    assert signup.hours == 2


def test_hours_of_a_volunteer_who_left_early_are_rounded_to_a_tenth_of_an_hour():
    activity, signup = _at_the_door()
    services.check_in_volunteer(signup=signup, now=activity.starts_at)

    signup = services.check_out_volunteer(
        signup=signup, now=activity.starts_at + dt.timedelta(minutes=80)
    )

    assert str(signup.hours) == "1.3"


def test_checking_out_before_checking_in_is_refused():
    _activity, signup = _at_the_door()

    with pytest.raises(ValidationError) as refused:
        services.check_out_volunteer(signup=signup)

    assert refused.value.code == "not_checked_in"


def test_a_waitlisted_volunteer_cannot_be_checked_in():
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity, places=1)
    services.sign_up_for_role(role=role, resident=ResidentFactory())
    waiting = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    with pytest.raises(ValidationError) as refused:
        services.check_in_volunteer(signup=waiting)

    assert refused.value.code == "not_confirmed"


def test_checking_in_outside_the_window_is_refused():
    role = VolunteerRoleFactory()  # a week from now
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup

    with pytest.raises(ValidationError) as refused:
        services.check_in_volunteer(signup=signup)

    assert refused.value.code == "too_early"


def test_staff_adjust_hours_only_with_a_reason_and_the_change_is_in_the_history(staff_user):
    activity, signup = _at_the_door()
    services.check_in_volunteer(signup=signup, now=activity.starts_at)
    services.check_out_volunteer(signup=signup, now=activity.ends_at)

    with pytest.raises(ValidationError) as refused:
        services.adjust_hours(signup=signup, hours=3, reason=" ", by=staff_user)
    assert refused.value.code == "reason_required"

    signup = services.adjust_hours(signup=signup, hours=3, reason="会后整理场地", by=staff_user)

    assert signup.hours == 3
    latest = signup.history.first()
    assert latest.hours == 3
    assert latest.hours_reason == "会后整理场地"
    assert latest.history_user == staff_user
    assert signup.history.count() >= 4  # sign-up, check-in, check-out, adjustment


def test_a_volunteer_checked_in_cannot_cancel():
    activity, signup = _at_the_door()
    services.check_in_volunteer(signup=signup, now=timezone.now())

    with pytest.raises(ValidationError) as refused:
        services.cancel_role_signup(signup=signup)

    assert refused.value.code == "checked_in"
