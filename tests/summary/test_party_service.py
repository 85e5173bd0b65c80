"""The monthly summary's party members' service (双报到): members who served, hours."""

import datetime as dt

import pytest
from django.utils import timezone

from summary.party import party_members_service
from tests.factories import ActivityFactory, ResidentFactory
from volunteering.models import PartyMember, RoleSignUp, VolunteerRole

pytestmark = pytest.mark.django_db


def _serve(member, *, starts_at, hours):
    activity = ActivityFactory(starts_at=starts_at, status="held")
    role = VolunteerRole.objects.create(activity=activity, name="引导员", places=4)
    return RoleSignUp.objects.create(
        role=role,
        activity=activity,
        resident=member.resident,
        member=member,
        status="confirmed",
        hours=hours,
    )


def test_the_month_counts_members_who_served_in_it_and_their_hours_only():
    zone = timezone.get_current_timezone()
    one = PartyMember.objects.create(resident=ResidentFactory(is_party_member=True))
    two = PartyMember.objects.create(resident=ResidentFactory(is_party_member=True))
    PartyMember.objects.create(name="在外党员")
    _serve(one, starts_at=dt.datetime(2026, 3, 1, 0, 30, tzinfo=zone), hours=2)
    _serve(one, starts_at=dt.datetime(2026, 3, 15, 9, tzinfo=zone), hours=1.5)
    _serve(two, starts_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=zone), hours=1)
    _serve(two, starts_at=dt.datetime(2026, 2, 28, 23, 30, tzinfo=zone), hours=5)

    figures = party_members_service(year=2026, month=3)

    assert figures.members == 2
    assert figures.hours == 4.5
    assert figures.reported == 3


def test_the_month_page_shows_party_members_service(secretary_client):
    today = timezone.localdate()

    page = secretary_client.get(f"/summary/{today.year}/{today.month:02d}/").content.decode()

    assert "党员志愿服务" in page


def _march_members():
    """Two members of 中国移动 and one reporting on their own served in March 2026; a fourth
    member's service was in February."""
    from volunteering.models import ReportingUnit, ServicePost

    zone = timezone.get_current_timezone()
    mobile = ReportingUnit.objects.create(name="中国移动")
    a = PartyMember.objects.create(resident=ResidentFactory(name="张伟", is_party_member=True))
    a.unit = mobile
    a.save()
    a.posts.set([ServicePost.objects.create(name="应急")])
    b = PartyMember.objects.create(
        resident=ResidentFactory(name="安娜", is_party_member=True), unit=mobile
    )
    c = PartyMember.objects.create(name="在外党员丙", phone="13911110002")
    d = PartyMember.objects.create(resident=ResidentFactory(is_party_member=True))
    march = dt.datetime(2026, 3, 10, 9, tzinfo=zone)
    _serve(a, starts_at=march, hours=2)
    _serve(a, starts_at=march + dt.timedelta(days=5), hours=1.5)
    _serve(b, starts_at=march, hours=1)
    _serve(c, starts_at=march, hours=4)
    _serve(d, starts_at=dt.datetime(2026, 2, 10, 9, tzinfo=zone), hours=5)


def test_the_months_service_is_given_by_unit_and_member():
    _march_members()

    figures = party_members_service(year=2026, month=3)

    assert (figures.members, figures.hours, figures.reported) == (3, 8.5, 4)
    assert [(u.unit, u.members, u.hours) for u in figures.by_unit] == [
        ("中国移动", 2, 4.5),
        ("", 1, 4),
    ]
    assert [(m.name, m.unit, m.posts, m.activities, m.hours) for m in figures.by_member] == [
        ("在外党员丙", "", (), 1, 4),
        ("张伟", "中国移动", ("应急",), 2, 3.5),
        ("安娜", "中国移动", (), 1, 1),
    ]


def test_the_months_workbook_has_the_party_members_service_sheet(secretary_client):
    from io import BytesIO

    from openpyxl import load_workbook

    from core.spreadsheets import formula_cells

    _march_members()

    response = secretary_client.get("/summary/2026/03/export.xlsx")

    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.content))
    assert formula_cells(workbook) == []
    rows = list(workbook["党员志愿服务"].iter_rows(values_only=True))
    assert [row[:2] for row in rows[4:7]] == [
        ("报到党员（人）", 4),
        ("参加志愿服务的报到党员（人）", 3),
        ("服务时长（小时）", 8.5),
    ]
    assert rows[8][:3] == ("单位", "参加服务（人）", "服务时长（小时）")
    assert rows[9][:3] == ("中国移动", 2, 4.5)
    assert rows[10][:3] == ("个人报到", 1, 4)
    assert rows[12] == ("姓名", "单位", "认领岗位", "参加活动（场）", "服务时长（小时）")
    assert rows[13:16] == [
        ("在外党员丙", "个人报到", None, 1, 4),
        ("张伟", "中国移动", "应急", 2, 3.5),
        ("安娜", "中国移动", None, 1, 1),
    ]


def test_the_month_page_shows_the_service_by_unit(secretary_client):
    _march_members()

    page = secretary_client.get("/summary/2026/03/").content.decode()

    assert "本月 3 名报到党员参加志愿服务，共 8.5 小时。" in page
    assert "中国移动" in page and "个人报到" in page
