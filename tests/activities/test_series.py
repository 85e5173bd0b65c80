"""Repeating activities: a series in one step, one occurrence or this-and-following
changed, the rest cancelled; duplicating an activity as a draft."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities import series as series_services, services
from activities.models import Activity, Series, SignUp
from residents.models import Notification
from tests.factories import (
    ActivityFactory,
    ComplexFactory,
    PartnerFactory,
    ResidentFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def _first(starts_at, **kwargs):
    """The unsaved first occurrence a series is made from."""
    return Activity(
        title=kwargs.pop("title", "每周瑜伽"),
        category="health",
        complex=kwargs.pop("complex", None) or ComplexFactory(),
        place="党群服务中心二楼",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1, minutes=30),
        capacity=20,
        status=Activity.Status.OPEN,
        **kwargs,
    )


def _local_starts(series):
    return [
        timezone.localtime(a.starts_at, SHANGHAI).strftime("%Y-%m-%d %H:%M %a")
        for a in series.activities.order_by("starts_at")
    ]


def _frozen_now(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_weekly_series_across_a_month_boundary_keeps_the_local_time(monkeypatch):
    _frozen_now(monkeypatch, _local(2026, 11, 1, 8))
    partner = PartnerFactory()

    series = series_services.create_series(
        activity=_first(_local(2026, 11, 18, 9, 30)),
        rule=series_services.Rule(frequency="weekly", count=4),
        partners=[partner],
    )

    assert _local_starts(series) == [
        "2026-11-18 09:30 Wed",
        "2026-11-25 09:30 Wed",
        "2026-12-02 09:30 Wed",
        "2026-12-09 09:30 Wed",
    ]
    occurrences = list(series.activities.all())
    assert all(a.ends_at - a.starts_at == dt.timedelta(hours=1, minutes=30) for a in occurrences)
    assert all(list(a.partners.all()) == [partner] for a in occurrences)
    # 09:30 in Shanghai is 01:30 UTC all year round (no daylight saving time).
    assert {a.starts_at.astimezone(dt.UTC).strftime("%H:%M") for a in occurrences} == {"01:30"}
    assert "FREQ=WEEKLY" in series.rule and "COUNT=4" in series.rule
    assert series.description == "每周三 09:30，共4次"


def test_every_two_weeks_until_a_date_includes_that_day(monkeypatch):
    _frozen_now(monkeypatch, _local(2026, 12, 1, 8))

    series = series_services.create_series(
        activity=_first(_local(2026, 12, 16, 19, 0)),
        rule=series_services.Rule(frequency="weekly", interval=2, until=dt.date(2027, 1, 27)),
    )

    assert _local_starts(series) == [
        "2026-12-16 19:00 Wed",
        "2026-12-30 19:00 Wed",
        "2027-01-13 19:00 Wed",
        "2027-01-27 19:00 Wed",
    ]


def test_monthly_on_the_second_tuesday_across_the_year_end(monkeypatch):
    _frozen_now(monkeypatch, _local(2026, 11, 1, 8))

    # 2026-11-10 is the 2nd Tuesday of November.
    series = series_services.create_series(
        activity=_first(_local(2026, 11, 10, 14, 0)),
        rule=series_services.Rule(frequency="monthly", count=4),
    )

    assert _local_starts(series) == [
        "2026-11-10 14:00 Tue",
        "2026-12-08 14:00 Tue",
        "2027-01-12 14:00 Tue",
        "2027-02-09 14:00 Tue",
    ]
    assert series.description == "每月第2个周二 14:00，共4次"


def test_monthly_from_a_fifth_weekday_repeats_on_the_last_one(monkeypatch):
    _frozen_now(monkeypatch, _local(2026, 11, 1, 8))

    # 2026-12-31 is the 5th (so the last) Thursday of December.
    series = series_services.create_series(
        activity=_first(_local(2026, 12, 31, 10, 0)),
        rule=series_services.Rule(frequency="monthly", count=3),
    )

    assert _local_starts(series) == [
        "2026-12-31 10:00 Thu",
        "2027-01-28 10:00 Thu",
        "2027-02-25 10:00 Thu",
    ]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (series_services.Rule(frequency="weekly"), "until_or_count"),
        (
            series_services.Rule(frequency="weekly", count=3, until=dt.date(2027, 1, 1)),
            "until_or_count",
        ),
        (series_services.Rule(frequency="weekly", count=500), "count"),
        (series_services.Rule(frequency="weekly", until=dt.date(2026, 1, 1)), "until"),
        (series_services.Rule(frequency="weekly", until=dt.date(2030, 1, 1)), "too_many"),
        (series_services.Rule(frequency="daily", count=3), "frequency"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_written(rule, code):
    with pytest.raises(ValidationError) as refused:
        series_services.create_series(
            activity=_first(timezone.now() + dt.timedelta(days=3)), rule=rule
        )

    assert refused.value.code == code
    assert not Series.objects.exists() and not Activity.objects.exists()


def _weekly(count=4, **kwargs):
    first = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    return series_services.create_series(
        activity=_first(first, **kwargs), rule=series_services.Rule(frequency="weekly", count=count)
    )


def test_one_occurrence_is_changed_like_any_activity(admin_client):
    series = _weekly()
    second = series.activities.order_by("starts_at")[1]
    url = reverse("admin:activities_activity_change", args=[second.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        **{k: v for k, v in form.initial.items() if v is not None and k != "partners"},
        "starts_at_0": timezone.localtime(second.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": timezone.localtime(second.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": "11:30:00",
        "series_scope": "one",
        "signups-TOTAL_FORMS": "0",
        "signups-INITIAL_FORMS": "0",
    }
    for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
        data.pop(name, None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    times = [
        timezone.localtime(a.starts_at).strftime("%H:%M")
        for a in series.activities.order_by("starts_at")
    ]
    assert times == ["09:30", "10:00", "09:30", "09:30"]


def test_this_and_following_move_time_place_and_capacity_and_fill_new_seats():
    series = _weekly(count=4)
    first, second, third, fourth = series.activities.order_by("starts_at")
    resident = ResidentFactory(user=None)
    SignUpFactory(activity=third, resident__user=None)  # takes the one seat below
    services.change_capacity(activity=third, capacity=1)
    waiting = services.sign_up(activity=third, resident=resident).signup
    assert waiting.status == SignUp.Status.WAITLISTED
    new_start = timezone.localtime(second.starts_at).replace(hour=15, minute=0)

    result = series_services.change_following(
        activity=second,
        starts_at=new_start,
        ends_at=new_start + dt.timedelta(hours=2),
        place="小区广场",
        capacity=5,
    )

    assert [a.pk for a in result.changed] == [second.pk, third.pk, fourth.pk]
    rows = list(series.activities.order_by("starts_at"))
    assert [timezone.localtime(a.starts_at).strftime("%H:%M") for a in rows] == [
        "09:30",
        "15:00",
        "15:00",
        "15:00",
    ]
    assert [a.ends_at - a.starts_at for a in rows[1:]] == [dt.timedelta(hours=2)] * 3
    assert [a.place for a in rows] == ["党群服务中心二楼", "小区广场", "小区广场", "小区广场"]
    assert [a.capacity for a in rows] == [20, 5, 5, 5]
    waiting.refresh_from_db()
    assert waiting.status == SignUp.Status.CONFIRMED


def test_this_and_following_can_move_to_another_weekday():
    series = _weekly(count=3)
    first, second, third = series.activities.order_by("starts_at")
    signed_up = SignUpFactory(activity=third)
    new_start = timezone.localtime(second.starts_at) + dt.timedelta(days=1)

    series_services.change_following(
        activity=second, starts_at=new_start, ends_at=new_start + dt.timedelta(hours=1)
    )

    # The resident signed up for a moved occurrence is told of its new time.
    [notice] = Notification.objects.filter(resident=signed_up.resident)
    assert notice.kind == Notification.Kind.ACTIVITY_CHANGED

    third.refresh_from_db()
    assert timezone.localtime(third.starts_at).weekday() == new_start.weekday()
    first.refresh_from_db()
    assert timezone.localtime(first.starts_at).weekday() != new_start.weekday()


def test_this_and_following_through_the_admin_form(admin_client):
    series = _weekly(count=3)
    first, second, third = series.activities.order_by("starts_at")
    url = reverse("admin:activities_activity_change", args=[second.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        **{k: v for k, v in form.initial.items() if v is not None and k != "partners"},
        "starts_at_0": timezone.localtime(second.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": "18:00:00",
        "ends_at_0": timezone.localtime(second.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": "19:00:00",
        "place": "小区广场",
        "series_scope": "following",
        "signups-TOTAL_FORMS": "0",
        "signups-INITIAL_FORMS": "0",
    }
    for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
        data.pop(name, None)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    third.refresh_from_db()
    first.refresh_from_db()
    assert timezone.localtime(third.starts_at).strftime("%H:%M") == "18:00"
    assert third.place == "小区广场"
    assert timezone.localtime(first.starts_at).strftime("%H:%M") == "09:30"


def test_cancel_the_rest_of_a_series_keeps_sign_ups_and_tells_residents(
    django_capture_on_commit_callbacks,
):
    series = _weekly(count=4)
    first, second, third, fourth = series.activities.order_by("starts_at")
    told = SignUpFactory(activity=third, resident__email="a@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = series_services.cancel_rest(activity=second)

    assert [a.pk for a in cancelled] == [second.pk, third.pk, fourth.pk]
    statuses = list(series.activities.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["open", "cancelled", "cancelled", "cancelled"]
    told.refresh_from_db()
    assert told.status == SignUp.Status.CONFIRMED  # kept as it was, in the history
    # Told as from the change form: in the inbox on /me/, and by e-mail.
    [notice] = Notification.objects.filter(resident=told.resident)
    assert notice.kind == Notification.Kind.ACTIVITY_CANCELLED
    assert [m.to for m in mail.outbox] == [["a@example.cn"]]
    assert "取消" in mail.outbox[0].subject


def test_cancel_rest_of_a_series_from_the_admin(admin_client):
    series = _weekly(count=3)
    second = series.activities.order_by("starts_at")[1]

    admin_client.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "cancel_rest_of_series", "_selected_action": [second.pk]},
    )

    assert series.activities.filter(status="cancelled").count() == 2


def test_an_activity_outside_a_series_is_refused():
    with pytest.raises(ValidationError) as refused:
        series_services.cancel_rest(activity=ActivityFactory())
    assert refused.value.code == "no_series"


def test_an_ended_activity_cannot_be_cancelled():
    past = ActivityFactory(
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2, hours=-2),
    )
    with pytest.raises(ValidationError) as refused:
        services.cancel_activity(activity=past)
    assert refused.value.code == "over"


def test_series_created_in_one_step_in_the_admin(staff_client):
    complex_ = ComplexFactory()
    response = staff_client.post(
        reverse("admin:activities_activity_add_series"),
        {
            "title": "太极拳",
            "category": "health",
            "complex": complex_.pk,
            "place": "小区广场",
            "starts_at_0": "2027-03-03",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2027-03-03",
            "ends_at_1": "09:00:00",
            "capacity": "15",
            "status": "open",
            "is_public": "on",
            "frequency": "weekly",
            "interval": "1",
            "until": "2027-03-31",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    series = Series.objects.get()
    assert series.activities.count() == 5
    assert series.created_by is not None


def test_duplicate_makes_a_draft_with_the_same_details_and_no_sign_ups(admin_client):
    partner = PartnerFactory()
    original = ActivityFactory(title="消防演练", partners=[partner], capacity=30)
    SignUpFactory(activity=original, resident__user=None)

    response = admin_client.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "duplicate_as_draft", "_selected_action": [original.pk]},
    )

    copy = Activity.objects.exclude(pk=original.pk).get()
    assert response["Location"] == reverse("admin:activities_activity_change", args=[copy.pk])
    assert (copy.title, copy.capacity, copy.place) == ("消防演练", 30, original.place)
    assert (copy.status, copy.is_public) == (Activity.Status.PLANNED, False)
    assert list(copy.partners.all()) == [partner]
    assert not copy.signups.exists()
