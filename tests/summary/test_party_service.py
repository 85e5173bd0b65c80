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
