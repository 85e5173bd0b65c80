"""What residents read: every irreversible action asks first, every message says what
happened, and activities say where they stand before, during and after."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import SignUp
from tests.factories import ActivityFactory, ResidentFactory, SignUpFactory

pytestmark = pytest.mark.django_db


def page_messages(response):
    return [str(m) for m in response.context["messages"]]


def child_of(resident, *, age, **kwargs):
    resident.is_verified = True
    resident.save(update_fields=["is_verified"])
    return ResidentFactory(
        household=resident.household,
        user=None,
        phone="",
        birth_year=timezone.localdate().year - age,
        **kwargs,
    )


def test_sign_up_says_when_and_where(resident_client):
    activity = ActivityFactory(place="小区党员阵地多功能厅")
    response = resident_client.post(reverse("activities:sign_up", args=[activity.pk]), follow=True)
    [message] = page_messages(response)
    assert message.startswith("报名成功！")
    assert "小区党员阵地多功能厅" in message
    local = timezone.localtime(activity.starts_at)
    assert f"{local.month}月{local.day}日" in message and local.strftime("%H:%M") in message


def test_leaving_the_waiting_list_says_so(resident_client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    services.sign_up(activity=activity, resident=resident_client.resident)
    response = resident_client.post(reverse("activities:cancel", args=[activity.pk]), follow=True)
    assert page_messages(response) == ["已退出候补。"]


@pytest.mark.parametrize("where", ["detail", "me"])
def test_cancelling_asks_first_in_the_same_words_everywhere(resident_client, where):
    activity = ActivityFactory()
    services.sign_up(activity=activity, resident=resident_client.resident)
    url = (
        reverse("activities:detail", args=[activity.pk])
        if where == "detail"
        else reverse("residents:me")
    )
    html = resident_client.get(url).content.decode()
    # The first tap only opens the question; the second (a real POST) cancels.
    assert '<details class="confirm-action"' in html
    assert "确定要取消报名吗？名额会让给候补的居民。" in html
    assert ">确定取消报名</button>" in html


def test_leaving_the_waiting_list_on_me_asks_first(resident_client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    services.sign_up(activity=activity, resident=resident_client.resident)
    html = resident_client.get(reverse("residents:me")).content.decode()
    assert "确定要退出候补吗？退出后排队位置不再保留。" in html
    assert ">确定退出候补</button>" in html


def _ended(**kwargs):
    start = timezone.now() - dt.timedelta(days=2)
    return ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2), **kwargs)


def test_an_attended_activity_says_so_and_asks_for_a_rating(resident_client):
    activity = _ended()
    signup = SignUpFactory(
        activity=activity,
        resident=resident_client.resident,
        attended=True,
        checked_in_at=activity.starts_at,
    )
    html = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "您参加了这次活动" in html
    assert "请准时参加" not in html
    assert reverse("activities:feedback", args=[signup.pk]) in html
    assert signup.check_in_code not in html


def test_a_missed_activity_says_not_checked_in(resident_client):
    activity = _ended()
    SignUpFactory(activity=activity, resident=resident_client.resident)
    html = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "您报了名，但没有签到。" in html
    assert "请准时参加" not in html


def test_an_activity_under_way_asks_to_show_the_code(resident_client):
    now = timezone.now()
    activity = ActivityFactory(
        starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=1)
    )
    SignUpFactory(activity=activity, resident=resident_client.resident)
    html = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "活动正在进行，请到现场出示签到码。" in html


def test_cards_show_who_may_join_and_a_full_activity(client):
    ActivityFactory(title="党员学习", party_members_only=True)
    ActivityFactory(title="科学小组", min_age=8, max_age=14)
    full = ActivityFactory(title="瑜伽", capacity=1)
    SignUpFactory(activity=full)
    html = client.get(reverse("activities:list")).content.decode()
    assert "仅限党员" in html
    assert "8–14 岁" in html
    assert "已满·可候补" in html


def test_a_full_activity_no_longer_says_open_at_the_top(client):
    full = ActivityFactory(capacity=1)
    SignUpFactory(activity=full)
    html = client.get(reverse("activities:detail", args=[full.pk])).content.decode()
    header = html[
        html.index('<header class="mb-3">') : html.index(
            "</header>", html.index('<header class="mb-3">')
        )
    ]
    assert "已满·可候补" in header
    assert "报名中" not in header


def test_family_members_who_cannot_join_are_not_offered(resident_client):
    resident = resident_client.resident
    child_of(resident, age=10, name="王小明")
    child_of(resident, age=3, name="王小小")
    activity = ActivityFactory(min_age=8, max_age=14)
    html = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "为王小明报名" in html
    assert "王小小" not in html


def test_no_family_section_when_no_one_can_join(resident_client):
    child_of(resident_client.resident, age=3, name="王小小")
    activity = ActivityFactory(min_age=8, max_age=14)
    html = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "为家人报名" not in html


def test_signups_keep_their_status_after_a_kept_code(resident_client):
    activity = ActivityFactory()
    first = services.sign_up(activity=activity, resident=resident_client.resident).signup
    resident_client.post(reverse("activities:cancel", args=[activity.pk]))
    resident_client.post(reverse("activities:sign_up", args=[activity.pk]))
    again = SignUp.objects.filter(activity=activity).active().get()
    assert again.check_in_code == first.check_in_code
