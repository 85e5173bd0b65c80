"""Forms residents fill in on phones: the digits keyboard for phone numbers, a
show-password button, and required messages that name the field; the community's
phone, address and hours on the pages where a resident looks for help."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_login_field_opens_the_digits_keyboard(client):
    html = client.get(reverse("residents:login")).content.decode()
    assert 'name="username"' in html
    field = html[html.index('name="username"') - 300 : html.index('name="username"') + 300]
    assert 'inputmode="numeric"' in field
    assert 'autocomplete="username"' in field


def test_the_registration_phone_field_opens_the_digits_keyboard(client):
    html = client.get(reverse("residents:register")).content.decode()
    field = html[html.index('name="phone"') - 300 : html.index('name="phone"') + 300]
    assert 'inputmode="numeric"' in field and 'autocomplete="tel"' in field


def test_password_fields_get_a_show_password_button(client):
    html = client.get(reverse("residents:activate")).content.decode()
    assert html.count("data-password-toggle") == 2
    assert 'data-show-text="显示密码"' in html


def test_an_empty_login_says_which_field_is_missing(client):
    response = client.post(reverse("residents:login"), {"username": "", "password": ""})
    html = response.content.decode()
    assert "请填写手机号码。" in html
    assert "请填写密码。" in html
    assert "这个字段是必填项" not in html


def test_an_empty_registration_names_each_missing_field(client):
    from tests.accounts import prove_phone

    html = client.post(reverse("residents:register"), {}).content.decode()
    assert "请填写手机号码。" in html
    prove_phone(client, "13912345678")
    response = client.post(reverse("residents:continue"), {})
    html = response.content.decode()
    for message in ("请填写姓名。", "请设置密码。", "请再次输入密码。", "请填写门牌号。"):
        assert message in html, message
    assert "这个字段是必填项" not in html


@pytest.mark.parametrize("name", ["home", "residents:login"])
def test_the_community_phone_is_a_tel_link(client, settings, name):
    settings.COMMUNITY_PHONE = "0931-1234567"
    settings.COMMUNITY_ADDRESS = "铁建丽苑小区党员阵地"
    settings.COMMUNITY_HOURS = "周一至周五 9:00–17:00"
    html = client.get(reverse(name)).content.decode()
    assert '<a class="contact-phone" href="tel:09311234567">0931-1234567</a>' in html
    assert "铁建丽苑小区党员阵地" in html
    assert "周一至周五 9:00–17:00" in html


def test_error_pages_and_posters_give_the_phone(client, settings):
    from tests.factories import ActivityFactory

    settings.COMMUNITY_PHONE = "0931-1234567"
    html = client.get("/no-such-page/").content.decode()
    assert 'href="tel:09311234567"' in html
    activity = ActivityFactory()
    poster = client.get(reverse("activities:poster", args=[activity.pk])).content.decode()
    assert "0931-1234567" in poster


def test_without_a_phone_no_empty_tel_link(client, settings):
    settings.COMMUNITY_PHONE = ""
    html = client.get(reverse("residents:login")).content.decode()
    assert 'href="tel:' not in html
    assert "收不到短信？请到社区找工作人员帮您。" in html
