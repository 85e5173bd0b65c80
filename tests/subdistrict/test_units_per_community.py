"""A unit reports to each community on its own (单位报到): the same name, and the same
partner, may report to two communities of a subdistrict; within one community the name and
the partner are unique, and a duplicate is a form error that says so, never a 500 nor a hint
of another community's units."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import (
    AgreementFactory,
    CommunityFactory,
    ComplexFactory,
    PartnerFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
)
from tests.volunteering.factories import ReportingUnitFactory
from volunteering.models import ReportingUnit

pytestmark = pytest.mark.django_db

ADD = reverse("admin:volunteering_reportingunit_add")


@pytest.fixture
def two():
    subdistrict = SubdistrictFactory()
    return (
        CommunityFactory(name="小西坪社区", subdistrict=subdistrict),
        CommunityFactory(name="西津社区", subdistrict=subdistrict),
    )


def _partner_of(*communities, name="中铁十九局"):
    """A partner with an agreement in each of `communities` (so each one's staff see it)."""
    partner = PartnerFactory(name=name)
    for community in communities:
        AgreementFactory(partner=partner, complex=ComplexFactory(community=community))
    return partner


def _staff_of(community):
    return StaffScopeFactory(user=StaffUserFactory(), community=community).user


def _form(name, partner=None, **extra):
    data = {"name": name, "reported_on": "2026-11-02", "is_active": "on", **extra}
    if partner is not None:
        data["partner"] = partner.pk
    return data


def test_one_partner_reports_to_two_communities_under_the_same_name(client, two):
    a, b = two
    partner = _partner_of(a, b)
    client.force_login(_staff_of(a))
    assert client.post(ADD, _form("中铁十九局", partner)).status_code == 302
    client.force_login(_staff_of(b))
    assert client.post(ADD, _form("中铁十九局", partner)).status_code == 302
    units = ReportingUnit.objects.filter(partner=partner).order_by("community__name")
    assert [u.community for u in units] == sorted([a, b], key=lambda c: c.name)


def test_a_second_unit_of_the_same_name_in_one_community_is_a_form_error(client, two):
    a, _b = two
    ReportingUnitFactory(name="兰州市消防救援支队", community=a)
    client.force_login(_staff_of(a))
    response = client.post(ADD, _form("兰州市消防救援支队"))
    assert response.status_code == 200
    assert "本社区已登记同名的报到单位。" in response.content.decode()
    assert ReportingUnit.objects.filter(name="兰州市消防救援支队").count() == 1


def test_a_partner_reports_to_one_community_only_once(client, two):
    a, _b = two
    partner = _partner_of(a)
    ReportingUnitFactory(name="旧名称", partner=partner, community=a)
    client.force_login(_staff_of(a))
    response = client.post(ADD, _form("新名称", partner))
    assert response.status_code == 200
    assert "该共建单位已向本社区报到。" in response.content.decode()


def test_the_add_form_offers_the_staff_members_own_community(client, two):
    a, _b = two
    client.force_login(_staff_of(a))
    response = client.get(ADD)
    assert response.context["adminform"].form.initial["community"] == a.pk


def test_units_of_no_community_stay_unique_on_a_one_community_installation():
    partner = PartnerFactory()
    ReportingUnitFactory(name="兰州大学", partner=partner)
    with pytest.raises(ValidationError):
        ReportingUnit(name="兰州大学").validate_constraints()
    with pytest.raises(ValidationError):
        ReportingUnit(name="别名", partner=partner).validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingUnit.objects.create(name="兰州大学")


def test_the_database_refuses_a_twin_in_one_community(two):
    a, b = two
    ReportingUnitFactory(name="兰州大学", community=a)
    ReportingUnitFactory(name="兰州大学", community=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingUnit.objects.create(name="兰州大学", community=a)
