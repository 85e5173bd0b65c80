"""Residents' accounts: register, log in by phone, log out, change password, activate."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from residents import services, sms
from residents.models import Household, Resident
from tests.accounts import NEW_PASSWORD, last_code, prove_phone, register, registration_data
from tests.factories import (
    PASSWORD,
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/register/"
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
ACTIVATE = "/accounts/activate/"
VERIFY = "/accounts/verify/"
CONTINUE = "/accounts/continue/"


def session_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def building(db):
    return BuildingFactory(number="3号楼")


def test_contract_paths_resolve():
    assert reverse("residents:register") == REGISTER
    assert reverse("residents:login") == LOGIN
    assert reverse("residents:logout") == LOGOUT
    assert reverse("residents:activate") == ACTIVATE
    assert reverse("residents:verify_phone") == VERIFY
    assert reverse("residents:continue") == CONTINUE
    assert reverse("residents:password_reset") == "/accounts/forgot/"
    assert reverse("residents:me") == "/me/"
    assert reverse("residents:password_change") == "/accounts/password/"
    assert reverse("residents:password_change_done") == "/accounts/password/done/"
    assert reverse("residents:privacy") == "/privacy/"


def test_register_page_asks_for_the_phone_number_first(client):
    response = client.get(REGISTER)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body and 'name="password1"' not in body
    assert "form-control-lg" in body and 'inputmode="numeric"' in body
    assert reverse("residents:activate") in body


def test_registration_form_after_the_code_shows_a_privacy_link_and_the_buildings(client, building):
    prove_phone(client, "13912345678")
    body = client.get(CONTINUE).content.decode()
    assert "139****5678" in body and 'name="phone"' not in body
    assert reverse("residents:privacy") in body
    assert building.number in body


@pytest.mark.parametrize("name", ["欧阳娜娜", "买买提·艾力", "王"])
def test_register_accepts_chinese_names_records_consent_and_logs_in(client, building, name):
    before = timezone.now()
    response = register(client, "13912345678", building, name=f"  {name} ")
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    resident = Resident.objects.get(phone="13912345678")
    assert resident.name == name
    assert resident.consent_version == settings.PRIVACY_POLICY_VERSION
    assert before <= resident.consent_at <= timezone.now()
    assert resident.user.username == "13912345678"
    assert resident.user.check_password(NEW_PASSWORD)
    assert resident.birth_year == 1958
    assert (resident.household.building, resident.household.unit, resident.household.room) == (
        building,
        "2",
        "302",
    )
    assert session_user_id(client) == str(resident.user.pk)


def test_register_redirects_to_a_safe_next(client, building):
    response = register(client, "13912345678", building, next_url="/activities/3/")
    assert response["Location"] == "/activities/3/"
    client.logout()
    response = register(client, "13912345679", building, next_url="https://evil.example/")
    assert response["Location"] == "/me/"


@pytest.mark.parametrize("phone", ["12345", "12900000000", "1391234567a", "139123456789"])
def test_register_refuses_a_bad_phone_number(client, phone):
    response = client.post(REGISTER, {"phone": phone})
    assert response.status_code == 200
    assert "请输入11位手机号码" in response.content.decode()
    assert not sms.outbox


def test_register_accepts_full_width_digits_and_spaces_in_the_phone(client, building):
    client.post(REGISTER, {"phone": "１３９ １２３４ ５６７８"})
    client.post(VERIFY, {"code": last_code("13912345678")})
    response = client.post(CONTINUE, registration_data(building))
    assert response.status_code == 302
    assert Resident.objects.filter(phone="13912345678").exists()


def test_a_number_with_an_account_is_offered_log_in_or_a_new_password(client, building):
    resident = ResidentFactory(phone="13912345678")
    prove_phone(client, "13912345678")
    body = client.get(CONTINUE).content.decode()
    assert "这个号码已有账号" in body and reverse("residents:login") in body
    assert 'name="name"' not in body
    assert Resident.objects.filter(phone="13912345678").count() == 1
    response = client.post(CONTINUE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    resident.user.refresh_from_db()
    assert resident.user.check_password(NEW_PASSWORD)
    assert session_user_id(client) == str(resident.user.pk)


def test_a_number_staff_registered_is_offered_activation_with_the_masked_record(client):
    resident = ResidentFactory(phone="13912345678", user=None, name="王秀英")
    prove_phone(client, "13912345678")
    body = client.get(CONTINUE).content.decode()
    assert "王**" in body and "王秀英" not in body
    assert str(resident.household) in body
    assert 'name="consent"' in body and 'name="name"' not in body
    assert not User.objects.filter(username="13912345678").exists()


def test_register_refuses_without_consent(client, building):
    response = register(client, "13912345678", building, consent=None)
    assert response.status_code == 200
    assert "请阅读并勾选同意《隐私说明》" in response.content.decode()
    assert not Resident.objects.exists()


def test_register_refuses_mismatched_and_weak_passwords(client, building):
    prove_phone(client, "13912345678")
    response = client.post(CONTINUE, registration_data(building, password2="Other-2026-pass"))
    assert "两次输入的密码不一致" in response.content.decode()
    response = client.post(
        CONTINUE, registration_data(building, password1="12345678", password2="12345678")
    )
    assert response.status_code == 200
    assert not Resident.objects.exists()


def test_register_refuses_digits_in_a_name_and_an_impossible_birth_year(client, building):
    prove_phone(client, "13912345678")
    response = client.post(CONTINUE, registration_data(building, name="王123"))
    assert "姓名只能包含文字" in response.content.decode()
    response = client.post(CONTINUE, registration_data(building, birth_year="1850"))
    assert "出生年份应在1900年" in response.content.decode()
    assert not Resident.objects.exists()


def test_register_joins_an_existing_household_at_the_same_address(client, building):
    household = HouseholdFactory(building=building, unit="2", room="302", size=1)
    ResidentFactory(household=household)
    register(client, "13912345678", building, unit="2单元", room="302室")
    resident = Resident.objects.get(phone="13912345678")
    assert resident.household == household
    household.refresh_from_db()
    assert household.size == 2
    assert Household.objects.count() == 1


def test_the_registration_form_needs_a_proven_phone(client, building):
    response = client.post(CONTINUE, {**registration_data(building), "phone": "13912345678"})
    assert response.status_code == 302
    assert response["Location"] == REGISTER
    client.post(REGISTER, {"phone": "13912345678"})
    response = client.post(CONTINUE, registration_data(building))
    assert response["Location"] == REGISTER
    assert not Resident.objects.exists()


def test_logged_in_resident_is_sent_from_register_to_me(resident_client):
    response = resident_client.get(REGISTER)
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_register_service_refuses_without_consent_and_writes_nothing(building):
    with pytest.raises(ValidationError) as error:
        services.register_resident(
            phone="13912345678",
            name="王芳",
            password=NEW_PASSWORD,
            building=building,
            unit="1",
            room="101",
            consent=False,
        )
    assert error.value.error_dict["consent"][0].code == "consent_required"
    assert not Resident.objects.exists()
    assert not Household.objects.exists()


# --- log in and out ---------------------------------------------------------------------


def test_login_page_asks_for_the_phone_number(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "手机号码" in body and 'name="username"' in body and 'name="password"' in body


def test_resident_logs_in_with_phone_number_through_the_login_form(client):
    resident = ResidentFactory(phone="13900000001")
    response = client.post(LOGIN, {"username": "13900000001", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert session_user_id(client) == str(resident.user.pk)


def test_login_follows_next_and_accepts_full_width_digits(client):
    ResidentFactory(phone="13900000001")
    response = client.post(
        LOGIN, {"username": "１３９００００００01", "password": PASSWORD, "next": "/activities/"}
    )
    assert response["Location"] == "/activities/"


def test_staff_log_in_with_their_login_name(client):
    staff = StaffUserFactory(username="staff")
    response = client.post(LOGIN, {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert session_user_id(client) == str(staff.pk)


def test_wrong_password_is_refused_with_a_clear_message(client):
    ResidentFactory(phone="13900000001")
    response = client.post(LOGIN, {"username": "13900000001", "password": "wrong-password"})
    assert response.status_code == 200
    assert "手机号码（或登录名）或密码不正确" in response.content.decode()
    assert session_user_id(client) is None


def test_repeated_wrong_passwords_are_locked_out_by_axes(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    ResidentFactory(phone="13900000001")
    statuses = [
        client.post(LOGIN, {"username": "13900000001", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429
    response = client.post(LOGIN, {"username": "13900000001", "password": PASSWORD})
    assert response.status_code == 429


def test_logout_is_post_only(resident_client):
    assert resident_client.get(LOGOUT).status_code == 405
    response = resident_client.post(LOGOUT)
    assert response.status_code == 302
    assert session_user_id(resident_client) is None


def test_change_password_needs_login(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_change_password_then_log_in_with_the_new_one(client):
    resident = ResidentFactory(phone="13900000002")
    client.force_login(resident.user)
    assert client.get("/accounts/password/").status_code == 200
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    assert client.get("/accounts/password/done/").status_code == 200
    client.post(LOGOUT)
    response = client.post(LOGIN, {"username": "13900000002", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert session_user_id(client) == str(resident.user.pk)


# --- activation of a staff-registered resident ------------------------------------------


@pytest.fixture
def staff_registered(db):
    household = HouseholdFactory(unit="1", room="501")
    return ResidentFactory(
        phone="13700000009",
        name="买买提·艾力",
        household=household,
        user=None,
        consent_version="",
        consent_at=None,
    )


def test_activation_page_asks_for_the_phone_and_the_printed_code(client):
    response = client.get(ACTIVATE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body and 'name="code"' in body and 'name="password1"' in body
    assert 'autocomplete="one-time-code"' in body


def test_staff_registered_resident_activates_by_text_and_is_logged_in(client, staff_registered):
    prove_phone(client, "13700000009")
    response = client.post(
        CONTINUE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "consent": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    staff_registered.refresh_from_db()
    assert staff_registered.user.username == "13700000009"
    assert staff_registered.user.check_password(NEW_PASSWORD)
    assert staff_registered.consent_version == settings.PRIVACY_POLICY_VERSION
    assert staff_registered.consent_at is not None
    assert session_user_id(client) == str(staff_registered.user.pk)
    client.post(LOGOUT)
    response = client.post(LOGIN, {"username": "13700000009", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_activation_needs_consent(client, staff_registered):
    prove_phone(client, "13700000009")
    response = client.post(CONTINUE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "请阅读并勾选同意《隐私说明》" in response.content.decode()
    staff_registered.refresh_from_db()
    assert staff_registered.user is None


def test_activating_twice_is_refused(staff_registered):
    kwargs = {"phone": staff_registered.phone, "password": NEW_PASSWORD, "consent": True}
    services.activate_resident(**kwargs)
    with pytest.raises(ValidationError) as error:
        services.activate_resident(**kwargs)
    assert error.value.code == "not_pending"


def test_privacy_notice_is_public_and_shows_the_policy_version(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    body = response.content.decode()
    assert settings.PRIVACY_POLICY_VERSION in body
    assert "隐私说明" in body


def test_logged_in_resident_is_sent_from_activation_to_me(resident_client):
    response = resident_client.get(ACTIVATE)
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_password_change_done_needs_login(client):
    response = client.get("/accounts/password/done/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logged_in_resident_is_sent_from_login_to_me(resident_client):
    response = resident_client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == "/me/"
