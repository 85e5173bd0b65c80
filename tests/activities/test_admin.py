"""Back office for activities: seats, sign-ups through the services, the check-in desk,
feedback publication and needs' triage."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, Feedback, Need, SignUp
from tests.factories import (
    ActivityFactory,
    ComplexFactory,
    FeedbackFactory,
    NeedFactory,
    ResidentFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

ACTIVITY_CHANGELIST = reverse("admin:activities_activity_changelist")
ACTIVITY_ADD = reverse("admin:activities_activity_add")
SIGNUP_CHANGELIST = reverse("admin:activities_signup_changelist")
SIGNUP_ADD = reverse("admin:activities_signup_add")


def _resident(**kwargs):
    return ResidentFactory(user=None, **kwargs)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _desk_says(response):
    """The check-in desk's result, shown large on the page after an action."""
    result = response.context["result"]
    return [result["headline"]] if result else []


def _desk(activity):
    return reverse("admin:activities_activity_check_in", args=[activity.pk])


def _split(value):
    local = timezone.localtime(value)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def _activity_form(activity=None, **overrides):
    """The activity change form as the browser posts it (sign-ups shown read-only)."""
    starts = timezone.now() + dt.timedelta(days=7)
    complex_ = activity.complex if activity else ComplexFactory()
    starts_at = activity.starts_at if activity else starts
    ends_at = activity.ends_at if activity else starts + dt.timedelta(hours=2)
    count = activity.signups.count() if activity else 0
    data = {
        "title": activity.title if activity else "消防演练",
        "category": "safety",
        "summary": "",
        "description": "",
        "complex": complex_.pk,
        "place": "小区党员阵地",
        "starts_at_0": _split(starts_at)[0],
        "starts_at_1": _split(starts_at)[1],
        "ends_at_0": _split(ends_at)[0],
        "ends_at_1": _split(ends_at)[1],
        "signup_opens_at_0": "",
        "signup_opens_at_1": "",
        "signup_closes_at_0": "",
        "signup_closes_at_1": "",
        "capacity": "10",
        "min_age": "",
        "max_age": "",
        "status": "open",
        "is_public": "on",
        "signups-TOTAL_FORMS": str(count),
        "signups-INITIAL_FORMS": str(count),
        "signups-MIN_NUM_FORMS": "0",
        "signups-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def _full_activity(capacity=10, waiting=0):
    activity = ActivityFactory(capacity=capacity)
    for _ in range(capacity):
        services.sign_up(activity=activity, resident=_resident())
    waitlisted = [
        services.sign_up(activity=activity, resident=_resident()).signup for _ in range(waiting)
    ]
    return activity, waitlisted


# --- activities ---------------------------------------------------------------------


def test_activity_list_shows_seats_taken_of_capacity_and_the_waiting_list(admin_client):
    activity, _waiting = _full_activity(capacity=3, waiting=2)
    unlimited = ActivityFactory(capacity=None)
    services.sign_up(activity=unlimited, resident=_resident())

    response = admin_client.get(ACTIVITY_CHANGELIST, {"o": "7"})

    rows = {a.pk: a for a in response.context["cl"].result_list}
    assert (rows[activity.pk].confirmed_count, rows[activity.pk].waitlisted_count) == (3, 2)
    page = response.content.decode()
    assert "3/3" in page
    assert "1/不限" in page


def test_activity_form_refuses_a_negative_capacity(admin_client):
    response = admin_client.post(ACTIVITY_ADD, _activity_form(capacity="-1"))

    assert response.status_code == 200
    assert "名额不能为负数。" in response.content.decode()
    assert not Activity.objects.exists()


def test_activity_form_refuses_an_end_before_the_start(admin_client):
    data = _activity_form()
    data["ends_at_0"], data["ends_at_1"] = _split(timezone.now())

    response = admin_client.post(ACTIVITY_ADD, data)

    assert response.status_code == 200
    assert "结束时间必须晚于开始时间。" in response.content.decode()
    assert not Activity.objects.exists()


def test_raising_the_capacity_confirms_waitlisted_residents_and_says_how_many(admin_client):
    activity, waiting = _full_activity(capacity=2, waiting=3)
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    response = admin_client.post(url, _activity_form(activity, capacity="4"), follow=True)

    statuses = [SignUp.objects.get(pk=s.pk).status for s in waiting]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert any("已有 2 位候补居民转为正式报名" in m for m in _messages(response))


def test_lowering_the_capacity_below_the_sign_ups_warns_and_keeps_them(admin_client):
    activity, _waiting = _full_activity(capacity=3)
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    response = admin_client.post(url, _activity_form(activity, capacity="2"), follow=True)

    assert activity.signups.filter(status="confirmed").count() == 3
    assert any("名额（2）少于已报名人数（3）" in m for m in _messages(response))


def test_activity_page_lists_sign_ups_with_waiting_list_order_and_desk_link(admin_client):
    activity, waiting = _full_activity(capacity=1, waiting=2)

    response = admin_client.get(reverse("admin:activities_activity_change", args=[activity.pk]))

    page = response.content.decode()
    assert _desk(activity) in page
    assert f"{SIGNUP_ADD}?activity={activity.pk}" in page
    [inline] = response.context["inline_admin_formsets"]
    queue = {form.form.instance.pk: form.form.instance.waitlist_position for form in inline}
    assert [queue[s.pk] for s in waiting] == [1, 2]


# --- sign-ups through the services --------------------------------------------------


def test_staff_sign_up_puts_the_11th_resident_on_the_waiting_list(admin_client, admin_user):
    activity, _waiting = _full_activity(capacity=10)
    eleventh = _resident(name="孙玉梅")

    response = admin_client.post(
        SIGNUP_ADD, {"activity": activity.pk, "resident": eleventh.pk}, follow=True
    )

    signup = SignUp.objects.get(activity=activity, resident=eleventh)
    assert signup.status == SignUp.Status.WAITLISTED
    assert signup.signed_up_by == admin_user
    assert any("候补第1位" in m for m in _messages(response))
    assert activity.signups.filter(status="confirmed").count() == 10


def test_staff_sign_up_confirms_a_resident_while_seats_are_left(admin_client):
    activity = ActivityFactory(title="公益瑜伽课")
    resident = _resident(name="孙玉梅")

    response = admin_client.post(SIGNUP_ADD, {"activity": activity.pk, "resident": resident.pk})

    signup = SignUp.objects.get()
    assert signup.status == SignUp.Status.CONFIRMED
    assert response.status_code == 302
    assert response["Location"] == f"{SIGNUP_CHANGELIST}?activity__id__exact={activity.pk}"
    assert _messages(response) == ["已为 孙玉梅 报名“公益瑜伽课”：已报名。"]


def test_save_and_add_another_returns_to_the_form_for_the_same_activity(admin_client):
    activity = ActivityFactory()
    url = f"{SIGNUP_ADD}?activity={activity.pk}"

    form = admin_client.get(url)
    response = admin_client.post(
        url, {"activity": activity.pk, "resident": _resident().pk, "_addanother": "1"}
    )

    assert form.context["form"].initial["activity"] == str(activity.pk)
    assert response.status_code == 302
    assert response["Location"] == url


def test_a_refused_sign_up_shows_on_the_form_and_writes_nothing(admin_client):
    activity = ActivityFactory(status=Activity.Status.CANCELLED)

    response = admin_client.post(SIGNUP_ADD, {"activity": activity.pk, "resident": _resident().pk})

    assert response.status_code == 200
    assert "该活动已取消。" in response.content.decode()
    assert not SignUp.objects.exists()


def test_a_party_members_only_activity_refuses_others_on_the_form(admin_client):
    activity = ActivityFactory(party_members_only=True)

    response = admin_client.post(SIGNUP_ADD, {"activity": activity.pk, "resident": _resident().pk})

    assert response.status_code == 200
    assert "该活动仅限党员报名。" in response.content.decode()
    assert not SignUp.objects.exists()


def test_signing_up_twice_makes_one_sign_up(admin_client):
    activity, resident = ActivityFactory(), _resident()
    data = {"activity": activity.pk, "resident": resident.pk}

    admin_client.post(SIGNUP_ADD, data)
    response = admin_client.post(SIGNUP_ADD, data)

    assert SignUp.objects.count() == 1
    assert any("未重复报名" in m for m in _messages(response))


def test_sign_up_add_form_needs_activity_and_resident(admin_client):
    response = admin_client.post(SIGNUP_ADD, {"activity": "", "resident": ""})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"activity", "resident"}


def test_a_sign_ups_status_cannot_be_changed_in_its_form(admin_client):
    signup = SignUpFactory(resident__user=None)
    url = reverse("admin:activities_signup_change", args=[signup.pk])

    page = admin_client.get(url).content.decode()
    admin_client.post(url, {"status": "cancelled", "attended": "on"})

    assert 'name="status"' not in page
    assert 'name="_save"' not in page
    signup.refresh_from_db()
    assert (signup.status, signup.attended) == ("confirmed", False)


def test_sign_ups_cannot_be_deleted_only_cancelled(admin_client):
    signup = SignUpFactory(resident__user=None)

    response = admin_client.post(
        reverse("admin:activities_signup_delete", args=[signup.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert SignUp.objects.filter(pk=signup.pk).exists()


def test_cancel_action_cancels_and_promotes_the_waiting_list(admin_client):
    activity, [waiting] = _full_activity(capacity=1, waiting=1)
    confirmed = activity.signups.get(status="confirmed")

    response = admin_client.post(
        SIGNUP_CHANGELIST,
        {"action": "cancel_signups", "_selected_action": [confirmed.pk]},
        follow=True,
    )

    confirmed.refresh_from_db()
    waiting.refresh_from_db()
    assert confirmed.status == "cancelled"
    assert waiting.status == "confirmed"
    assert "已取消 1 条报名。" in _messages(response)


def test_cancel_action_reports_a_refusal(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None, resident__name="周凤英")
    services.check_in(activity=signup.activity, code=signup.check_in_code)

    response = admin_client.post(
        SIGNUP_CHANGELIST,
        {"action": "cancel_signups", "_selected_action": [signup.pk]},
        follow=True,
    )

    signup.refresh_from_db()
    assert signup.status == "confirmed"
    assert any("周凤英" in m and "已签到的报名不能取消。" in m for m in _messages(response))


def test_check_in_and_undo_actions_go_through_the_services(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None)
    data = {"_selected_action": [signup.pk]}

    admin_client.post(SIGNUP_CHANGELIST, {**data, "action": "check_in_signups"})
    signup.refresh_from_db()
    assert signup.attended and signup.checked_in_at is not None

    admin_client.post(SIGNUP_CHANGELIST, {**data, "action": "undo_check_ins"})
    signup.refresh_from_db()
    assert not signup.attended and signup.checked_in_at is None


def test_check_in_action_refuses_a_waitlisted_resident(admin_client):
    _activity, [waiting] = _full_activity(capacity=1, waiting=1)

    response = admin_client.post(
        SIGNUP_CHANGELIST,
        {"action": "check_in_signups", "_selected_action": [waiting.pk]},
        follow=True,
    )

    waiting.refresh_from_db()
    assert not waiting.attended
    assert any("尚未获得名额" in m for m in _messages(response))


def test_sign_up_list_shows_waiting_list_order(admin_client):
    activity, waiting = _full_activity(capacity=1, waiting=2)

    response = admin_client.get(SIGNUP_CHANGELIST, {"activity__id__exact": activity.pk})

    queue = {s.pk: s.waitlist_position for s in response.context["cl"].result_list}
    assert [queue[s.pk] for s in waiting] == [1, 2]
    assert [queue[s.pk] for s in waiting] == [services.waitlist_position(s) for s in waiting]


# --- the check-in desk --------------------------------------------------------------


def test_check_in_desk_marks_the_resident_holding_the_code_present(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None, resident__name="刘淑珍")

    response = admin_client.post(
        _desk(signup.activity), {"code": signup.check_in_code}, follow=True
    )

    signup.refresh_from_db()
    assert signup.attended
    assert "签到成功：刘淑珍。" in _desk_says(response)
    assert [s.pk for s in response.context["checked_in"]] == [signup.pk]
    assert list(response.context["not_yet"]) == []


def test_check_in_desk_takes_the_code_from_a_scanned_link(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None, check_in_code="042137")

    admin_client.post(_desk(signup.activity), {"code": "https://gongjian.example/me/?code=042137"})

    signup.refresh_from_db()
    assert signup.attended


@pytest.mark.parametrize(
    ("code", "message"),
    [("999999", "签到码无效。"), ("12", "“12”不是六位数字签到码，请核对后重新输入。")],
)
def test_check_in_desk_refuses_a_bad_code_with_a_message(admin_client, code, message):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None, check_in_code="042137")

    response = admin_client.post(_desk(signup.activity), {"code": code}, follow=True)

    signup.refresh_from_db()
    assert not signup.attended
    assert message in _desk_says(response)


def test_check_in_desk_refuses_a_waitlisted_resident(admin_client):
    activity, [waiting] = _full_activity(capacity=1, waiting=1)

    response = admin_client.post(_desk(activity), {"code": waiting.check_in_code}, follow=True)

    waiting.refresh_from_db()
    assert not waiting.attended
    assert "该居民仍在候补名单上，尚未获得名额。" in _desk_says(response)


def test_check_in_desk_says_when_a_resident_is_already_checked_in(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None, resident__name="刘淑珍")
    services.check_in(activity=signup.activity, code=signup.check_in_code)

    response = admin_client.post(
        _desk(signup.activity), {"code": signup.check_in_code}, follow=True
    )

    assert any("刘淑珍 已于" in m and "无需重复签到" in m for m in _desk_says(response))


def test_check_in_desk_buttons_check_in_and_undo_by_name(admin_client):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None)
    other = SignUpFactory(activity__at_the_door=True, resident__user=None)
    desk = _desk(signup.activity)

    admin_client.post(desk, {"action": "check_in", "signup": signup.pk})
    signup.refresh_from_db()
    assert signup.attended

    admin_client.post(desk, {"action": "undo", "signup": signup.pk})
    signup.refresh_from_db()
    assert not signup.attended

    response = admin_client.post(desk, {"action": "check_in", "signup": other.pk}, follow=True)
    other.refresh_from_db()
    assert not other.attended
    assert "找不到该报名记录。" in _desk_says(response)


def test_check_in_desk_page_costs_the_same_queries_for_many_residents(
    admin_client, django_assert_max_num_queries
):
    activity = ActivityFactory(capacity=None, at_the_door=True)
    for i in range(30):
        signup = SignUpFactory(activity=activity, resident__user=None)
        if i % 2:
            services.check_in(activity=activity, code=signup.check_in_code)

    with django_assert_max_num_queries(10):
        response = admin_client.get(_desk(activity))

    assert response.status_code == 200
    assert len(response.context["checked_in"]) == 15


def test_secretary_cannot_use_the_check_in_desk_or_sign_residents_up(secretary_client):
    signup = SignUpFactory(resident__user=None)

    assert secretary_client.get(_desk(signup.activity)).status_code == 403
    assert (
        secretary_client.post(_desk(signup.activity), {"code": signup.check_in_code}).status_code
        == 403
    )
    assert secretary_client.get(SIGNUP_ADD).status_code == 403
    signup.refresh_from_db()
    assert not signup.attended


def test_secretary_reads_activities_read_only(secretary_client):
    activity = ActivityFactory(title="消防演练")
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    assert secretary_client.get(ACTIVITY_CHANGELIST).status_code == 200
    page = secretary_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert _desk(activity) not in page.content.decode()
    assert secretary_client.get(ACTIVITY_ADD).status_code == 403
    assert secretary_client.post(url, _activity_form(activity, title="改名")).status_code == 403
    activity.refresh_from_db()
    assert activity.title == "消防演练"


def test_staff_open_the_check_in_desk_from_the_activity_list(staff_client):
    activity = ActivityFactory()

    response = staff_client.post(
        ACTIVITY_CHANGELIST, {"action": "open_check_in_desk", "_selected_action": [activity.pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == _desk(activity)
    assert staff_client.get(_desk(activity)).status_code == 200


# --- feedback and needs -------------------------------------------------------------


def test_publish_action_publishes_feedback_the_resident_agreed_to(admin_client):
    agreed = FeedbackFactory(may_publish=True, signup__resident__user=None)
    refused = FeedbackFactory(
        may_publish=False, signup__resident__user=None, signup__resident__name="吴桂英"
    )

    response = admin_client.post(
        reverse("admin:activities_feedback_changelist"),
        {"action": "publish", "_selected_action": [agreed.pk, refused.pk]},
        follow=True,
    )

    agreed.refresh_from_db()
    refused.refresh_from_db()
    assert agreed.is_published and not refused.is_published
    messages = _messages(response)
    assert "已公开 1 条评价。" in messages
    assert any("吴桂英" in m and "居民未同意公开，不能公开此评价。" in m for m in messages)


def test_withdraw_action_unpublishes_feedback(admin_client):
    feedback = FeedbackFactory(may_publish=True, is_published=True, signup__resident__user=None)

    admin_client.post(
        reverse("admin:activities_feedback_changelist"),
        {"action": "withdraw", "_selected_action": [feedback.pk]},
    )

    feedback.refresh_from_db()
    assert not feedback.is_published


def test_staff_record_a_paper_rating_through_the_service(admin_client):
    signup = SignUpFactory(
        activity__held=True, resident__user=None, attended=True, checked_in_at=timezone.now()
    )
    absent = SignUpFactory(activity__held=True, resident__user=None)
    url = reverse("admin:activities_feedback_add")

    refused = admin_client.post(url, {"signup": absent.pk, "rating": "5", "comment": "好"})
    done = admin_client.post(url, {"signup": signup.pk, "rating": "4", "comment": "很实用"})

    assert "只有参加了活动的居民才能评价。" in refused.content.decode()
    assert done.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.signup, feedback.rating, feedback.may_publish) == (signup, 4, False)


def test_a_rating_out_of_range_is_refused_on_its_field(admin_client):
    signup = SignUpFactory(
        activity__held=True, resident__user=None, attended=True, checked_in_at=timezone.now()
    )

    response = admin_client.post(
        reverse("admin:activities_feedback_add"), {"signup": signup.pk, "rating": "9"}
    )

    assert response.status_code == 200
    assert "rating" in response.context["form"].errors
    assert not Feedback.objects.exists()


def test_needs_are_triaged_urgent_first_then_newest(admin_client):
    now = timezone.now()
    low = NeedFactory(urgency="low", created_at=now, resident__user=None)
    old_urgent = NeedFactory(
        urgency="urgent", created_at=now - dt.timedelta(days=2), resident__user=None
    )
    new_urgent = NeedFactory(urgency="urgent", created_at=now, resident__user=None)
    normal = NeedFactory(urgency="normal", created_at=now, resident__user=None)

    response = admin_client.get(reverse("admin:activities_need_changelist"))

    assert list(response.context["cl"].result_list) == [new_urgent, old_urgent, normal, low]


def test_need_actions_accept_and_resolve(admin_client):
    need = NeedFactory(resident__user=None)
    url = reverse("admin:activities_need_changelist")

    form = admin_client.post(url, {"action": "accept", "_selected_action": [need.pk]})
    assert form.status_code == 200 and "纳入已有项目" in form.content.decode()
    admin_client.post(url, {"action": "accept", "_selected_action": [need.pk], "apply": "1"})
    need.refresh_from_db()
    assert need.status == Need.Status.ACCEPTED

    # From the list of accepted needs (the list opens on the untriaged ones).
    admin_client.post(
        f"{url}?status=accepted", {"action": "resolve", "_selected_action": [need.pk]}
    )
    need.refresh_from_db()
    assert need.status == Need.Status.RESOLVED
    assert need.resolved_at is not None


def test_sign_up_added_from_a_popup_closes_it_and_selects_the_new_sign_up(admin_client):
    activity, resident = ActivityFactory(), _resident()
    url = f"{SIGNUP_ADD}?_popup=1&_to_field=id"

    form = admin_client.get(url)
    response = admin_client.post(
        url, {"activity": activity.pk, "resident": resident.pk, "_popup": "1", "_to_field": "id"}
    )

    assert 'name="_popup"' in form.content.decode()
    signup = SignUp.objects.get()
    assert response.status_code == 200
    assert "admin/popup_response.html" in [t.name for t in response.templates]
    assert f'"value": "{signup.pk}"' in response.content.decode().replace("&quot;", '"')


# --- history: reading old versions is not writing ----------------------------------


def _history_form(obj, version):
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def _need_form(need, **overrides):
    data = {
        "title": need.title,
        "description": need.description,
        "location": need.location,
        "category": need.category,
        "urgency": need.urgency,
        "resident": need.resident_id,
        "complex": need.complex_id or "",
        "status": need.status,
        "project": "",
        "staff_reply": need.staff_reply,
    }
    data.update(overrides)
    return data


def test_secretary_reads_a_needs_old_version_but_cannot_save_it(secretary_client):
    need = NeedFactory(title="楼道灯坏了", resident__user=None)
    need.title = "楼道灯坏了两盏"
    need.save()
    first = need.history.order_by("history_date").first()

    page = secretary_client.get(_history_form(need, first))
    response = secretary_client.post(_history_form(need, first), _need_form(need, title="秘书改的"))

    assert page.status_code == 200
    assert response.status_code == 403
    need.refresh_from_db()
    assert need.title == "楼道灯坏了两盏"
    assert need.history.count() == 2


def test_secretary_cannot_cancel_an_activity_through_its_history(secretary_client):
    activity = ActivityFactory(title="消防演练", capacity=10)
    version = activity.history.first()

    response = secretary_client.post(
        _history_form(activity, version),
        _activity_form(activity, capacity="1", status="cancelled"),
    )

    assert response.status_code == 403
    activity.refresh_from_db()
    assert (activity.status, activity.capacity) == (Activity.Status.OPEN, 10)


def test_staff_can_still_revert_a_need_to_an_old_version(staff_client):
    need = NeedFactory(title="楼道灯坏了", resident__user=None)
    need.title = "写错的标题"
    need.save()
    first = need.history.order_by("history_date").first()

    response = staff_client.post(_history_form(need, first), _need_form(need, title="楼道灯坏了"))

    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "楼道灯坏了"


# --- check-in desk: a bad sign-up id ------------------------------------------------


@pytest.mark.parametrize(
    "signup_id", ["abc", "1.5", "", "-1", "0", "١٢", "99999999999999999999999"]
)
def test_check_in_desk_refuses_a_sign_up_id_that_is_not_one(admin_client, signup_id):
    signup = SignUpFactory(activity__at_the_door=True, resident__user=None)

    response = admin_client.post(_desk(signup.activity), {"action": "check", "signup": signup_id})

    assert response.status_code == 302
    assert _desk_says(admin_client.get(_desk(signup.activity))) == ["找不到该报名记录。"]
    signup.refresh_from_db()
    assert not signup.attended


# --- change pages: queries do not grow with sign-ups or buildings ------------------


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_activity_page_costs_the_same_queries_for_5_and_30_sign_ups(admin_client):
    few, many = ActivityFactory(capacity=20), ActivityFactory(capacity=20)
    for activity, count in ((few, 5), (many, 30)):
        for i in range(count):
            SignUpFactory(
                activity=activity,
                resident__user=None,
                status="confirmed" if i < 20 else "waitlisted",
            )
    url = lambda a: reverse("admin:activities_activity_change", args=[a.pk])  # noqa: E731
    admin_client.get(url(few))  # warm the per-process caches

    at_5 = _count_queries(admin_client, url(few))
    at_30 = _count_queries(admin_client, url(many))

    assert at_30 == at_5, f"{at_5} queries with 5 sign-ups, {at_30} with 30"


def test_service_project_page_costs_the_same_queries_for_1_and_6_buildings(admin_client):
    from tests.factories import BuildingFactory, ServiceProjectFactory

    one, six = ServiceProjectFactory(), ServiceProjectFactory()
    one.buildings.set([BuildingFactory()])
    six.buildings.set([BuildingFactory() for _ in range(6)])
    url = lambda p: reverse("admin:activities_serviceproject_change", args=[p.pk])  # noqa: E731
    admin_client.get(url(one))

    at_1 = _count_queries(admin_client, url(one))
    at_6 = _count_queries(admin_client, url(six))

    assert at_6 == at_1, f"{at_1} queries with 1 building, {at_6} with 6"


def test_staff_open_an_activity_to_the_subdistrict_and_limit_it_to_residents(admin_client):
    activity = ActivityFactory()
    url = reverse("admin:activities_activity_change", args=[activity.pk])
    assert 'name="audience"' in admin_client.get(url).content.decode()

    response = admin_client.post(
        url, _activity_form(activity, audience="subdistrict", residents_only="on")
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.audience == Activity.Audience.SUBDISTRICT
    assert activity.residents_only


def test_an_activity_form_without_the_audience_keeps_it_for_the_community(admin_client):
    activity = ActivityFactory(audience=Activity.Audience.SUBDISTRICT)
    url = reverse("admin:activities_activity_change", args=[activity.pk])

    assert admin_client.post(url, _activity_form(activity)).status_code == 302

    activity.refresh_from_db()
    assert activity.audience == Activity.Audience.COMMUNITY
    assert not activity.residents_only
