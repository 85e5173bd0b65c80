"""Certificates of volunteer service and their public verification page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import ResidentFactory
from volunteering import services
from volunteering.models import RoleSignUp

from .factories import VolunteerRoleFactory

pytestmark = pytest.mark.django_db


def _served(resident, *, hours=2, title="敬老院探访", role="陪护"):
    from tests.factories import ActivityFactory

    activity = ActivityFactory(held=True, title=title)
    role = VolunteerRoleFactory(activity=activity, name=role)
    return RoleSignUp.objects.create(
        role=role, activity=activity, resident=resident, status="confirmed", hours=hours
    )


def test_a_certificate_freezes_name_period_hours_content_and_the_issuing_community(settings):
    settings.COMMUNITY_PHONE = "0931-1234567"
    resident = ResidentFactory(name="王晓燕")
    _served(resident, hours=2)
    _served(resident, hours=1.5, title="文明劝导", role="劝导员")
    today = timezone.localdate()

    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(today.year, 1, 1), period_end=today
    )

    assert certificate.holder_name == "王晓燕"
    assert certificate.hours == 3.5
    assert "敬老院探访（陪护）" in certificate.services
    assert "文明劝导（劝导员）" in certificate.services
    assert certificate.organisation == settings.COMMUNITY_NAME
    assert "0931-1234567" in certificate.contact
    assert certificate.serial == f"ZYFW{today.year}{certificate.pk:06d}"
    assert len(certificate.token) >= 20


def test_no_certificate_is_issued_for_a_period_without_service():
    with pytest.raises(ValidationError) as refused:
        services.issue_certificate(
            resident=ResidentFactory(),
            period_start=dt.date(2020, 1, 1),
            period_end=dt.date(2020, 12, 31),
        )
    assert refused.value.code == "no_service"


def test_the_public_verification_page_shows_only_a_masked_name_the_hours_and_the_community(
    client,
):
    resident = ResidentFactory(name="王晓燕", phone="13912345678")
    _served(resident)
    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )

    response = client.get(f"/verify/{certificate.token}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "王**" in page
    assert "王晓燕" not in page
    assert "13912345678" not in page and "敬老院探访" not in page
    assert "2.0" in page
    assert response["X-Robots-Tag"] == "noindex"
    assert client.get("/verify/not-a-token/").status_code == 404


def test_the_owner_prints_their_certificate_with_a_qr_to_the_verification_page(client):
    resident = ResidentFactory()
    _served(resident)
    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )
    client.force_login(resident.user)

    response = client.get(f"/me/certificates/{certificate.serial}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert certificate.serial in page and "<svg" in page
    assert f"/verify/{certificate.token}/" in page
    assert "private" in response["Cache-Control"]
    client.force_login(ResidentFactory().user)
    assert client.get(f"/me/certificates/{certificate.serial}/").status_code == 404


def test_a_resident_asks_for_this_years_certificate_from_me(client):
    resident = ResidentFactory()
    _served(resident)
    client.force_login(resident.user)

    response = client.post("/me/certificates/", {"year": timezone.localdate().year})

    certificate = resident.volunteer_certificates.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/me/certificates/{certificate.serial}/")
