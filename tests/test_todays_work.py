"""The back office's index is the staff's "today's work"; back-office logins land there
(staff) or on the summary (the secretary), greeted by name."""

import datetime as dt
import itertools

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.admin import local_day_start
from activities.models import Activity, Need
from partners.models import Agreement, Lead
from tests.factories import (
    PASSWORD,
    ActivityFactory,
    AgreementFactory,
    LeadFactory,
    NeedFactory,
    SecretaryUserFactory,
    SignUpFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("residents:login")
INDEX = reverse("admin:index")

_serial = itertools.count()


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- login landing ---------------------------------------------------------------------


def test_staff_login_without_next_lands_on_the_admin_index_greeted_by_name(client):
    StaffUserFactory(username="wangxy", last_name="王", first_name="晓燕")

    response = client.post(LOGIN, {"username": "wangxy", "password": PASSWORD})

    assert response["Location"] == INDEX
    assert "您好，王晓燕。" in _messages(response)
    page = client.get(INDEX).content.decode()
    assert "王晓燕" in page


def test_secretary_login_without_next_lands_on_the_summary(client):
    SecretaryUserFactory(username="secretary", last_name="刘", first_name="建华")

    response = client.post(LOGIN, {"username": "secretary", "password": PASSWORD})

    assert response["Location"] == reverse("summary:current")
    assert "您好，刘建华。" in _messages(response)


def test_back_office_login_with_next_follows_next(client):
    SecretaryUserFactory(username="secretary")

    response = client.post(
        LOGIN, {"username": "secretary", "password": PASSWORD, "next": "/activities/"}
    )

    assert response["Location"] == "/activities/"


def test_login_without_a_name_greets_by_login_name(client):
    StaffUserFactory(username="zhang")

    response = client.post(LOGIN, {"username": "zhang", "password": PASSWORD})

    assert "您好，zhang。" in _messages(response)


def test_secretary_on_me_is_not_greeted_by_login_name_and_finds_the_summary(client):
    secretary = SecretaryUserFactory(username="secretary", last_name="刘", first_name="建华")
    client.force_login(secretary)

    page = client.get(reverse("residents:me")).content.decode()

    assert "您好，刘建华" in page
    assert "您好，secretary" not in page
    assert reverse("summary:current") in page
    assert INDEX in page


# --- today's work on the index ---------------------------------------------------------


def _today_at(hour, days=0):
    return local_day_start(timezone.localdate() + dt.timedelta(days=days)) + dt.timedelta(
        hours=hour
    )


def _build(n):
    """n of each thing the index lists (and as many it must not list)."""
    today = timezone.localdate()
    for _ in range(n):
        # Today: one with a check-in, a waiting list.
        today_activity = ActivityFactory(
            title=f"今天的活动{next(_serial)}",
            starts_at=_today_at(23, 0) - dt.timedelta(minutes=30),
            capacity=1,
        )
        SignUpFactory(activity=today_activity, resident__user=None)
        SignUpFactory(
            activity=today_activity, resident__user=None, status="waitlisted", confirmed_at=None
        )
        # Yesterday, nobody checked in; and one that had check-ins (not listed).
        ActivityFactory(
            title=f"昨天无签到{next(_serial)}",
            starts_at=_today_at(9, -1),
            ends_at=_today_at(11, -1),
        )
        checked = ActivityFactory(
            title=f"昨天有签到{next(_serial)}",
            starts_at=_today_at(9, -1),
            ends_at=_today_at(11, -1),
        )
        SignUpFactory(
            activity=checked, resident__user=None, attended=True, checked_in_at=timezone.now()
        )
        # Agreements: ending in 30 days (listed), renewed (not), ending in a year (not).
        AgreementFactory(title=f"将到期{next(_serial)}", ends_on=today + dt.timedelta(days=30))
        old = AgreementFactory(
            title=f"已续签{next(_serial)}", ends_on=today + dt.timedelta(days=30)
        )
        AgreementFactory(
            title=f"续签协议{next(_serial)}",
            partner=old.partner,
            renews=old,
            status=Agreement.Status.ACTIVE,
            signed_on=today,
            starts_on=today + dt.timedelta(days=31),
            ends_on=today + dt.timedelta(days=400),
        )
        # Leads: overdue (listed), later (not), overdue but dropped (not).
        LeadFactory(
            organisation=f"逾期线索{next(_serial)}",
            offered_by__user=None,
            follow_up_on=today - dt.timedelta(days=2),
            assigned_to=StaffUserFactory(),
        )
        LeadFactory(
            organisation=f"以后跟进{next(_serial)}",
            offered_by__user=None,
            follow_up_on=today + dt.timedelta(days=3),
        )
        LeadFactory(
            organisation=f"已放弃{next(_serial)}",
            offered_by__user=None,
            follow_up_on=today - dt.timedelta(days=2),
            stage=Lead.Stage.DROPPED,
        )
        # Needs: untriaged for 10 days (listed), 2 days (not), accepted long ago (not).
        NeedFactory(
            title=f"积压需求{next(_serial)}",
            resident__user=None,
            created_at=timezone.now() - dt.timedelta(days=10),
        )
        NeedFactory(
            title=f"新需求{next(_serial)}",
            resident__user=None,
            created_at=timezone.now() - dt.timedelta(days=2),
        )
        NeedFactory(
            title=f"已受理{next(_serial)}",
            resident__user=None,
            status=Need.Status.ACCEPTED,
            created_at=timezone.now() - dt.timedelta(days=10),
        )


def _items(response):
    return {item.key: item for item in response.context["today_items"]}


def test_index_lists_todays_work_with_links_to_the_lists_that_resolve_it(staff_client):
    _build(1)

    response = staff_client.get(INDEX)

    assert response.status_code == 200
    items = _items(response)
    assert [a.title[:4] for a in items["today"].rows] == ["今天的活"]
    assert items["yesterday"].count == 1 and items["yesterday"].rows[0].title.startswith("昨天无")
    assert [a.title[:3] for a in items["agreements"].rows] == ["将到期"]
    assert [lead.organisation[:4] for lead in items["leads"].rows] == ["逾期线索"]
    assert [need.title[:4] for need in items["needs"].rows] == ["积压需求"]
    assert "call" not in items  # the call list is not installed on this branch
    page = response.content.decode()
    today_activity = items["today"].rows[0]
    assert reverse("admin:activities_activity_check_in", args=[today_activity.pk]) in page
    assert "已报名 1/1 · 候补 1 · 签到 0" in page
    assert (
        reverse(
            "summary:month",
            kwargs={"year": timezone.localdate().year, "month": timezone.localdate().month},
        )
        in page
    )
    # The app list stays below.
    assert reverse("admin:app_list", args=["activities"]) in page


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("today", 1),
        ("yesterday", 1),
        ("agreements", 1),
        ("leads", 1),
        ("needs", 1),
    ],
)
def test_each_items_link_opens_the_filtered_list_of_just_those(staff_client, key, expected):
    _build(1)
    item = _items(staff_client.get(INDEX))[key]

    response = staff_client.get(item.url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == expected
    assert {obj.pk for obj in response.context["cl"].result_list} == {obj.pk for obj in item.rows}


def test_index_queries_do_not_grow_with_the_data(staff_client):
    _build(2)
    staff_client.get(INDEX)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        staff_client.get(INDEX)
    _build(12)
    with CaptureQueriesContext(connection) as large:
        response = staff_client.get(INDEX)

    assert _items(response)["needs"].count == 14
    assert len(large) == len(small), f"{len(small)} queries with 2 of each, {len(large)} with 14"


def test_secretary_sees_todays_work_without_check_in_desks(secretary_client):
    _build(1)

    response = secretary_client.get(INDEX)

    items = _items(response)
    assert items["today"].rows
    activity = items["today"].rows[0]
    page = response.content.decode()
    assert reverse("admin:activities_activity_check_in", args=[activity.pk]) not in page
    assert reverse("summary:current") in page or "月度汇总" in page


def test_axes_is_hidden_from_staff_and_last_in_chinese_for_superusers(staff_client, admin_client):
    staff_apps = [app["app_label"] for app in staff_client.get(INDEX).context["app_list"]]
    assert "axes" not in staff_apps

    apps = admin_client.get(INDEX).context["app_list"]
    assert apps[-1]["app_label"] == "axes"
    assert apps[-1]["name"] == "登录安全"
    assert "Access" not in " ".join(str(m["name"]) for m in apps[-1]["models"])


def test_activity_list_opens_on_not_ended_soonest_first_with_a_check_in_column(staff_client):
    later = ActivityFactory(title="下周", starts_at=timezone.now() + dt.timedelta(days=7))
    sooner = ActivityFactory(title="明天", starts_at=timezone.now() + dt.timedelta(days=1))
    ActivityFactory(
        title="上周",
        starts_at=timezone.now() - dt.timedelta(days=7),
        ends_at=timezone.now() - dt.timedelta(days=7) + dt.timedelta(hours=2),
    )
    SignUpFactory(activity=sooner, resident__user=None, attended=True, checked_in_at=timezone.now())
    SignUpFactory(activity=sooner, resident__user=None)

    response = staff_client.get(reverse("admin:activities_activity_changelist"))

    assert list(response.context["cl"].result_list) == [sooner, later]
    assert '<td class="field-check_ins">1/2</td>' in response.content.decode()
    everything = staff_client.get(reverse("admin:activities_activity_changelist"), {"when": "all"})
    assert everything.context["cl"].result_count == 3


def test_need_list_opens_on_untriaged(staff_client):
    new = NeedFactory(resident__user=None)
    NeedFactory(resident__user=None, status=Need.Status.ACCEPTED)

    response = staff_client.get(reverse("admin:activities_need_changelist"))

    assert list(response.context["cl"].result_list) == [new]
    everything = staff_client.get(reverse("admin:activities_need_changelist"), {"status": "all"})
    assert everything.context["cl"].result_count == 2


def test_activity_without_check_ins_rule():
    nobody = ActivityFactory()
    came = ActivityFactory()
    SignUpFactory(activity=came, resident__user=None, attended=True, checked_in_at=timezone.now())
    SignUpFactory(activity=nobody, resident__user=None)

    assert list(Activity.objects.without_check_ins()) == [nobody]
