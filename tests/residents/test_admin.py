"""Back office for residents: search, bad input, protection, anonymisation, Excel import."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tablib import Dataset

from residents.models import Household, Resident
from residents.resources import HouseholdResource, ResidentResource
from residents.services import anonymise_resident, change_phone, delete_resident, reset_login
from tests.accounts import prove_phone
from tests.factories import (
    PASSWORD,
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    SignUpFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

CHANGELIST = reverse("admin:residents_resident_changelist")
ADD = reverse("admin:residents_resident_add")
IMPORT = reverse("admin:residents_resident_import")
PROCESS_IMPORT = reverse("admin:residents_resident_process_import")
HEADERS = ["姓名", "手机号码", "楼号", "单元", "门牌号", "出生年份", "党员"]


def _change(resident):
    return reverse("admin:residents_resident_change", args=[resident.pk])


def _resident_form(**overrides):
    data = {
        "name": "赵玉兰",
        "phone": "13900000001",
        "email": "",
        "household": "",
        "birth_year": "1952",
        "is_verified": "on",
    }
    data.update(overrides)
    return data


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, url, rows):
    upload = SimpleUploadedFile(
        "居民.xlsx",
        _xlsx(rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return client.post(url, {"resource": "0", "format": "0", "import_file": upload})


def _confirm(client, url, response):
    confirm = response.context["confirm_form"]
    return client.post(url, {name: confirm.initial[name] for name in confirm.fields}, follow=True)


# --- search and list ----------------------------------------------------------------


def test_resident_search_finds_by_phone_number_and_by_name(admin_client):
    wang = ResidentFactory(name="王秀英", phone="13912345678", user=None)
    li = ResidentFactory(name="李建国", phone="13787654321", user=None)

    by_phone = admin_client.get(CHANGELIST, {"q": "13912345678"})
    by_name = admin_client.get(CHANGELIST, {"q": "李建国"})

    assert list(by_phone.context["cl"].result_list) == [wang]
    assert list(by_name.context["cl"].result_list) == [li]


def test_resident_list_filters_party_members_and_buildings(admin_client):
    building = BuildingFactory(number="3号楼")
    member = ResidentFactory(is_party_member=True, household__building=building, user=None)
    ResidentFactory(is_party_member=False, household__building=building, user=None)
    ResidentFactory(is_party_member=True, user=None)

    response = admin_client.get(
        CHANGELIST, {"is_party_member__exact": "1", "household__building__id__exact": building.pk}
    )

    assert list(response.context["cl"].result_list) == [member]


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["1390000000", "139000000012", "12900000001", "2390000000a"])
def test_resident_form_refuses_a_phone_that_is_not_a_mainland_mobile_number(admin_client, phone):
    response = admin_client.post(ADD, _resident_form(phone=phone))

    assert response.status_code == 200
    assert "请输入11位手机号码，以1开头，第二位为3至9。" in response.content.decode()
    assert not Resident.objects.exists()


def test_resident_form_refuses_a_phone_registered_to_another_resident(admin_client):
    ResidentFactory(phone="13900000001", user=None)

    response = admin_client.post(ADD, _resident_form(phone="13900000001"))

    assert response.status_code == 200
    assert "手机号码 13900000001 已登记给另一位居民。" in response.content.decode()
    assert Resident.objects.count() == 1


def test_resident_form_refuses_an_implausible_birth_year(admin_client):
    response = admin_client.post(ADD, _resident_form(birth_year="1800"))

    assert response.status_code == 200
    assert "出生年份应在1900年至今年之间。" in response.content.decode()
    assert not Resident.objects.exists()


def test_staff_register_a_resident_without_a_smartphone(admin_client):
    household = HouseholdFactory()

    response = admin_client.post(ADD, _resident_form(household=household.pk, phone=""))

    assert response.status_code == 302
    resident = Resident.objects.get()
    assert (resident.name, resident.phone, resident.household) == ("赵玉兰", "", household)
    assert resident.user is None


# --- deletion and anonymisation -----------------------------------------------------


def test_a_resident_with_sign_ups_cannot_be_deleted(admin_client):
    signup = SignUpFactory(resident__user=None)
    url = reverse("admin:residents_resident_delete", args=[signup.resident.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 200
    assert Resident.objects.filter(pk=signup.resident.pk).exists()
    assert response.context["protected"]


def test_a_resident_without_sign_ups_can_be_deleted(admin_client):
    resident = ResidentFactory(user=None)
    url = reverse("admin:residents_resident_delete", args=[resident.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Resident.objects.filter(pk=resident.pk).exists()


def test_anonymised_residents_show_no_personal_data_and_cannot_be_changed(admin_client):
    resident = ResidentFactory(name="王秀英", phone="13912345678", user=None, birth_year=1950)
    anonymise_resident(resident=resident)

    listing = admin_client.get(CHANGELIST).content.decode()
    page = admin_client.get(_change(resident))
    post = admin_client.post(_change(resident), _resident_form(name="王秀英"))

    assert "（已删除个人数据）" in listing
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "1950" not in page.content.decode()
    assert post.status_code == 403


def test_anonymise_action_asks_first_then_deletes_the_personal_data(admin_client):
    resident = ResidentFactory(name="王秀英", phone="13912345678")
    data = {"action": "anonymise", "_selected_action": [resident.pk]}

    confirmation = admin_client.post(CHANGELIST, data)
    resident.refresh_from_db()
    assert confirmation.status_code == 200
    assert "确认删除个人数据" in confirmation.content.decode()
    assert not resident.is_anonymised

    done = admin_client.post(CHANGELIST, {**data, "post": "yes"}, follow=True)
    resident.refresh_from_db()
    assert "已删除 1 位居民的个人数据。" in done.content.decode()
    assert resident.is_anonymised
    assert resident.phone == ""
    assert resident.user is None


def test_autocomplete_leaves_out_anonymised_residents(admin_client):
    kept = ResidentFactory(name="王秀英", user=None)
    gone = ResidentFactory(name="王桂兰", user=None)
    anonymise_resident(resident=gone)

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "activities", "model_name": "signup", "field_name": "resident", "term": ""},
    )

    assert [r["id"] for r in response.json()["results"]] == [str(kept.pk)]


# --- Excel import and export --------------------------------------------------------


def test_import_of_residents_shows_a_preview_then_creates_them_and_their_households(
    admin_client,
):
    building = BuildingFactory(number="3号楼")
    rows = [
        HEADERS,
        ["张桂芳", 13900000011, "3", "2", "0502", 1951, "是"],
        ["张小明", "", "3号楼", "2", "0502", 2016, "否"],
    ]

    preview = _upload(admin_client, IMPORT, rows)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert not Resident.objects.exists()

    done = _confirm(admin_client, PROCESS_IMPORT, preview)

    assert done.status_code == 200
    household = Household.objects.get(building=building, unit="2", room="0502")
    people = {r.name: r for r in Resident.objects.all()}
    assert set(people) == {"张桂芳", "张小明"}
    assert people["张桂芳"].phone == "13900000011"
    assert people["张桂芳"].is_party_member is True
    assert people["张小明"].birth_year == 2016
    assert {r.household for r in people.values()} == {household}


def test_import_reports_every_bad_row_by_number_and_writes_nothing(admin_client):
    BuildingFactory(number="3号楼")
    rows = [
        HEADERS,
        ["张桂芳", "13900000011", "3号楼", "2", "0502", 1951, "是"],
        ["李四", "12345", "3号楼", "2", "0601", 1960, "否"],
        ["王五", "13900000013", "9号楼", "1", "0101", 1970, "否"],
        ["赵六", "13900000014", "3号楼", "1", "0102", 1800, "否"],
    ]
    households_before = Household.objects.count()

    response = _upload(admin_client, IMPORT, rows)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    result = response.context["result"]
    # Numbered as Excel numbers them: the header is row 1, 张桂芳 row 2.
    assert [row.number for row in result.invalid_rows] == [3, 4, 5]
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert "手机号码" in errors[3]
    assert errors[4]["楼号"] == ["找不到楼栋“9号楼”，请先在后台登记该楼栋。"]
    assert "出生年份" in errors[5]
    page = response.content.decode()
    assert "请输入11位手机号码，以1开头，第二位为3至9。" in page
    assert "找不到楼栋“9号楼”" in page
    assert not Resident.objects.exists()
    assert Household.objects.count() == households_before


def test_import_refuses_a_phone_number_twice_in_the_same_file(admin_client):
    BuildingFactory(number="3号楼")
    rows = [
        HEADERS,
        ["张桂芳", "13900000011", "3号楼", "2", "0502", 1951, "是"],
        ["张桂兰", "13900000011", "3号楼", "2", "0503", 1953, "否"],
    ]

    response = _upload(admin_client, IMPORT, rows)

    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 3
    assert invalid.error_dict["手机号码"] == ["与第2行的手机号码重复。"]
    assert not Resident.objects.exists()


def test_resident_import_writes_nothing_when_a_row_fails_even_without_a_dry_run():
    BuildingFactory(number="3号楼")
    dataset = Dataset(headers=HEADERS)
    dataset.append(["张桂芳", "13900000011", "3号楼", "2", "0502", 1951, "是"])
    dataset.append(["李四", "139", "3号楼", "2", "0601", 1960, "否"])

    result = ResidentResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert not Resident.objects.exists()
    assert not Household.objects.exists()


def test_import_updates_a_resident_found_by_phone_number(admin_client):
    resident = ResidentFactory(name="张桂芳", phone="13900000011", is_party_member=False, user=None)
    BuildingFactory(number="3号楼")
    rows = [HEADERS, ["张桂芳", "139 0000 0011", "3号楼", "2", "0502", 1951, "是"]]

    _confirm(admin_client, PROCESS_IMPORT, _upload(admin_client, IMPORT, rows))

    resident.refresh_from_db()
    assert Resident.objects.count() == 1
    assert resident.is_party_member is True
    assert str(resident.household) == "3号楼2单元0502"


def test_import_of_households(admin_client):
    building = BuildingFactory(number="5号楼")
    rows = [
        ["楼号", "单元", "门牌号", "户内人数", "备注"],
        ["5", "1", "0101", 4, "独居老人子女同住"],
    ]
    url = reverse("admin:residents_household_import")

    preview = _upload(admin_client, url, rows)
    _confirm(admin_client, reverse("admin:residents_household_process_import"), preview)

    household = Household.objects.get(building=building, unit="1", room="0101")
    assert household.size == 4
    assert household.note == "独居老人子女同住"


def test_household_import_reports_an_unknown_building_and_a_bad_size(admin_client):
    BuildingFactory(number="5号楼")
    dataset = Dataset(headers=["楼号", "单元", "门牌号", "户内人数"])
    dataset.append(["7号楼", "1", "0101", 3])
    dataset.append(["5号楼", "1", "0102", 0])

    result = HouseholdResource().import_data(dataset, dry_run=True)

    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert errors[2]["楼号"] == ["找不到楼栋“7号楼”，请先在后台登记该楼栋。"]
    assert errors[3]["户内人数"] == ["户内人数应为1至50之间的整数。"]
    assert not Household.objects.exists()


def test_export_of_residents_leaves_out_those_who_deleted_their_data():
    kept = ResidentFactory(name="王秀英", phone="13912345678", household__unit="2", user=None)
    gone = ResidentFactory(name="王桂兰", user=None)
    anonymise_resident(resident=gone)

    dataset = ResidentResource().export(queryset=Resident.objects.all())

    assert dataset.headers == [
        "姓名",
        "手机号码",
        "小区",
        "楼号",
        "单元",
        "门牌号",
        "出生年份",
        "党员",
    ]
    assert [row[0] for row in dataset] == ["王秀英"]
    assert dataset[0][1] == "13912345678"
    assert dataset[0][3] == kept.household.building.number


def test_staff_can_export_residents_to_excel(staff_client):
    ResidentFactory(name="王秀英", user=None)
    url = reverse("admin:residents_resident_export")

    response = staff_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            **{f"residentresource_{name}": "on" for name in ("name", "phone", "building", "room")},
        },
    )

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert "王秀英" in values


# --- roles --------------------------------------------------------------------------


def test_secretary_reads_residents_but_cannot_add_change_import_or_export(secretary_client):
    resident = ResidentFactory(name="王秀英", user=None)

    assert secretary_client.get(CHANGELIST).status_code == 200
    page = secretary_client.get(_change(resident))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert secretary_client.get(ADD).status_code == 403
    assert secretary_client.post(_change(resident), _resident_form(name="改名")).status_code == 403
    assert secretary_client.get(IMPORT).status_code == 403
    assert secretary_client.get(reverse("admin:residents_resident_export")).status_code == 403
    resident.refresh_from_db()
    assert resident.name == "王秀英"


def test_staff_can_open_the_import_page(staff_client):
    response = staff_client.get(IMPORT)

    assert response.status_code == 200
    assert "手机号码" in response.content.decode()


# --- deleting a resident deletes their login ----------------------------------------


def _can_log_in(phone, password=PASSWORD):
    from django.test import Client

    response = Client().post(reverse("residents:login"), {"username": phone, "password": password})
    return response.status_code == 302


def test_deleting_a_resident_deletes_their_login_so_the_number_can_register_again(
    staff_client,
):
    resident = ResidentFactory(phone="13844445555")
    url = reverse("admin:residents_resident_delete", args=[resident.pk])

    response = staff_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Resident.objects.filter(pk=resident.pk).exists()
    assert not User.objects.filter(username="13844445555").exists()
    assert not _can_log_in("13844445555")


def test_deleting_residents_from_the_list_deletes_their_logins(staff_client):
    first, second = ResidentFactory(), ResidentFactory(user=None)
    data = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}

    response = staff_client.post(CHANGELIST, {**data, "post": "yes"})

    assert response.status_code == 302
    assert not Resident.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert not User.objects.filter(pk=first.user_id).exists()


def test_delete_resident_refuses_a_resident_with_sign_ups_and_keeps_the_login():
    signup = SignUpFactory()
    resident = signup.resident

    with pytest.raises(ValidationError) as refused:
        delete_resident(resident=resident)

    assert refused.value.code == "has_signups"
    assert Resident.objects.filter(pk=resident.pk).exists()
    assert User.objects.filter(pk=resident.user_id).exists()


# --- changing a phone number changes the login name ---------------------------------


def test_changing_a_residents_phone_changes_their_login_name(staff_client):
    resident = ResidentFactory(phone="13811112222", household=HouseholdFactory())
    data = _resident_form(name=resident.name, phone="13933334444", household=resident.household_id)

    response = staff_client.post(_change(resident), data)

    assert response.status_code == 302
    resident.refresh_from_db()
    resident.user.refresh_from_db()
    assert resident.phone == resident.user.username == "13933334444"
    assert _can_log_in("13933334444")
    assert not _can_log_in("13811112222")


def test_a_phone_number_that_is_another_login_is_refused_on_the_form(staff_client):
    UserFactory(username="13933334444")
    resident = ResidentFactory(phone="13811112222", name="王秀英")
    data = _resident_form(name="王秀英改", phone="13933334444", household=resident.household_id)

    response = staff_client.post(_change(resident), data)

    assert response.status_code == 200
    assert (
        "手机号码 13933334444 已是另一个登录账号的登录名，不能使用。" in response.content.decode()
    )
    resident.refresh_from_db()
    resident.user.refresh_from_db()
    assert (resident.name, resident.phone, resident.user.username) == (
        "王秀英",
        "13811112222",
        "13811112222",
    )


def test_the_phone_of_a_resident_with_a_login_cannot_be_cleared(staff_client):
    resident = ResidentFactory(phone="13811112222")
    data = _resident_form(name=resident.name, phone="", household=resident.household_id)

    response = staff_client.post(_change(resident), data)

    assert response.status_code == 200
    assert "该居民有登录账号，手机号码就是登录名，不能清空" in response.content.decode()
    resident.refresh_from_db()
    assert resident.phone == "13811112222"


def test_a_number_taken_while_the_form_was_saved_writes_nothing(staff_client, monkeypatch):
    # Another registration takes the number between the form's check and the save.
    import residents.forms_admin

    monkeypatch.setattr(residents.forms_admin, "phone_change_refusal", lambda **kw: None)
    UserFactory(username="13933334444")
    resident = ResidentFactory(phone="13811112222", name="王秀英")
    data = _resident_form(name="王秀英改", phone="13933334444", household=resident.household_id)

    response = staff_client.post(_change(resident), data, follow=True)

    assert response.status_code == 200
    assert "手机号码 13933334444 已是另一个登录账号的登录名，不能使用。" in [
        str(m) for m in response.context["messages"]
    ]
    resident.refresh_from_db()
    assert (resident.name, resident.phone) == ("王秀英", "13811112222")


def test_change_phone_changes_a_resident_without_a_login_and_refuses_a_taken_number():
    resident = ResidentFactory(phone="13811112222", user=None)
    ResidentFactory(phone="13955556666", user=None)

    change_phone(resident=resident, phone="13933334444")
    with pytest.raises(ValidationError) as refused:
        change_phone(resident=resident, phone="13955556666")

    resident.refresh_from_db()
    assert resident.phone == "13933334444"
    assert refused.value.error_dict["phone"][0].code == "phone_taken"


# --- resetting a forgotten password ---------------------------------------------------


def _reset(client, residents, **extra):
    data = {"action": "reset_password", "_selected_action": [r.pk for r in residents], **extra}
    return client.post(CHANGELIST, data, follow="post" in extra)


def test_reset_password_asks_first_then_the_resident_activates_again_with_a_new_password(
    staff_client,
):
    from django.test import Client

    household = HouseholdFactory(unit="2", room="0502")
    resident = ResidentFactory(name="王秀英", phone="13811112222", household=household)
    signup = SignUpFactory(resident=resident, signed_up_by=resident.user)
    old_user_id = resident.user_id

    confirmation = _reset(staff_client, [resident])
    assert confirmation.status_code == 200
    assert "确认重置登录密码" in confirmation.content.decode()
    assert User.objects.filter(pk=old_user_id).exists()

    done = _reset(staff_client, [resident], post="yes")
    message = [str(m) for m in done.context["messages"]][0]
    assert "已重置 王秀英 的登录密码" in message
    assert "/accounts/register/" in message
    assert "短信验证码" in message
    resident.refresh_from_db()
    signup.refresh_from_db()
    assert resident.user is None
    assert not User.objects.filter(pk=old_user_id).exists()
    assert signup.resident == resident and signup.status == "confirmed"
    assert not _can_log_in("13811112222")

    again = Client()
    prove_phone(again, "13811112222")
    activated = again.post(
        reverse("residents:continue"),
        {"password1": "Xin-mima-2026", "password2": "Xin-mima-2026", "consent": "on"},
    )
    assert activated.status_code == 302
    resident.refresh_from_db()
    assert resident.user is not None
    assert _can_log_in("13811112222", "Xin-mima-2026")


def test_reset_login_refuses_a_resident_without_a_login_or_a_staff_login():
    without = ResidentFactory(user=None)
    staff_login = ResidentFactory(user__is_staff=True)

    with pytest.raises(ValidationError) as no_login:
        reset_login(resident=without)
    with pytest.raises(ValidationError) as staff:
        reset_login(resident=staff_login)

    assert no_login.value.code == "no_login"
    assert staff.value.code == "staff_login"
    assert User.objects.filter(pk=staff_login.user_id).exists()


def test_reset_login_clears_a_lockout_from_wrong_passwords():
    from axes.models import AccessAttempt

    resident = ResidentFactory(phone="13811112222")
    AccessAttempt.objects.create(
        username="13811112222",
        ip_address="127.0.0.1",
        user_agent="",
        failures_since_start=10,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )

    reset_login(resident=resident)

    assert not AccessAttempt.objects.filter(username="13811112222").exists()


def test_secretary_cannot_reset_a_password(secretary_client):
    resident = ResidentFactory()

    response = _reset(secretary_client, [resident], post="yes")

    resident.refresh_from_db()
    assert resident.user is not None
    assert "重置登录密码" not in response.content.decode()
