"""Residents report needs (需求清单) for staff to triage."""

import re

import pytest
from django.core.exceptions import ValidationError

from activities.models import Need
from activities.services import submit_need
from residents.services import anonymise_resident
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/needs/new/"


def need_data(**overrides):
    data = {
        "title": "3号楼2单元楼道灯坏了",
        "description": "晚上老人上下楼看不见。",
        "location": "3号楼2单元",
        "urgency": "urgent",
        "category": "living",
    }
    data.update(overrides)
    return data


def test_need_form_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/needs/new/"
    client.post(URL, need_data())
    assert not Need.objects.exists()


def test_need_form_offers_urgency_as_radio_buttons(resident_client):
    response = resident_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for label in ["不急", "一般", "紧急"]:
        assert label in body
    assert len(re.findall(r'<input type="radio"[^>]* name="urgency"', body)) == 3


def test_resident_reports_a_need_and_sees_it_on_me(resident_client):
    resident = resident_client.resident
    response = resident_client.post(URL, need_data())
    assert response.status_code == 302
    assert response["Location"] == "/me/#needs"
    need = Need.objects.get()
    assert need.resident == resident
    assert need.complex == resident.household.building.complex
    assert (need.urgency, need.category, need.status) == ("urgent", "living", Need.Status.NEW)
    body = resident_client.get("/me/").content.decode()
    assert "3号楼2单元楼道灯坏了" in body and "待处理" in body


@pytest.mark.parametrize(
    "overrides", [{"title": ""}, {"urgency": "tomorrow"}, {"category": "nonsense"}]
)
def test_bad_need_is_refused_with_a_message(resident_client, overrides):
    response = resident_client.post(URL, need_data(**overrides))
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not Need.objects.exists()


def test_a_login_without_a_resident_record_gets_a_friendly_page(client):
    client.force_login(UserFactory())
    response = client.post(URL, need_data())
    assert response.status_code == 200
    assert "没有居民资料" in response.content.decode()
    assert not Need.objects.exists()


def test_submit_need_refuses_an_anonymised_resident():
    resident = ResidentFactory()
    anonymise_resident(resident=resident)
    with pytest.raises(ValidationError) as error:
        submit_need(resident=resident, title="路灯坏了")
    assert error.value.code == "anonymised"


def test_submit_need_refuses_an_unknown_urgency():
    with pytest.raises(ValidationError) as error:
        submit_need(resident=ResidentFactory(), title="路灯坏了", urgency="whenever")
    assert "urgency" in error.value.error_dict
    assert not Need.objects.exists()
