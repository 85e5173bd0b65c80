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
    assert certificate.serial == f"{today.year}-0001"
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


def _certificate(resident, *, issued_on=None):
    _served(resident)
    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )
    if issued_on is not None:
        certificate.issued_on = issued_on
        certificate.save(update_fields=["issued_on"])
    return certificate


def test_certificates_are_numbered_in_the_year_they_are_issued(monkeypatch):
    from volunteering.models import Certificate

    resident = ResidentFactory()
    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2026, 12, 31))
    last_year = [_certificate(resident).serial for _ in range(2)]
    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2027, 1, 1))
    new_year = _certificate(resident)

    assert last_year == ["2026-0001", "2026-0002"]
    assert (new_year.serial, new_year.year, new_year.number) == ("2027-0001", 2027, 1)
    assert Certificate.objects.filter(year=2026).count() == 2


def test_the_database_refuses_two_certificates_with_one_number_in_a_year():
    from django.db import IntegrityError, transaction

    certificate = _certificate(ResidentFactory())
    certificate.pk = None
    certificate.serial = "another"
    certificate.token = ""

    with pytest.raises(IntegrityError), transaction.atomic():
        certificate.save()


def test_a_desk_that_drew_a_number_already_taken_draws_the_next_one(monkeypatch):
    """Two desks at once: the second insert is refused by the unique (year, number) and
    draws again (as PostgreSQL's concurrent transactions would see it)."""
    from volunteering.models import Certificate

    first = _certificate(ResidentFactory())
    real_filter = Certificate.objects.filter
    calls = {"n": 0}

    def stale_filter(*args, **kwargs):
        # The first draw does not see the certificate just issued by "the other desk".
        if kwargs.get("year") and calls["n"] == 0:
            calls["n"] += 1
            return real_filter(*args, **kwargs).exclude(pk=first.pk)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Certificate.objects, "filter", stale_filter)
    second = _certificate(ResidentFactory())

    assert calls["n"] == 1
    assert second.number == first.number + 1


def test_the_migration_numbers_earlier_certificates_per_year_and_keeps_their_printed_serials(
    client,
):
    import importlib

    from django.apps import apps

    from volunteering.models import Certificate

    migration = importlib.import_module("volunteering.migrations.0003_certificate_serials_per_year")
    resident = ResidentFactory()
    old = []
    for issued_on in (dt.date(2026, 3, 1), dt.date(2025, 6, 1), dt.date(2026, 1, 5)):
        certificate = _certificate(resident, issued_on=issued_on)
        legacy = f"ZYFW{issued_on.year}{certificate.pk:06d}"
        Certificate.objects.filter(pk=certificate.pk).update(
            serial=legacy, number=900 + certificate.pk
        )
        old.append((certificate.pk, legacy, certificate.token))

    migration.number_per_year(apps, None)

    after = {c.pk: c for c in Certificate.objects.all()}
    assert [(after[pk].serial, after[pk].former_serial) for pk, legacy, _t in old] == [
        ("2026-0002", old[0][1]),
        ("2025-0001", old[1][1]),
        ("2026-0001", old[2][1]),
    ]
    assert [after[pk].token for pk, _l, _t in old] == [token for _p, _l, token in old]
    client.force_login(resident.user)
    response = client.get(f"/me/certificates/{old[0][1]}/")
    assert response.status_code == 302
    assert response["Location"].endswith("/me/certificates/2026-0002/")
    page = client.get(f"/verify/{old[0][2]}/").content.decode()
    assert "2026-0002" in page and old[0][1] in page

    migration.former_serials_back(apps, None)
    assert Certificate.objects.get(pk=old[1][0]).serial == old[1][1]
