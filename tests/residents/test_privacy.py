"""A resident's own data: download it, delete it (anonymised, past totals kept), and no
other resident's full name or phone on their pages."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity, Feedback, SignUp
from residents import services
from residents.models import Resident
from tests.factories import (
    PASSWORD,
    ActivityFactory,
    FeedbackFactory,
    LeadFactory,
    NeedFactory,
    ResidentFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

EXPORT = "/me/export/"
DELETE = "/me/delete/"


def past_activity(**kwargs):
    starts = timezone.now() - dt.timedelta(days=40)
    return ActivityFactory(
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        status=Activity.Status.HELD,
        **kwargs,
    )


def attended(resident, activity=None):
    return SignUpFactory(
        resident=resident,
        activity=activity or past_activity(),
        attended=True,
        checked_in_at=timezone.now() - dt.timedelta(days=40),
    )


def past_totals():
    """What a monthly summary counts: past sign-ups, attendances, residents and households."""
    past = SignUp.objects.filter(activity__ends_at__lt=timezone.now()).exclude(
        status=SignUp.Status.CANCELLED
    )
    return past.aggregate(
        signups=Count("pk"),
        attendances=Count("pk", filter=Q(attended=True)),
        residents=Count("resident", filter=Q(attended=True), distinct=True),
        households=Count("household", filter=Q(attended=True), distinct=True),
        ratings=Count("feedback"),
    )


# --- export -----------------------------------------------------------------------------


def test_export_needs_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302


def test_export_downloads_my_data_as_json_and_not_other_residents(resident_client):
    me = resident_client.resident
    me.is_verified = True  # staff verified the address: guardian of the child
    me.save(update_fields=["is_verified"])
    child = ResidentFactory(
        household=me.household, name="王小明", phone="", user=None, birth_year=2016
    )
    mine = activity_services.sign_up(
        activity=ActivityFactory(title="我的瑜伽课"), resident=me
    ).signup
    activity_services.sign_up(activity=ActivityFactory(title="孩子的科学课"), resident=child)
    FeedbackFactory(signup=attended(me, past_activity(title="消防演练")), comment="很实用")
    LeadFactory(offered_by=me, organisation="蓝天救援队")
    NeedFactory(resident=me, title="楼道灯坏了")
    other = ResidentFactory(phone="13811119999", name="赵其他")
    activity_services.sign_up(activity=ActivityFactory(title="别人的活动"), resident=other)
    LeadFactory(offered_by=other, organisation="别人的单位")

    response = resident_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["phone"] == me.phone
    assert data["profile"]["name"] == me.name
    titles = {s["activity"] for s in data["signups"]}
    assert titles == {"我的瑜伽课", "孩子的科学课", "消防演练"}
    assert mine.check_in_code in {s["check_in_code"] for s in data["signups"]}
    assert data["feedback"][0]["comment"] == "很实用"
    assert [lead["organisation"] for lead in data["leads"]] == ["蓝天救援队"]
    assert [need["title"] for need in data["needs"]] == ["楼道灯坏了"]
    assert {m["name"] for m in data["household"]["members"]} == {me.name, "王小明"}
    text = response.content.decode()
    assert "别人的活动" not in text and "别人的单位" not in text
    assert "13811119999" not in text and "赵其他" not in text


def test_export_masks_household_members_with_their_own_login(resident_client):
    Resident.objects.filter(pk=resident_client.resident.pk).update(is_verified=True)
    ResidentFactory(
        household=resident_client.resident.household, name="阿依古丽·吐尔逊", phone="13822223333"
    )
    data = json.loads(resident_client.get(EXPORT).content)
    names = {m["name"] for m in data["household"]["members"]}
    assert "阿***" in names and "阿依古丽·吐尔逊" not in names
    assert "13822223333" not in json.dumps(data, ensure_ascii=False)


# --- delete -----------------------------------------------------------------------------


def test_delete_needs_login(client):
    assert client.get(DELETE).status_code == 302
    assert client.post(DELETE, {"confirm": "on"}).status_code == 302


def test_delete_asks_for_confirmation_first(resident_client):
    me = resident_client.resident
    response = resident_client.get(DELETE)
    assert response.status_code == 200
    assert "删除后不能恢复" in response.content.decode()
    response = resident_client.post(DELETE, {})
    assert response.status_code == 200
    assert "请先勾选确认" in response.content.decode()
    me.refresh_from_db()
    assert not me.is_anonymised


def test_delete_anonymises_logs_out_and_keeps_past_totals(resident_client):
    me = resident_client.resident
    user_pk = me.user.pk
    # Past: attended twice (one rated and published), missed once.
    rated = attended(me)
    feedback = FeedbackFactory(
        signup=rated, comment="老师很耐心", may_publish=True, is_published=True
    )
    attended(me)
    SignUpFactory(resident=me, activity=past_activity())
    attended(ResidentFactory())
    # Upcoming: a confirmed seat with someone waiting behind it.
    activity = ActivityFactory(capacity=1)
    upcoming = activity_services.sign_up(activity=activity, resident=me).signup
    waiting = activity_services.sign_up(activity=activity, resident=ResidentFactory()).signup
    before = past_totals()

    response = resident_client.post(DELETE, {"confirm": "on", "password": PASSWORD})
    assert response.status_code == 302
    assert resident_client.session.get("_auth_user_id") is None

    me.refresh_from_db()
    assert me.is_anonymised
    assert me.name == "已注销居民"
    assert (me.phone, me.email, me.birth_year, me.user) == ("", "", None, None)
    assert me.consent_version and me.consent_at  # the record of consent stays
    assert not get_user_model().objects.filter(pk=user_pk).exists()
    assert past_totals() == before
    assert SignUp.objects.filter(resident=me, attended=True).count() == 2
    upcoming.refresh_from_db()
    waiting.refresh_from_db()
    assert upcoming.status == SignUp.Status.CANCELLED
    assert waiting.status == SignUp.Status.CONFIRMED
    feedback.refresh_from_db()
    assert (feedback.rating, feedback.comment, feedback.is_published) == (5, "", False)


def test_after_deletion_the_old_login_no_longer_works(client):
    me = ResidentFactory(phone="13900000077")
    services.anonymise_resident(resident=me)
    response = client.post("/accounts/login/", {"username": "13900000077", "password": "demo12345"})
    assert response.status_code == 200
    assert client.session.get("_auth_user_id") is None


def test_deleted_resident_can_register_again_with_the_same_phone(client):
    me = ResidentFactory(phone="13900000078")
    building = me.household.building
    services.anonymise_resident(resident=me)
    again = services.register_resident(
        phone="13900000078",
        name="王芳",
        password="Lanzhou-2026-xp",
        building=building,
        unit="1",
        room="909",
        consent=True,
    )
    assert again.pk != me.pk


def test_anonymising_twice_is_refused():
    me = ResidentFactory()
    services.anonymise_resident(resident=me)
    with pytest.raises(ValidationError) as error:
        services.anonymise_resident(resident=me)
    assert error.value.code == "already_anonymised"


def test_anonymised_resident_cannot_sign_up_or_submit(resident_client):
    me = resident_client.resident
    services.anonymise_resident(resident=me)
    with pytest.raises(ValidationError):
        activity_services.sign_up(
            activity=ActivityFactory(), resident=Resident.objects.get(pk=me.pk)
        )


# --- nobody else's full name or phone ---------------------------------------------------


def test_my_pages_do_not_show_other_residents_full_names_or_phones(resident_client):
    me = resident_client.resident
    spouse = ResidentFactory(household=me.household, name="阿依古丽·吐尔逊", phone="13822224444")
    other = ResidentFactory(name="赵其他", phone="13811115555")
    activity = ActivityFactory(title="公益瑜伽课", capacity=1)
    activity_services.sign_up(activity=activity, resident=other)
    activity_services.sign_up(activity=activity, resident=spouse)
    activity_services.sign_up(activity=activity, resident=me)
    Feedback.objects.create(signup=attended(other), rating=5, comment="好", may_publish=True)
    for url in ["/me/", "/me/household/", "/me/delete/", "/leads/new/", "/needs/new/"]:
        body = resident_client.get(url).content.decode()
        for secret in ["阿依古丽·吐尔逊", "13822224444", "赵其他", "13811115555"]:
            assert secret not in body, (url, secret)
