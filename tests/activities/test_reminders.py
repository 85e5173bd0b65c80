"""The residents' inbox and the daily job: day-before reminders, works notices, the staff's
digest; idempotent, and safe on two servers at once (PostgreSQL, threads)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from activities import reminders, services
from activities.models import Activity, ServiceProject, SignUp
from core.roles import STAFF_GROUP
from residents import sms
from residents.models import Notification, StaffNotice
from residents.services import notify
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    LeadFactory,
    NeedFactory,
    ResidentFactory,
    ServiceProjectFactory,
    SignUpFactory,
    StaffUserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def _tomorrow_at(hour):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def staff_with_email(db):
    user = StaffUserFactory(email="staff@example.cn")
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


# --- the inbox -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_once_per_key_and_only_residents_with_a_login(django_capture_on_commit_callbacks):
    resident = ResidentFactory(email="r@example.cn")
    without_login = ResidentFactory(user=None)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(resident=resident, kind="reminder", title="明天", dedupe_key="k")
        again = notify(resident=resident, kind="reminder", title="明天", dedupe_key="k")
        nobody = notify(resident=without_login, kind="reminder", title="明天")
    assert first is not None and again is None and nobody is None
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_resident_without_e_mail_gets_a_text(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "residents.sms.LocmemBackend"
    sms.outbox.clear()
    resident = ResidentFactory(email="", phone="13900000099")
    with django_capture_on_commit_callbacks(execute=True):
        notify(resident=resident, kind="reminder", title="明天的活动")
    assert [m.phone for m in sms.outbox] == ["13900000099"]
    assert Notification.objects.get().texted_at is not None


@pytest.mark.django_db
def test_inbox_on_me_with_the_unread_count_in_the_header(resident_client):
    notify(resident=resident_client.resident, kind="need_answered", title="您的需求已解决")
    home = resident_client.get(reverse("home")).content.decode()
    assert "条未读消息" in home

    me = resident_client.get(reverse("residents:me")).content.decode()
    assert "我的消息" in me and "您的需求已解决" in me
    assert Notification.objects.get().read_at is not None
    assert "条未读消息" not in resident_client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_inbox_is_in_the_download_and_forgotten_with_the_resident(resident_client):
    from residents.services import anonymise_resident

    notify(resident=resident_client.resident, kind="reminder", title="明天的活动")
    data = resident_client.get(reverse("residents:export")).json()
    assert data["inbox"][0]["title"] == "明天的活动"
    anonymise_resident(resident=resident_client.resident)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_promotion_from_the_waiting_list_reaches_the_inbox():
    activity = ActivityFactory(capacity=1)
    first, second = ResidentFactory(), ResidentFactory()
    taken = services.sign_up(activity=activity, resident=first).signup
    services.sign_up(activity=activity, resident=second)
    services.cancel(signup=taken)
    [note] = Notification.objects.filter(resident=second)
    assert note.kind == Notification.Kind.PROMOTED


@pytest.mark.django_db
def test_residents_hear_when_staff_cancel_or_move_an_activity(staff_client):
    activity = ActivityFactory(place="党员活动室")
    signup = SignUpFactory(activity=activity)
    SignUpFactory(activity=activity, status=SignUp.Status.CANCELLED)
    before = Activity.objects.get(pk=activity.pk)

    activity.place = "小区广场"
    activity.save()
    assert services.tell_activity_changed(activity=activity, before=before) == 1
    assert services.tell_activity_changed(activity=activity, before=before) == 0  # told once

    before = Activity.objects.get(pk=activity.pk)
    activity.status = Activity.Status.CANCELLED
    activity.save()
    services.tell_activity_changed(activity=activity, before=before)

    kinds = list(
        Notification.objects.filter(resident=signup.resident)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["activity_changed", "activity_cancelled"]


# --- the daily job -------------------------------------------------------------------------


@pytest.mark.django_db
def test_day_before_reminders_go_to_confirmed_residents_of_tomorrows_activities_once(
    django_capture_on_commit_callbacks,
):
    tomorrow = ActivityFactory(starts_at=_tomorrow_at(9), ends_at=_tomorrow_at(11))
    late = ActivityFactory(
        starts_at=_tomorrow_at(23), ends_at=_tomorrow_at(23) + dt.timedelta(minutes=30)
    )
    cancelled = ActivityFactory(
        starts_at=_tomorrow_at(9), ends_at=_tomorrow_at(11), status=Activity.Status.CANCELLED
    )
    in_two_days = ActivityFactory(
        starts_at=_tomorrow_at(9) + dt.timedelta(days=1),
        ends_at=_tomorrow_at(11) + dt.timedelta(days=1),
    )
    told = SignUpFactory(activity=tomorrow, resident__email="a@example.cn")
    SignUpFactory(activity=late)
    SignUpFactory(activity=tomorrow, status=SignUp.Status.WAITLISTED, confirmed_at=None)
    SignUpFactory(activity=cancelled)
    SignUpFactory(activity=in_two_days)

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_day_before_reminders() == 2
        assert reminders.send_day_before_reminders() == 0
        call_command("send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Notification.objects.filter(kind="reminder").count() == 2
    assert [m.to for m in mail.outbox] == [["a@example.cn"]]
    assert told.check_in_code in mail.outbox[0].body


@pytest.mark.django_db
def test_works_notices_reach_the_residents_of_the_buildings_once(resident):
    project = ServiceProjectFactory(status=ServiceProject.Status.IN_PROGRESS)
    project.buildings.add(resident.household.building)
    ResidentFactory()  # elsewhere

    assert reminders.send_works_notices() == 1
    assert reminders.send_works_notices() == 0
    services.complete_project(project=project)
    assert reminders.send_works_notices() == 1
    assert list(
        Notification.objects.filter(resident=resident, kind="works")
        .order_by("pk")
        .values_list("title", flat=True)
    ) == [f"您所在楼栋有施工：{project.title}", f"楼栋工程已完成：{project.title}"]


@pytest.mark.django_db
def test_the_staff_digest_lists_the_days_work_and_is_sent_once(staff_with_email):
    today = timezone.localdate()
    AgreementFactory(title="快到期的协议", ends_on=today + dt.timedelta(days=20))
    AgreementFactory(title="还早的协议", ends_on=today + dt.timedelta(days=200))
    LeadFactory(organisation="该跟进的单位", follow_up_on=today - dt.timedelta(days=1))
    LeadFactory(organisation="下周跟进的单位", follow_up_on=today + dt.timedelta(days=7))
    NeedFactory(title="路灯不亮", created_at=timezone.now() - dt.timedelta(hours=1))

    assert reminders.send_staff_digest() is True
    assert reminders.send_staff_digest() is False

    [message] = mail.outbox
    assert message.to == ["staff@example.cn"]
    assert "快到期的协议" in message.body and "还早的协议" not in message.body
    assert "该跟进的单位" in message.body and "下周跟进的单位" not in message.body
    assert "路灯不亮" in message.body
    assert StaffNotice.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_digest_is_sent_again_by_the_next_run(staff_with_email, monkeypatch):
    NeedFactory(created_at=timezone.now() - dt.timedelta(hours=1))

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    with pytest.raises(ConnectionError):
        reminders.send_staff_digest()
    assert not StaffNotice.objects.exists()
    monkeypatch.undo()
    assert reminders.send_staff_digest() is True


# --- two servers at once (PostgreSQL) ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL: threads share no in-memory SQLite database"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_servers_running_send_reminders_at_once_send_each_message_once():
    group = Group.objects.get(name=STAFF_GROUP)
    staff = StaffUserFactory(email="staff@example.cn")
    staff.groups.add(group)
    activity = ActivityFactory(starts_at=_tomorrow_at(9), ends_at=_tomorrow_at(11), capacity=None)
    for i in range(20):
        SignUpFactory(activity=activity, resident__email=f"r{i}@example.cn")
    NeedFactory(created_at=timezone.now() - dt.timedelta(hours=1))

    barrier = threading.Barrier(4, timeout=60)
    errors = []

    def server():
        try:
            barrier.wait()
            call_command("send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=server) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert Notification.objects.filter(kind="reminder").count() == 20
    reminder_mails = [m for m in mail.outbox if m.to != ["staff@example.cn"]]
    assert sorted(m.to[0] for m in reminder_mails) == sorted(f"r{i}@example.cn" for i in range(20))
    assert [m.to for m in mail.outbox if m.to == ["staff@example.cn"]] == [["staff@example.cn"]]
    assert StaffNotice.objects.count() == 1
