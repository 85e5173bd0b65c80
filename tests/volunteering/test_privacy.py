"""Volunteering takes part in a resident's data download and in "delete my data"."""

import datetime as dt

import pytest
from django.utils import timezone

from residents import services as resident_services
from residents.privacy import ANONYMISED_NAME, export_data
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.models import Certificate, PartyMember, PointsEntry, RoleSignUp

from .factories import VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def _world():
    resident = ResidentFactory(name="李建国", phone="13900001111", is_party_member=True)
    member = PartyMember.objects.create(resident=resident)
    held = VolunteerRoleFactory(activity=ActivityFactory(held=True))
    past = RoleSignUp.objects.create(
        role=held,
        activity=held.activity,
        resident=resident,
        member=member,
        status="confirmed",
        hours=2,
    )
    upcoming = services.sign_up_for_role(role=VolunteerRoleFactory(), resident=resident).signup
    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )
    services.correct_points(resident=resident, points=30, reason="李建国 期初积分")
    return resident, member, past, upcoming, certificate


def test_the_data_download_has_the_report_service_records_certificates_and_points():
    resident, _member, _past, _upcoming, certificate = _world()

    data = export_data(resident)["volunteering"]

    assert data["party_member_report"]["is_active"] is True
    assert [r["hours"] for r in data["service_records"]] == ["2.0", None]
    assert data["certificates"][0]["serial"] == certificate.serial
    assert data["points"][0]["balance"] == 30


def test_deleting_ones_data_keeps_past_hours_withdraws_certificates_and_zeroes_the_points():
    resident, member, past, upcoming, certificate = _world()

    resident_services.anonymise_resident(resident=resident)

    past.refresh_from_db()
    upcoming.refresh_from_db()
    certificate.refresh_from_db()
    member.refresh_from_db()
    assert past.hours == 2 and past.status == "confirmed"
    assert upcoming.status == RoleSignUp.Status.CANCELLED
    assert certificate.revoked_at is not None and certificate.holder_name == ANONYMISED_NAME
    assert member.is_active is False
    lines = list(PointsEntry.objects.filter(resident=resident).order_by("seq"))
    assert [(e.kind, e.balance) for e in lines] == [("corrected", 30), ("expired", 0)]
    assert "李建国" not in lines[0].reason
    assert Certificate.objects.filter(holder_name="李建国").count() == 0
