"""Regression tests for review items 2 (guardian powers only after staff verified the address),
4 (deleting one's data leaves nothing that identifies the person) and 8 (activation: see
tests/residents/test_phone_codes.py)."""

import datetime as dt
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity, Need, SignUp
from activities.privacy import ANONYMISED_NEED_TITLE
from partners.models import Lead
from partners.services import submit_lead
from residents import services
from residents.models import Resident
from summary.report import monthly_summary
from tests.accounts import register
from tests.factories import (
    PASSWORD,
    ActivityFactory,
    HouseholdFactory,
    ResidentFactory,
    SignUpFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

ME = reverse("residents:me")
HOUSEHOLD = reverse("residents:household")
EXPORT = reverse("residents:export")
VERIFY_HINT = "工作人员核实您的住址后，您可以为家中没有手机的家人报名。"


# --- item 2: guardian powers only for residents whom staff verified ---------------------


@pytest.fixture
def family():
    """A verified parent, their child without a login (signed up, and attended a past
    activity), at 2单元302."""
    parent = ResidentFactory(household=HouseholdFactory(unit="2", room="302"), is_verified=True)
    child = ResidentFactory(
        household=parent.household, user=None, phone="", name="张小明", birth_year=2016
    )
    upcoming = activity_services.sign_up(
        activity=ActivityFactory(), resident=child, by=parent.user
    ).signup
    starts = timezone.now() - dt.timedelta(days=3)
    past = SignUpFactory(
        resident=child,
        attended=True,
        checked_in_at=starts,
        activity=ActivityFactory(
            starts_at=starts, ends_at=starts + dt.timedelta(hours=2), status=Activity.Status.HELD
        ),
    )
    return parent, child, upcoming, past


def register_at(client, household, phone="13712345678"):
    response = register(
        client,
        phone,
        household.building,
        name="李四",
        unit=household.unit,
        room=household.room,
        birth_year=None,
    )
    assert response.status_code == 302
    return Resident.objects.get(phone=phone)


def test_a_stranger_registering_at_a_familys_address_gets_no_power_over_their_child(client, family):
    parent, child, upcoming, past = family
    stranger = register_at(client, parent.household)
    assert stranger.household_id == parent.household_id
    assert not stranger.is_verified

    me = client.get(ME).content.decode()
    household = client.get(HOUSEHOLD).content.decode()
    export = client.get(EXPORT).content.decode()
    for page in (me, household, export):
        assert "张小明" not in page
        assert upcoming.check_in_code not in page and past.check_in_code not in page
    assert "张**" not in household  # until staff verify, the household's members are unseen
    assert [m for m in json.loads(export)["household"]["members"] if not m["is_me"]] == []

    activity = upcoming.activity
    cancel = client.post(reverse("activities:cancel", args=[activity.pk]), {"resident": child.pk})
    sign_up = client.post(
        reverse("activities:sign_up", args=[ActivityFactory().pk]), {"resident": child.pk}
    )
    rate = client.post(reverse("activities:feedback", args=[past.pk]), {"rating": "1"})
    assert (cancel.status_code, sign_up.status_code, rate.status_code) == (403, 403, 404)
    upcoming.refresh_from_db()
    assert upcoming.status == SignUp.Status.CONFIRMED
    assert SignUp.objects.filter(resident=child).count() == 2
    assert not hasattr(past, "feedback") or past.feedback is None


def test_the_activity_page_offers_an_unverified_resident_no_sign_up_for_household_members(
    client, family
):
    parent, child, upcoming, _past = family
    parent.is_verified = False
    parent.save(update_fields=["is_verified"])
    client.force_login(parent.user)
    page = client.get(reverse("activities:detail", args=[ActivityFactory().pk]))
    assert "张小明" not in page.content.decode()


def test_a_verified_parent_still_sees_signs_up_and_cancels_for_their_child(client, family):
    parent, child, upcoming, past = family
    client.force_login(parent.user)
    me = client.get(ME).content.decode()
    assert "张小明" in me and upcoming.check_in_code in me
    assert VERIFY_HINT not in client.get(HOUSEHOLD).content.decode()
    other = ActivityFactory()
    client.post(reverse("activities:sign_up", args=[other.pk]), {"resident": child.pk})
    assert SignUp.objects.filter(activity=other, resident=child).exists()
    client.post(reverse("activities:cancel", args=[upcoming.activity_id]), {"resident": child.pk})
    upcoming.refresh_from_db()
    assert upcoming.status == SignUp.Status.CANCELLED


def test_the_household_page_tells_an_unverified_resident_how_to_act_for_family(client):
    resident = ResidentFactory(is_verified=False)
    client.force_login(resident.user)
    assert VERIFY_HINT in client.get(HOUSEHOLD).content.decode()


# --- item 4: deleting one's data ---------------------------------------------------------

NAME = "赵铁柱"
PHONE = "13866667777"


def _rows_mentioning(*needles):
    """(model, row) of every row in every table whose values contain one of the needles."""
    found = []
    for model in apps.get_models():
        for row in model._base_manager.values():
            text = json.dumps(row, default=str, ensure_ascii=False)
            if any(needle in text for needle in needles):
                found.append((model._meta.label, row))
    return found


def test_deleting_my_data_leaves_no_row_with_my_name_or_phone(client):
    me = ResidentFactory(name=NAME, phone=PHONE, is_party_member=True)
    assert (
        client.post("/accounts/login/", {"username": PHONE, "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    client.post("/accounts/login/", {"username": PHONE, "password": "wrong-pass"})
    new_need = activity_services.submit_need(
        resident=me,
        title=f"{NAME}家 {PHONE} 漏水",
        description=f"我是{NAME}",
        location="3号楼2单元301",
    )
    handled = activity_services.submit_need(resident=me, title=f"{NAME}家楼道灯坏了")
    handled.status = Need.Status.ACCEPTED
    handled.staff_reply = f"{NAME}您好，已派人维修"
    handled.save()
    lead = submit_lead(
        resident=me,
        organisation="某医院",
        offer=f"请找{NAME}",
        relationship=f"我是{NAME}的儿子",
        contact=f"{NAME} {PHONE}",
    )
    signup = SignUpFactory(resident=me)
    staff = StaffUserFactory()
    for obj in (me, signup, new_need, lead):
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["name"]}}]),
        )
    assert _rows_mentioning(NAME, PHONE)

    services.anonymise_resident(resident=me)

    assert _rows_mentioning(NAME, PHONE) == []
    new_need.refresh_from_db()
    handled.refresh_from_db()
    lead.refresh_from_db()
    # Rows stay (the monthly counts read them); what tied them to the person is gone.
    assert (new_need.title, new_need.description, new_need.location, new_need.resident) == (
        ANONYMISED_NEED_TITLE,
        "",
        "",
        None,
    )
    assert handled.title == "已注销居民家楼道灯坏了"  # staff still know what is being fixed
    assert (lead.organisation, lead.relationship, lead.contact, lead.offered_by) == (
        "某医院",
        "",
        "",
        None,
    )
    assert Need.history.filter(resident_id__isnull=False).count() == 0
    assert Lead.history.filter(offered_by_id__isnull=False).count() == 0


def test_deleting_my_data_redacts_a_full_length_title_without_overflowing_it():
    me = ResidentFactory(name="王芳", phone=PHONE)
    title = ("王芳" + "楼道漏水" * 50)[:200]
    need = activity_services.submit_need(resident=me, title=title)
    Need.objects.filter(pk=need.pk).update(status=Need.Status.ACCEPTED)

    services.anonymise_resident(resident=me)

    need.refresh_from_db()
    assert need.title == ("已注销居民" + title[2:])[:200]
    assert "王芳" not in need.title


def test_deleting_my_data_does_not_change_a_past_months_summary():
    now = timezone.now()
    first_of_month = timezone.localdate().replace(day=1)
    past_month = (first_of_month - dt.timedelta(days=40)).replace(day=1)
    moment = dt.datetime(
        past_month.year, past_month.month, 10, 9, tzinfo=timezone.get_current_timezone()
    )
    me = ResidentFactory(name=NAME, phone=PHONE, is_party_member=True)
    neighbour = ResidentFactory(household=me.household)
    activity = ActivityFactory(
        starts_at=moment, ends_at=moment + dt.timedelta(hours=2), status=Activity.Status.HELD
    )
    for person in (me, neighbour, ResidentFactory(is_party_member=True)):
        SignUpFactory(activity=activity, resident=person, attended=True, checked_in_at=moment)
    need = activity_services.submit_need(resident=me, title="路灯坏了")
    lead = submit_lead(resident=me, organisation="某医院", offer="义诊")
    Need.objects.filter(pk=need.pk).update(created_at=moment)
    Lead.objects.filter(pk=lead.pk).update(created_at=moment)
    before = monthly_summary(year=past_month.year, month=past_month.month, now=now)

    services.anonymise_resident(resident=me)

    after = monthly_summary(year=past_month.year, month=past_month.month, now=now)
    assert after == before
    figures = (
        before.needs_received.value,
        before.leads_received.value,
        before.residents_reached.value,
        before.households_reached.value,
        before.party_members.value,
    )
    assert figures == (1, 1, 3, 2, 2)
