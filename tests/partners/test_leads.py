"""Residents answer the recruitment call (招募令) with a lead (资源线索)."""

import pytest
from django.core.exceptions import ValidationError

from partners.models import Lead
from partners.services import submit_lead
from residents.services import anonymise_resident
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/leads/new/"


def test_lead_form_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/leads/new/"
    client.post(URL, {"organisation": "蓝天救援队", "offer": "微型救援站"})
    assert not Lead.objects.exists()


def test_lead_form_shows_the_recruitment_call(resident_client):
    response = resident_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "招募令" in body
    assert 'name="organisation"' in body and "form-control-lg" in body


def test_resident_submits_a_lead_and_sees_it_on_me(resident_client):
    response = resident_client.post(
        URL,
        {
            "organisation": " 蓝天救援队 ",
            "offer": "我在救援队工作，可以请支部来小区共建微型救援站。",
            "relationship": "我在该单位工作",
            "contact": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/me/#leads"
    lead = Lead.objects.get()
    assert lead.organisation == "蓝天救援队"
    assert lead.offered_by == resident_client.resident
    assert lead.stage == Lead.Stage.NEW
    body = resident_client.get("/me/").content.decode()
    assert "谢谢您！“蓝天救援队”这条线索已提交" in body
    assert "新线索" in body


def test_lead_without_organisation_or_offer_is_refused(resident_client):
    response = resident_client.post(URL, {"organisation": "", "offer": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写单位名称。" in body
    assert "请写下这个单位可以为小区提供什么。" in body
    assert not Lead.objects.exists()


def test_a_login_without_a_resident_record_gets_a_friendly_page(client):
    client.force_login(UserFactory())
    response = client.post(URL, {"organisation": "某单位", "offer": "某资源"})
    assert response.status_code == 200
    assert "没有居民资料" in response.content.decode()
    assert not Lead.objects.exists()


def test_submit_lead_refuses_an_anonymised_resident():
    resident = ResidentFactory()
    anonymise_resident(resident=resident)
    with pytest.raises(ValidationError) as error:
        submit_lead(resident=resident, organisation="某单位", offer="某资源")
    assert error.value.code == "anonymised"
    assert not Lead.objects.exists()
