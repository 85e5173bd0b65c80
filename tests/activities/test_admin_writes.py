"""The back office writes through the services: a capacity change, a need's triage (form
and actions), and sign-ups whose history says who did what. A refusal is a message on the
page, and nothing is half written."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities import services
from activities.models import Need, SignUp
from tests.activities.test_admin import _activity_form, _full_activity, _need_form
from tests.factories import NeedFactory, ServiceProjectFactory, SignUpFactory

pytestmark = pytest.mark.django_db

NEED_CHANGELIST = reverse("admin:activities_need_changelist")


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _change(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


# --- capacity ----------------------------------------------------------------------------


def test_a_capacity_raised_with_other_edits_is_one_version_by_the_member_of_staff(
    staff_client, staff_user
):
    activity, waiting = _full_activity(capacity=1, waiting=1)
    versions = activity.history.count()

    response = staff_client.post(
        _change(activity), _activity_form(activity, capacity="2", title="消防疏散演练")
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.capacity) == ("消防疏散演练", 2)
    assert activity.history.count() == versions + 1
    assert activity.history.first().history_user == staff_user
    waiting[0].refresh_from_db()
    assert waiting[0].status == SignUp.Status.CONFIRMED


def test_a_capacity_change_refused_while_saving_is_a_message_and_writes_nothing(
    admin_client, monkeypatch
):
    activity, _waiting = _full_activity(capacity=1, waiting=1)

    def refuse(**kwargs):
        raise ValidationError("名额不能为负数。", code="negative_capacity")

    monkeypatch.setattr(services, "change_capacity", refuse)
    url = _change(activity)
    response = admin_client.post(url, _activity_form(activity, capacity="3", title="改了名字"))

    assert response.status_code == 302 and response.url == url
    assert _messages(response) == ["名额不能为负数。"]
    activity.refresh_from_db()
    assert activity.capacity == 1
    assert activity.title != "改了名字"
    assert activity.signups.filter(status=SignUp.Status.WAITLISTED).count() == 1


# --- needs -------------------------------------------------------------------------------


def test_resolving_a_need_in_its_form_records_when_and_reopening_clears_it(admin_client):
    need = NeedFactory(resident__user=None)

    admin_client.post(_change(need), _need_form(need, status="resolved", staff_reply="已修好"))
    need.refresh_from_db()
    resolved_at = need.resolved_at
    admin_client.post(_change(need), _need_form(need, status="accepted"))
    need.refresh_from_db()

    assert resolved_at is not None
    assert (need.status, need.resolved_at, need.staff_reply) == ("accepted", None, "已修好")


def test_the_need_form_asks_for_the_project_of_a_need_put_in_one(admin_client):
    need = NeedFactory(resident__user=None)

    response = admin_client.post(_change(need), _need_form(need, status="in_project"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["project"] == [
        "“已纳入项目”的需求必须选择对应项目。"
    ]
    need.refresh_from_db()
    assert need.status == Need.Status.NEW


def test_the_need_form_puts_a_need_in_its_project(admin_client):
    need = NeedFactory(resident__user=None)
    project = ServiceProjectFactory()

    response = admin_client.post(
        _change(need), _need_form(need, status="in_project", project=project.pk)
    )

    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.project) == (Need.Status.IN_PROJECT, project)


def test_the_need_form_refuses_sending_a_triaged_need_back_to_new(admin_client):
    need = NeedFactory(resident__user=None, status=Need.Status.ACCEPTED)

    response = admin_client.post(_change(need), _need_form(need, status="new"))

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    need.refresh_from_db()
    assert need.status == Need.Status.ACCEPTED


def test_staff_record_a_resolved_need_reported_at_the_desk(admin_client):
    response = admin_client.post(
        reverse("admin:activities_need_add"),
        {
            "title": "单元门禁坏了",
            "category": "living",
            "urgency": "normal",
            "status": "resolved",
            "staff_reply": "当场修好",
        },
    )

    assert response.status_code == 302
    need = Need.objects.get()
    assert need.resolved_at is not None


def test_need_actions_name_the_member_of_staff_and_decline_clears_resolved_at(
    staff_client, staff_user
):
    need = NeedFactory(resident__user=None, status=Need.Status.RESOLVED)

    response = staff_client.post(
        f"{NEED_CHANGELIST}?status=resolved",
        {"action": "decline", "_selected_action": [need.pk], "apply": "1", "staff_reply": "不属实"},
        follow=True,
    )

    need.refresh_from_db()
    assert (need.status, need.resolved_at) == (Need.Status.DECLINED, None)
    assert need.history.first().history_user == staff_user
    assert "已将 1 条需求标记为“暂不受理”。" in _messages(response)


def test_a_need_action_reports_a_refusal_and_does_the_others(admin_client, monkeypatch):
    refused, fine = (
        NeedFactory(resident__user=None, title="楼道灯坏了"),
        NeedFactory(resident__user=None, title="路面积水"),
    )
    triage = services.triage_need

    def refuse_one(*, need, **kwargs):
        if need == refused.pk:
            raise ValidationError("找不到该需求。", code="not_found")
        return triage(need=need, **kwargs)

    monkeypatch.setattr(services, "triage_need", refuse_one)
    response = admin_client.post(
        NEED_CHANGELIST,
        {"action": "accept", "_selected_action": [refused.pk, fine.pk], "apply": "1"},
        follow=True,
    )

    refused.refresh_from_db()
    fine.refresh_from_db()
    assert (refused.status, fine.status) == (Need.Status.NEW, Need.Status.ACCEPTED)
    messages = _messages(response)
    assert "已受理 1 条需求。" in messages
    assert "楼道灯坏了：找不到该需求。" in messages


# --- sign-ups: who did what --------------------------------------------------------------


def test_a_sign_ups_page_shows_who_checked_in_and_who_cancelled(staff_client, staff_user):
    signup = SignUpFactory(resident__user=None)
    staff_client.post(
        reverse("admin:activities_signup_changelist"),
        {"action": "check_in_signups", "_selected_action": [signup.pk]},
    )

    page = staff_client.get(_change(signup)).content.decode()

    signup.refresh_from_db()
    assert signup.checked_in_by == staff_user
    assert "签到操作人" in page and "取消操作人" in page
    assert staff_user.username in page


def test_a_sign_ups_history_is_shown_in_the_back_office(staff_client, staff_user):
    activity, [waiting] = _full_activity(capacity=1, waiting=1)
    confirmed = activity.signups.get(status=SignUp.Status.CONFIRMED)
    staff_client.post(
        reverse("admin:activities_signup_changelist"),
        {"action": "cancel_signups", "_selected_action": [confirmed.pk]},
    )

    page = staff_client.get(reverse("admin:activities_signup_history", args=[confirmed.pk]))

    assert page.status_code == 200
    assert staff_user.username in page.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.cancelled_by == staff_user
    assert confirmed.history.first().history_user == staff_user


def test_the_secretary_reads_a_sign_ups_history(secretary_client):
    signup = SignUpFactory(resident__user=None)
    services.cancel(signup=signup)

    page = secretary_client.get(reverse("admin:activities_signup_history", args=[signup.pk]))

    assert page.status_code == 200
