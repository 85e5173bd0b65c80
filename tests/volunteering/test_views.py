"""Residents sign up for volunteer roles on the activity's page; /me/ shows the service
record, certificates and points."""

import datetime as dt

import pytest

from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.models import RoleSignUp

from .factories import VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def test_the_activity_page_lists_its_volunteer_roles_with_places_left(resident_client):
    role = VolunteerRoleFactory(name="引导员", places=4)
    services.sign_up_for_role(role=role, resident=ResidentFactory())

    page = resident_client.get(role.activity.get_absolute_url()).content.decode()

    assert "引导员" in page
    assert "剩 3 / 共 4 人" in page
    assert "报名担任引导员" in page


def test_an_activity_without_roles_shows_no_volunteer_section(client):
    activity = ActivityFactory()

    assert "志愿岗位" not in client.get(activity.get_absolute_url()).content.decode()


def test_a_resident_signs_up_for_a_role_then_cancels_from_the_activity_page(resident_client):
    role = VolunteerRoleFactory()
    url = f"/activities/{role.activity_id}/volunteer/"

    response = resident_client.post(url, {"role": role.pk})

    assert response.status_code == 302
    signup = RoleSignUp.objects.get(resident=resident_client.resident)
    assert signup.status == RoleSignUp.Status.CONFIRMED
    assert signup.signed_up_by == resident_client.resident.user
    page = resident_client.get(role.activity.get_absolute_url()).content.decode()
    assert "取消志愿岗位报名" in page

    resident_client.post(f"/activities/{role.activity_id}/volunteer/cancel/")
    signup.refresh_from_db()
    assert signup.status == RoleSignUp.Status.CANCELLED


def test_a_role_of_another_activity_or_nonsense_is_refused_without_an_error(resident_client):
    role = VolunteerRoleFactory()
    other = ActivityFactory()

    for data in ({"role": role.pk}, {"role": "x"}, {}):
        response = resident_client.post(f"/activities/{other.pk}/volunteer/", data)
        assert response.status_code == 302
    assert not RoleSignUp.objects.exists()


def test_signing_up_for_a_role_needs_a_login(client):
    role = VolunteerRoleFactory()

    response = client.post(f"/activities/{role.activity_id}/volunteer/", {"role": role.pk})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not RoleSignUp.objects.exists()


def test_me_shows_the_service_record_with_role_date_hours_organiser_and_recorder(
    resident_client, staff_user, django_assert_max_num_queries
):
    activity = ActivityFactory(at_the_door=True, title="重阳节敬老")
    role = VolunteerRoleFactory(activity=activity, name="陪护")
    signup = services.sign_up_for_role(role=role, resident=resident_client.resident).signup
    staff_user.last_name, staff_user.first_name = "王", "晓燕"
    staff_user.save()
    services.check_in_volunteer(signup=signup, now=activity.starts_at, by=staff_user)
    services.check_out_volunteer(
        signup=signup, now=activity.starts_at + dt.timedelta(hours=1), by=staff_user
    )

    page = resident_client.get("/me/").content.decode()

    assert "重阳节敬老" in page and "陪护" in page and "王晓燕" in page
    assert "1.0" in page
    assert "开具志愿服务证明" in page


def test_the_me_page_costs_the_same_queries_with_more_service_records(
    resident_client, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # every request renders the page (no cached copy)
    resident = resident_client.resident
    for _ in range(3):
        role = VolunteerRoleFactory(activity=ActivityFactory(held=True))
        RoleSignUp.objects.create(
            role=role, activity=role.activity, resident=resident, status="confirmed", hours=1
        )
    services.correct_points(resident=resident, points=10, reason="期初")
    resident_client.get("/me/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        resident_client.get("/me/")
    for _ in range(5):
        role = VolunteerRoleFactory(activity=ActivityFactory(held=True))
        RoleSignUp.objects.create(
            role=role, activity=role.activity, resident=resident, status="confirmed", hours=1
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        resident_client.get("/me/")


def test_the_roles_and_the_verification_page_are_in_english_when_switched(resident_client):
    role = VolunteerRoleFactory(name="Guide", places=4)

    page = resident_client.get(f"/en/activities/{role.activity_id}/").content.decode()
    verify = resident_client.get("/en/verify/nothing/").content.decode()

    assert "Volunteer roles" in page and "4 of 4 places left" in page and "Sign up as Guide" in page
    assert "This certificate was not found" in verify


def test_an_anonymous_reader_sees_the_places_left_right_after_a_role_sign_up(client):
    # The activity's page is kept whole for anonymous readers (core/pagecache.py): a role
    # sign-up must make it fresh, like a seat sign-up does.
    role = VolunteerRoleFactory(name="引导员", places=4)
    resident = ResidentFactory()
    url = role.activity.get_absolute_url()
    assert "剩 4 / 共 4 人" in client.get(url).content.decode()

    services.sign_up_for_role(role=role, resident=resident)

    assert "剩 3 / 共 4 人" in client.get(url).content.decode()
