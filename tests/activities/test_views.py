"""The residents' activity pages and the sign-up / cancel actions, through the test client."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from activities.models import Activity, Category, SignUp
from tests.activities.factories_site import populate
from tests.factories import (
    ActivityFactory,
    FeedbackFactory,
    MilestoneFactory,
    PartnerFactory,
    ResidentFactory,
    ServiceProjectFactory,
    SignUpFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LANZHOU = ZoneInfo("Asia/Shanghai")


def detail_url(activity):
    return reverse("activities:detail", args=[activity.pk])


def sign_up_url(activity):
    return reverse("activities:sign_up", args=[activity.pk])


def cancel_url(activity):
    return reverse("activities:cancel", args=[activity.pk])


def page_messages(response):
    return [str(m) for m in response.context["messages"]]


def child_of(resident, **kwargs):
    """A household member without a login (a child), born `age` years ago."""
    age = kwargs.pop("age", 9)
    resident.is_verified = True  # staff verified the guardian's address
    resident.save(update_fields=["is_verified"])
    return ResidentFactory(
        household=resident.household,
        user=None,
        phone="",
        birth_year=timezone.localdate().year - age,
        **kwargs,
    )


# --- home --------------------------------------------------------------------------------


def test_home_shows_upcoming_activities_partners_by_category_and_project_progress(client):
    partner = PartnerFactory(name="蓝天救援队", category="rescue")
    ActivityFactory(title="消防演练", partners=[partner])
    ServiceProjectFactory(title="爸妈食堂", progress=40)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "消防演练" in html
    assert "蓝天救援队" in html and "应急救援" in html
    assert "爸妈食堂" in html and 'data-progress="40"' in html


def test_home_hides_private_plans_and_past_activities(client):
    ActivityFactory(title="内部筹备", status=Activity.Status.PLANNED, is_public=False)
    start = timezone.now() - dt.timedelta(days=3)
    ActivityFactory(
        title="上周的课",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        status=Activity.Status.HELD,
    )
    html = client.get(reverse("home")).content.decode()
    assert "内部筹备" not in html
    assert "上周的课" not in html


# --- list --------------------------------------------------------------------------------


def test_activity_list_shows_only_visible_upcoming_activities_by_default(client):
    ActivityFactory(title="公益瑜伽课")
    ActivityFactory(title="筹备中的公开活动", status=Activity.Status.PLANNED)
    ActivityFactory(title="内部筹备", status=Activity.Status.PLANNED, is_public=False)
    start = timezone.now() - dt.timedelta(days=3)
    ActivityFactory(title="往期讲座", starts_at=start, ends_at=start + dt.timedelta(hours=1))
    html = client.get(reverse("activities:list")).content.decode()
    assert "公益瑜伽课" in html
    assert "筹备中的公开活动" in html
    assert "内部筹备" not in html
    assert "往期讲座" not in html


def test_activity_list_past_filter_shows_past_activities_newest_first(client):
    now = timezone.now()
    for title, days in (("较早的活动", 20), ("最近的活动", 2)):
        start = now - dt.timedelta(days=days)
        ActivityFactory(title=title, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    ActivityFactory(title="下周的活动")
    html = client.get(reverse("activities:list"), {"when": "past"}).content.decode()
    assert "下周的活动" not in html
    assert html.index("最近的活动") < html.index("较早的活动")


def test_activity_list_filters_by_category_partner_and_words(client):
    yoga = PartnerFactory(name="徐婕瑜伽")
    ActivityFactory(title="公益瑜伽课", category=Category.HEALTH, partners=[yoga])
    ActivityFactory(title="消防演练", category=Category.SAFETY, place="3号楼前广场")
    url = reverse("activities:list")

    html = client.get(url, {"category": "safety"}).content.decode()
    assert "消防演练" in html and "公益瑜伽课" not in html

    html = client.get(url, {"partner": yoga.pk}).content.decode()
    assert "公益瑜伽课" in html and "消防演练" not in html

    html = client.get(url, {"q": "广场"}).content.decode()
    assert "消防演练" in html and "公益瑜伽课" not in html

    html = client.get(url, {"q": "徐婕"}).content.decode()
    assert "公益瑜伽课" in html and "消防演练" not in html


def test_activity_list_category_choices_are_labelled_in_chinese(client):
    html = client.get(reverse("activities:list")).content.decode()
    assert "全部类别" in html and "应急安全" in html and "数字助老" in html


def test_activity_list_ignores_an_unknown_partner_with_a_message(client):
    ActivityFactory(title="公益瑜伽课")
    response = client.get(reverse("activities:list"), {"partner": "999999", "when": "soon"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "公益瑜伽课" in html
    assert "部分筛选条件无效" in html


def test_activity_list_pages_by_twelve_and_keeps_filters_in_page_links(client):
    now = timezone.now()
    for i in range(13):
        ActivityFactory(
            title=f"安全课{i:02d}",
            category=Category.SAFETY,
            starts_at=now + dt.timedelta(days=1, hours=i),
            ends_at=now + dt.timedelta(days=1, hours=i + 1),
        )
    ActivityFactory(title="瑜伽课", category=Category.HEALTH)
    response = client.get(reverse("activities:list"), {"category": "safety"})
    assert len(response.context["activities"]) == 12
    html = response.content.decode()
    assert "category=safety" in html and "page=2" in html
    second = client.get(reverse("activities:list"), {"category": "safety", "page": 2})
    assert [a.title for a in second.context["activities"]] == ["安全课12"]


def test_activity_card_shows_time_place_partner_and_seats_left(client):
    starts = dt.datetime(timezone.localdate().year + 1, 11, 28, 9, 30, tzinfo=LANZHOU)
    weekday = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][starts.weekday()]
    activity = ActivityFactory(
        title="公益瑜伽课",
        place="小区党员阵地二楼",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=10,
        partners=[PartnerFactory(name="徐婕瑜伽")],
    )
    SignUpFactory.create_batch(3, activity=activity)
    html = client.get(reverse("activities:list")).content.decode()
    assert f"11月28日 {weekday} 09:30" in html
    assert "小区党员阵地二楼" in html
    assert "徐婕瑜伽" in html
    assert "剩余 7 个名额" in html


def test_a_full_activity_card_offers_the_waiting_list(client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    html = client.get(reverse("activities:list")).content.decode()
    assert "已满·可候补" in html


def test_activity_list_shows_the_residents_own_status(resident_client):
    resident = resident_client.resident
    mine = ActivityFactory(title="我报了名的课")
    full = ActivityFactory(title="我在候补的课", capacity=1)
    SignUpFactory(activity=full)
    SignUpFactory(activity=full, status=SignUp.Status.WAITLISTED)
    SignUpFactory(activity=mine, resident=resident)
    SignUpFactory(activity=full, resident=resident, status=SignUp.Status.WAITLISTED)
    html = resident_client.get(reverse("activities:list")).content.decode()
    assert "已报名" in html
    assert "候补第2位" in html


# --- detail ------------------------------------------------------------------------------


def test_detail_shows_description_partners_time_place_seats_and_deadline(client):
    partner = PartnerFactory(name="甘肃锐诚律师事务所")
    activity = ActivityFactory(
        title="法律援助进小区",
        description="现场解答家庭、继承、物业纠纷问题。",
        place="小区党员阵地",
        capacity=20,
        partners=[partner],
        signup_closes_at=timezone.now() + dt.timedelta(days=5),
    )
    html = client.get(detail_url(activity)).content.decode()
    assert "现场解答家庭、继承、物业纠纷问题。" in html
    assert reverse("activities:partner", args=[partner.pk]) in html
    assert "剩余 20 个名额" in html
    assert "前报名" in html
    assert reverse("activities:ics", args=[activity.pk]) in html
    assert reverse("activities:poster", args=[activity.pk]) in html
    assert 'data-copy-link="http://testserver' in html


def test_detail_shows_restrictions(client):
    activity = ActivityFactory(min_age=8, max_age=14, party_members_only=True)
    html = client.get(detail_url(activity)).content.decode()
    assert "8–14 岁" in html
    assert "仅限党员" in html


def test_detail_has_open_graph_tags_for_sharing_in_wechat(client):
    activity = ActivityFactory(title="小区音乐节", summary="邻里同台唱歌")
    html = client.get(detail_url(activity)).content.decode()
    assert '<meta property="og:title" content="小区音乐节">' in html
    assert "邻里同台唱歌" in re.search(r'og:description" content="([^"]*)"', html).group(1)
    image = reverse("activities:share_image", args=[activity.pk])
    assert re.search(rf'og:image" content="http://testserver{image}"', html)


def test_detail_asks_a_logged_out_visitor_to_log_in_first(client):
    activity = ActivityFactory()
    html = client.get(detail_url(activity)).content.decode()
    assert "登录后报名" in html
    assert f"{reverse('residents:login')}?next=/activities/{activity.pk}/" in html
    assert sign_up_url(activity) not in html


def test_detail_offers_one_sign_up_button_to_a_resident(resident_client):
    activity = ActivityFactory()
    html = resident_client.get(detail_url(activity)).content.decode()
    assert f'action="{sign_up_url(activity)}"' in html
    assert ">报名</button>" in html


def test_detail_tells_the_place_a_resident_would_take_on_the_waiting_list(resident_client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    SignUpFactory(activity=activity, status=SignUp.Status.WAITLISTED)
    html = resident_client.get(detail_url(activity)).content.decode()
    assert "加入候补（您将排在第2位）" in html


def test_detail_offers_to_cancel_a_residents_sign_up(resident_client):
    activity = ActivityFactory()
    SignUpFactory(activity=activity, resident=resident_client.resident, check_in_code="424242")
    html = resident_client.get(detail_url(activity)).content.decode()
    assert f'action="{cancel_url(activity)}"' in html
    assert "取消报名" in html
    assert "424242" in html  # the resident's own check-in code
    assert f'action="{sign_up_url(activity)}"' not in html


def test_detail_says_why_a_resident_cannot_sign_up(resident_client):
    activity = ActivityFactory(party_members_only=True)
    html = resident_client.get(detail_url(activity)).content.decode()
    assert "该活动仅限党员报名。" in html
    assert f'action="{sign_up_url(activity)}"' not in html


def test_detail_lists_a_guardians_children_with_their_own_buttons(resident_client):
    guardian = resident_client.resident
    child = child_of(guardian, name="王小明")
    signed = child_of(guardian, name="王小红")
    ResidentFactory(household=guardian.household, name="李有号")  # has a login: not listed
    activity = ActivityFactory()
    SignUpFactory(activity=activity, resident=signed)
    html = resident_client.get(detail_url(activity)).content.decode()
    assert "为王小明报名" in html
    assert f'name="resident" value="{child.pk}"' in html
    assert "王小红 已报名" in html
    assert "李有号" not in html


def test_detail_of_a_private_plan_is_not_found(client):
    activity = ActivityFactory(status=Activity.Status.PLANNED, is_public=False)
    assert client.get(detail_url(activity)).status_code == 404


def test_detail_shows_published_feedback_with_the_name_masked(client):
    start = timezone.now() - dt.timedelta(days=2)
    activity = ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    author = ResidentFactory(name="王建国", phone="13900000001")
    FeedbackFactory(
        signup__activity=activity,
        signup__resident=author,
        comment="很实用",
        may_publish=True,
        is_published=True,
    )
    FeedbackFactory(signup__activity=activity, comment="不公开的评价", may_publish=True)
    html = client.get(detail_url(activity)).content.decode()
    assert "很实用" in html and "王**" in html
    assert "王建国" not in html and "13900000001" not in html
    assert "不公开的评价" not in html


def test_no_page_shows_another_residents_name_or_phone(resident_client):
    other = ResidentFactory(name="赵美丽", phone="13912345678")
    activity = ActivityFactory()
    SignUpFactory(activity=activity, resident=other)
    for url in (
        reverse("home"),
        reverse("activities:list"),
        detail_url(activity),
        reverse("activities:poster", args=[activity.pk]),
    ):
        html = resident_client.get(url).content.decode()
        assert "赵美丽" not in html and "13912345678" not in html


# --- sign up -----------------------------------------------------------------------------


def test_a_post_with_nothing_but_the_csrf_token_signs_the_resident_up(resident_client):
    activity = ActivityFactory()
    response = resident_client.post(sign_up_url(activity), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(activity)
    [message] = page_messages(response)
    assert message.startswith("报名成功！")
    assert activity.place in message
    signup = SignUp.objects.get(activity=activity)
    assert signup.resident == resident_client.resident
    assert signup.status == SignUp.Status.CONFIRMED
    assert signup.signed_up_by == resident_client.resident.user


def test_sign_up_on_a_full_activity_says_the_place_on_the_waiting_list(resident_client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    SignUpFactory(activity=activity, status=SignUp.Status.WAITLISTED)
    response = resident_client.post(sign_up_url(activity), follow=True)
    assert page_messages(response) == ["已加入候补，您排在第2位。"]


def test_a_double_click_makes_one_sign_up(resident_client):
    activity = ActivityFactory()
    resident_client.post(sign_up_url(activity))
    resident_client.post(sign_up_url(activity))
    assert SignUp.objects.filter(activity=activity).count() == 1


def test_get_to_sign_up_and_cancel_is_not_allowed(resident_client):
    activity = ActivityFactory()
    assert resident_client.get(sign_up_url(activity)).status_code == 405
    assert resident_client.get(cancel_url(activity)).status_code == 405
    assert not SignUp.objects.exists()


def test_a_logged_out_post_is_sent_to_log_in_and_back_to_the_activity(client):
    activity = ActivityFactory()
    response = client.post(sign_up_url(activity))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("residents:login"))
    assert f"next=/activities/{activity.pk}/" in response["Location"].replace("%2F", "/")
    assert not SignUp.objects.exists()


def test_a_post_without_the_csrf_token_is_refused_with_the_csrf_page(resident):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resident.user)
    activity = ActivityFactory()
    response = strict.post(sign_up_url(activity))
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert not SignUp.objects.exists()


def test_a_post_with_the_csrf_token_is_accepted_when_checks_are_enforced(resident):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resident.user)
    activity = ActivityFactory()
    strict.get(detail_url(activity))
    token = strict.cookies["csrftoken"].value
    response = strict.post(sign_up_url(activity), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert SignUp.objects.filter(activity=activity, resident=resident).exists()


def _past_activity():
    start = timezone.now() - dt.timedelta(days=1)
    return ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(hours=1))


REFUSALS = {
    "cancelled": (lambda: ActivityFactory(status=Activity.Status.CANCELLED), "该活动已取消。"),
    "not_open": (lambda: ActivityFactory(status=Activity.Status.PLANNED), "该活动尚未开放报名。"),
    "past": (_past_activity, "该活动已结束。"),
    "held": (lambda: ActivityFactory(status=Activity.Status.HELD), "该活动已结束。"),
    "window_not_open": (
        lambda: ActivityFactory(signup_opens_at=timezone.now() + dt.timedelta(days=1)),
        "报名将于",
    ),
    "window_closed": (
        lambda: ActivityFactory(
            signup_closes_at=timezone.now() - dt.timedelta(minutes=1),
            signup_opens_at=timezone.now() - dt.timedelta(days=3),
        ),
        "报名已截止。",
    ),
    "party_members_only": (
        lambda: ActivityFactory(party_members_only=True),
        "该活动仅限党员报名。",
    ),
    "too_young": (lambda: ActivityFactory(min_age=80), "该活动要求年满 80 岁。"),
    "too_old": (lambda: ActivityFactory(max_age=14), "该活动限 14 岁及以下参加。"),
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_each_refusal_of_the_service_is_shown_as_a_message(resident_client, code):
    make, text = REFUSALS[code]
    activity = make()
    response = resident_client.post(sign_up_url(activity), follow=True)
    assert response.status_code == 200
    messages = page_messages(response)
    assert len(messages) == 1 and messages[0].startswith(text)
    assert text in response.content.decode()
    assert not SignUp.objects.filter(activity=activity).exists()


def test_an_unknown_age_is_refused_with_a_message(client):
    resident = ResidentFactory(birth_year=None)
    client.force_login(resident.user)
    activity = ActivityFactory(min_age=60)
    response = client.post(sign_up_url(activity), follow=True)
    assert page_messages(response) == ["该活动有年龄要求，请先请工作人员登记出生年份。"]


def test_a_login_without_a_resident_profile_gets_a_clear_message(client):
    client.force_login(UserFactory())
    activity = ActivityFactory()
    response = client.post(sign_up_url(activity), follow=True)
    assert response.status_code == 200
    assert "没有居民资料" in page_messages(response)[0]
    assert not SignUp.objects.exists()


def test_staff_without_a_resident_profile_are_told_to_use_the_back_office(staff_client):
    activity = ActivityFactory()
    html = staff_client.get(detail_url(activity)).content.decode()
    assert "没有居民资料" in html
    assert f'action="{sign_up_url(activity)}"' not in html
    response = staff_client.post(sign_up_url(activity), follow=True)
    assert "工作人员请在后台为居民报名" in page_messages(response)[0]
    assert not SignUp.objects.exists()


def test_a_guardian_signs_up_a_child_without_a_login(resident_client):
    child = child_of(resident_client.resident, name="王小明", age=10)
    activity = ActivityFactory(min_age=8, max_age=14)
    response = resident_client.post(sign_up_url(activity), {"resident": child.pk}, follow=True)
    assert page_messages(response)[0].startswith("已为王小明报名成功！")
    signup = SignUp.objects.get(activity=activity)
    assert signup.resident == child
    assert signup.signed_up_by == resident_client.resident.user


def test_a_child_too_young_for_the_activity_is_refused(resident_client):
    child = child_of(resident_client.resident, age=5)
    activity = ActivityFactory(min_age=8)
    response = resident_client.post(sign_up_url(activity), {"resident": child.pk}, follow=True)
    assert page_messages(response) == ["该活动要求年满 8 岁。"]
    assert not SignUp.objects.exists()


def test_a_resident_cannot_sign_up_someone_outside_their_household(resident_client):
    stranger = ResidentFactory(user=None, phone="")
    activity = ActivityFactory()
    response = resident_client.post(sign_up_url(activity), {"resident": stranger.pk})
    assert response.status_code == 403
    assert "同一住户中没有账号的家人" in response.content.decode()
    assert not SignUp.objects.exists()


def test_a_resident_cannot_sign_up_a_household_member_who_has_a_login(resident_client):
    adult = ResidentFactory(household=resident_client.resident.household)
    activity = ActivityFactory()
    response = resident_client.post(sign_up_url(activity), {"resident": adult.pk})
    assert response.status_code == 403
    assert not SignUp.objects.exists()


def test_a_resident_id_that_is_not_a_number_is_refused_not_a_500(resident_client):
    activity = ActivityFactory()
    response = resident_client.post(sign_up_url(activity), {"resident": "王"})
    assert response.status_code == 403


def test_sign_up_goes_back_to_a_safe_next_and_ignores_another_site(resident_client):
    first, second = ActivityFactory(), ActivityFactory()
    response = resident_client.post(sign_up_url(first), {"next": "/activities/?category=health"})
    assert response["Location"] == "/activities/?category=health"
    response = resident_client.post(sign_up_url(second), {"next": "https://evil.example/"})
    assert response["Location"] == detail_url(second)


def test_sign_up_for_a_private_plan_is_not_found(resident_client):
    activity = ActivityFactory(status=Activity.Status.PLANNED, is_public=False)
    assert resident_client.post(sign_up_url(activity)).status_code == 404
    assert not SignUp.objects.exists()


def test_sign_up_for_an_activity_that_does_not_exist_is_not_found(resident_client):
    assert resident_client.post(reverse("activities:sign_up", args=[987654])).status_code == 404


def test_a_private_plan_is_not_found_for_a_guardian_acting_for_a_child(resident_client):
    child = child_of(resident_client.resident)
    activity = ActivityFactory(status=Activity.Status.PLANNED, is_public=False)
    response = resident_client.post(sign_up_url(activity), {"resident": child.pk})
    assert response.status_code == 404


#: A resident's sign-up POST, in statements: the session, the user, the resident; the
#: activity read and locked once (visibility included), everything about its sign-ups in
#: one aggregate, the sign-up, its history row and the tally in one statement; plus the
#: SAVEPOINT and RELEASE of the test's transaction (production commits instead).
SIGN_UP_STATEMENTS = 10


def test_a_sign_up_over_http_runs_a_fixed_number_of_statements(
    resident_client, django_assert_num_queries
):
    activity = ActivityFactory(capacity=10)
    SignUpFactory.create_batch(3, activity=activity)
    with django_assert_num_queries(SIGN_UP_STATEMENTS):
        response = resident_client.post(sign_up_url(activity))
    assert response.status_code == 302
    signup = SignUp.objects.get(activity=activity, resident=resident_client.resident)
    assert signup.status == SignUp.Status.CONFIRMED


def test_joining_the_waiting_list_over_http_adds_only_the_position_query(
    resident_client, django_assert_num_queries
):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity)
    with django_assert_num_queries(SIGN_UP_STATEMENTS + 1):
        response = resident_client.post(sign_up_url(activity), follow=False)
    assert response.status_code == 302


def test_a_double_click_reads_the_existing_sign_up_and_not_the_activity_again(
    resident_client, django_assert_num_queries
):
    activity = ActivityFactory()
    resident_client.post(sign_up_url(activity))
    # session, user, resident; SAVEPOINT, the lock, the aggregate, the sign-up, RELEASE
    with django_assert_num_queries(8):
        response = resident_client.post(sign_up_url(activity), follow=False)
    assert response.status_code == 302
    response = resident_client.get(detail_url(activity))
    assert any(str(m).startswith("您此前已报过名") for m in response.context["messages"])
    assert activity.place in " ".join(str(m) for m in response.context["messages"])


# --- cancel ------------------------------------------------------------------------------


def test_cancel_cancels_the_residents_own_sign_up(resident_client):
    activity = ActivityFactory()
    SignUpFactory(activity=activity, resident=resident_client.resident)
    response = resident_client.post(cancel_url(activity), follow=True)
    assert page_messages(response) == ["已取消报名，名额已让出。"]
    assert SignUp.objects.get(activity=activity).status == SignUp.Status.CANCELLED


def test_cancel_promotes_the_next_resident_without_naming_them(resident_client):
    activity = ActivityFactory(capacity=1)
    SignUpFactory(activity=activity, resident=resident_client.resident)
    waiting = ResidentFactory(name="钱多多")
    SignUpFactory(activity=activity, resident=waiting, status=SignUp.Status.WAITLISTED)
    response = resident_client.post(cancel_url(activity), follow=True)
    assert page_messages(response) == ["已取消报名，名额已让出。"]
    assert "钱多多" not in response.content.decode()
    assert SignUp.objects.get(resident=waiting).status == SignUp.Status.CONFIRMED


def test_a_guardian_cancels_a_childs_sign_up_and_not_their_own(resident_client):
    child = child_of(resident_client.resident, name="王小明")
    activity = ActivityFactory()
    mine = SignUpFactory(activity=activity, resident=resident_client.resident)
    childs = SignUpFactory(activity=activity, resident=child)
    response = resident_client.post(cancel_url(activity), {"resident": child.pk}, follow=True)
    assert page_messages(response) == ["已取消王小明的报名，名额已让出。"]
    childs.refresh_from_db()
    mine.refresh_from_db()
    assert childs.status == SignUp.Status.CANCELLED
    assert mine.status == SignUp.Status.CONFIRMED


def test_cancel_without_a_sign_up_says_so(resident_client):
    activity = ActivityFactory()
    SignUpFactory(activity=activity)  # someone else's
    response = resident_client.post(cancel_url(activity), follow=True)
    assert page_messages(response) == ["没有需要取消的报名。"]
    assert SignUp.objects.get(activity=activity).status == SignUp.Status.CONFIRMED


def test_cancel_after_the_start_is_refused_with_a_message(resident_client):
    start = timezone.now() - dt.timedelta(minutes=10)
    activity = ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    SignUpFactory(activity=activity, resident=resident_client.resident)
    response = resident_client.post(cancel_url(activity), follow=True)
    assert page_messages(response) == ["活动已开始，不能取消报名。"]
    assert SignUp.objects.get(activity=activity).status == SignUp.Status.CONFIRMED


def test_a_logged_out_cancel_is_sent_to_log_in(client):
    activity = ActivityFactory()
    response = client.post(cancel_url(activity))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("residents:login"))


# --- calendar and poster -----------------------------------------------------------------


def test_the_ics_of_an_activity_parses_back_with_the_right_times(client):
    starts = dt.datetime(timezone.localdate().year + 1, 3, 14, 9, 30, tzinfo=LANZHOU)
    activity = ActivityFactory(
        title="消防演练",
        place="3号楼前广场",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
    )
    response = client.get(reverse("activities:ics", args=[activity.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="activity-{activity.pk}.ics"' in response["Content-Disposition"]
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == f"activity-{activity.pk}@gongjian"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTSTART").astimezone(dt.UTC).hour == 1  # 09:30 in Lanzhou
    assert event.decoded("DTEND") == starts + dt.timedelta(hours=2)
    assert str(event["SUMMARY"]) == "消防演练"
    assert str(event["LOCATION"]) == "3号楼前广场"
    assert f"http://testserver/activities/{activity.pk}/" in str(event["DESCRIPTION"])


def test_the_calendar_feed_lists_upcoming_visible_activities_and_marks_cancelled_ones(client):
    ActivityFactory(title="公益瑜伽课")
    ActivityFactory(title="已取消的课", status=Activity.Status.CANCELLED)
    ActivityFactory(title="内部筹备", status=Activity.Status.PLANNED, is_public=False)
    start = timezone.now() - dt.timedelta(days=1)
    ActivityFactory(title="往期", starts_at=start, ends_at=start + dt.timedelta(hours=1))
    response = client.get(reverse("activities:feed"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "filename=" in response["Content-Disposition"]
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert sorted(events) == ["公益瑜伽课", "已取消的课"]
    assert str(events["已取消的课"]["STATUS"]) == "CANCELLED"
    assert (
        "STATUS" not in events["公益瑜伽课"] or str(events["公益瑜伽课"]["STATUS"]) != "CANCELLED"
    )


def test_the_poster_has_a_large_qr_code_of_the_activity_address(client):
    activity = ActivityFactory(
        title="小区音乐节",
        place="中心广场",
        partners=[PartnerFactory(name="甘肃兴邦社会工作服务中心")],
    )
    response = client.get(reverse("activities:poster", args=[activity.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="segno"' in html
    assert "小区音乐节" in html and "中心广场" in html and "甘肃兴邦社会工作服务中心" in html
    assert f"http://testserver/activities/{activity.pk}/" in html
    assert "css/print.css" in html


def test_poster_and_calendar_of_a_private_plan_are_not_found(client):
    activity = ActivityFactory(status=Activity.Status.PLANNED, is_public=False)
    assert client.get(reverse("activities:poster", args=[activity.pk])).status_code == 404
    assert client.get(reverse("activities:ics", args=[activity.pk])).status_code == 404


# --- projects ----------------------------------------------------------------------------


def test_projects_page_shows_status_progress_buildings_milestones_and_partner(client):
    from tests.factories import BuildingFactory

    partner = PartnerFactory(name="中铁二十一局德盛和物业")
    project = ServiceProjectFactory(title="供水管网更换", progress=60, partner=partner)
    project.buildings.set([BuildingFactory(number="3号楼")])
    MilestoneFactory(project=project, title="3号楼管道更换", done_on=timezone.localdate())
    MilestoneFactory(
        project=project, title="5号楼管道更换", due_on=timezone.localdate() + dt.timedelta(days=9)
    )
    html = client.get(reverse("activities:projects")).content.decode()
    assert "供水管网更换" in html and "进行中" in html
    assert 'data-progress="60"' in html
    assert "3号楼" in html
    assert "✓" in html and "3号楼管道更换" in html
    assert "计划 " in html
    assert "中铁二十一局德盛和物业" in html


# --- language, CSP -----------------------------------------------------------------------


def test_english_pages_are_served_under_en(client):
    response = client.get("/en/activities/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)|\sstyle=\"|\son[a-z]+=\"", re.I)


def test_pages_have_no_inline_scripts_styles_or_handlers(resident_client):
    data = populate(4, resident=resident_client.resident)
    activity = data["activities"][0]
    for url in (
        reverse("home"),
        reverse("activities:list"),
        detail_url(activity),
        reverse("activities:poster", args=[activity.pk]),
        reverse("activities:projects"),
    ):
        html = resident_client.get(url).content.decode()
        assert not INLINE.search(html), url


# --- queries do not grow with data -------------------------------------------------------

PAGES = ["home", "list", "past", "detail", "projects"]


def _url(name, activity):
    return {
        "home": reverse("home"),
        "list": reverse("activities:list"),
        "past": reverse("activities:list") + "?when=past",
        "detail": detail_url(activity),
        "projects": reverse("activities:projects"),
    }[name]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("logged_in", [True, False], ids=["resident", "anonymous"])
def test_query_counts_do_not_grow_with_activities_and_sign_ups(client, logged_in):
    resident = ResidentFactory()
    child_of(resident)
    if logged_in:
        client.force_login(resident.user)
    first = populate(5, resident=resident)["activities"][0]
    small = {name: _count(client, _url(name, first)) for name in PAGES}
    populate(195, resident=resident, start=5)
    large = {name: _count(client, _url(name, first)) for name in PAGES}
    assert small == large
