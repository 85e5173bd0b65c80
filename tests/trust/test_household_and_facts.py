"""Household membership and restricted activities only through staff verification; the
irreversible "delete my data" asks for the password again."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from residents import services
from residents.models import Resident
from tests.factories import PASSWORD, ActivityFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _code(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code if hasattr(caught.value, "code") else None


# --- household -------------------------------------------------------------------------


def test_an_unverified_resident_cannot_add_household_members():
    stranger = ResidentFactory(is_verified=False)
    code = _code(
        lambda: services.add_household_member(guardian=stranger, name="假孩子", birth_year=2016)
    )
    assert code == "not_verified"
    assert not Resident.objects.filter(name="假孩子").exists()


def test_a_verified_resident_adds_household_members():
    parent = ResidentFactory(is_verified=True)
    child = services.add_household_member(guardian=parent, name="王小明", birth_year=2016)
    assert child.household_id == parent.household_id


def test_an_unverified_resident_does_not_see_the_household(client):
    parent = ResidentFactory(is_verified=True, name="张建华")
    stranger = ResidentFactory(is_verified=False, household=parent.household)
    client.force_login(stranger.user)
    page = client.get("/me/household/").content.decode()
    assert "张**" not in page and "张建华" not in page
    assert 'name="birth_year"' not in page  # no form to add members
    response = client.post("/me/household/", {"name": "假孩子", "birth_year": "2016"})
    assert not Resident.objects.filter(name="假孩子").exists()
    assert response.status_code == 200


def test_a_move_by_staff_clears_the_verification():
    resident = ResidentFactory(is_verified=True)
    resident.household = HouseholdFactory()
    resident.save()
    resident.refresh_from_db()
    assert resident.is_verified is False


def test_staff_verifying_in_the_same_save_as_the_move_keep_it():
    resident = ResidentFactory(is_verified=False)
    resident.household = HouseholdFactory()
    resident.is_verified = True
    resident.save()
    resident.refresh_from_db()
    assert resident.is_verified is True


def test_a_move_in_the_back_office_clears_the_verification(staff_client):
    resident = ResidentFactory(is_verified=True, user=None, phone="13911112222")
    other = HouseholdFactory()
    url = reverse("admin:residents_resident_change", args=[resident.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: ("on" if value is True else "" if value in (None, False) else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data = {k: v for k, v in data.items() if v != ""}
    data["household"] = str(other.pk)
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    resident.refresh_from_db()
    assert resident.household_id == other.pk
    assert resident.is_verified is False


# --- restricted activities need facts staff confirmed --------------------------------------


def _open_activity(**kwargs):
    starts = timezone.now() + dt.timedelta(days=3)
    return ActivityFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2), **kwargs)


def test_a_self_declared_birth_year_does_not_open_an_age_limited_activity():
    activity = _open_activity(min_age=60)
    resident = ResidentFactory(birth_year=1950, birth_year_confirmed=False)
    code = _code(lambda: activity_services.sign_up(activity=activity, resident=resident))
    assert code == "age_unconfirmed"
    resident.birth_year_confirmed = True
    resident.save()
    assert activity_services.sign_up(activity=activity, resident=resident).signup


def test_a_self_declared_party_membership_does_not_open_a_party_activity():
    activity = _open_activity(party_members_only=True)
    resident = ResidentFactory(is_party_member=True, party_member_confirmed=False)
    code = _code(lambda: activity_services.sign_up(activity=activity, resident=resident))
    assert code == "party_unconfirmed"
    resident.party_member_confirmed = True
    resident.save()
    assert activity_services.sign_up(activity=activity, resident=resident).signup


def test_a_self_registered_resident_has_no_confirmed_facts(client):
    from tests.factories import BuildingFactory

    building = BuildingFactory()
    from tests.accounts import register

    register(client, "13912340002", building, birth_year="1950")
    resident = Resident.objects.get(phone="13912340002")
    assert resident.birth_year == 1950
    assert not resident.birth_year_confirmed and not resident.party_member_confirmed
    assert not resident.is_verified


# --- delete my data asks for the password again -------------------------------------------


def test_deleting_my_data_needs_my_password(resident_client):
    me = resident_client.resident
    response = resident_client.post("/me/delete/", {"confirm": "on", "password": "wrong-guess"})
    assert response.status_code == 200
    assert "密码不正确" in response.content.decode()
    me.refresh_from_db()
    assert not me.is_anonymised
    response = resident_client.post("/me/delete/", {"confirm": "on"})
    me.refresh_from_db()
    assert not me.is_anonymised
    response = resident_client.post("/me/delete/", {"confirm": "on", "password": PASSWORD})
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.is_anonymised
