"""`residents.scoping`: who works over which communities, and every model's path to its
community."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from core.roles import is_secretary, reads_summary
from residents.models import Community, StaffScope
from residents.scoping import communities_for, is_scoped_model, scoped
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    CommunityFactory,
    ComplexFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SecretaryUserFactory,
    SeriesFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
    SubdistrictSecretaryUserFactory,
    SubdistrictStaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

#: Models that belong to no community: codes, digests and monthly totals of the whole
#: installation, or history rows (read through their record's admin).
UNSCOPED = {"PhoneCode", "StaffNotice", "StaffScope"}


def test_every_model_of_the_product_declares_its_way_to_a_community():
    missing = [
        model.__name__
        for app in ("residents", "partners", "activities")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
        and model.__name__ not in UNSCOPED
        and not is_scoped_model(model)
    ]
    assert missing == []


def test_every_declared_path_filters_without_error():
    community = CommunityFactory()
    for app in ("residents", "partners", "activities"):
        for model in apps.get_app_config(app).get_models():
            if is_scoped_model(model):
                user = StaffScopeFactory(community=community).user
                assert list(scoped(model.objects.all(), user)) is not None


def test_one_community_and_no_scope_row_means_all_as_before():
    CommunityFactory()
    assert communities_for(StaffUserFactory()) is None
    assert communities_for(SecretaryUserFactory()) is None


def test_several_communities_and_no_scope_row_means_nothing():
    CommunityFactory()
    CommunityFactory(name="东岗社区")
    staff = StaffUserFactory()
    assert communities_for(staff) == frozenset()
    assert not scoped(Community.objects.all(), staff).exists()


def test_superusers_see_every_community():
    CommunityFactory()
    CommunityFactory(name="东岗社区")
    assert communities_for(UserFactory(is_superuser=True, is_staff=True)) is None


def test_a_community_scope_is_that_community_and_the_subdistrict_scope_all_of_its():
    xizhan = SubdistrictFactory()
    other = SubdistrictFactory(name="东站街道")
    a = CommunityFactory(name="甲社区", subdistrict=xizhan)
    b = CommunityFactory(name="乙社区", subdistrict=xizhan)
    CommunityFactory(name="丙社区", subdistrict=other)

    staff = StaffScopeFactory(community=a).user
    office = StaffScopeFactory(
        user=SubdistrictStaffUserFactory(), community=None, subdistrict=xizhan
    ).user

    assert communities_for(staff) == {a.pk}
    assert communities_for(office) == {a.pk, b.pk}


def test_the_answer_is_kept_on_the_user_for_the_request(django_assert_num_queries):
    CommunityFactory()
    CommunityFactory(name="东岗社区")
    user = StaffScopeFactory().user
    communities_for(user)
    with django_assert_num_queries(0):
        communities_for(user)


def test_a_scope_is_one_community_or_the_subdistrict_never_both_nor_neither():
    community = CommunityFactory()
    both = StaffScope(
        user=StaffUserFactory(), community=community, subdistrict=community.subdistrict
    )
    with pytest.raises(ValidationError):
        both.full_clean()
    with pytest.raises(ValidationError):
        StaffScope(user=StaffUserFactory()).full_clean()


def test_a_partner_is_seen_where_it_has_an_agreement_or_was_registered():
    a = CommunityFactory(name="甲社区")
    b = CommunityFactory(name="乙社区")
    complex_a = ComplexFactory(community=a, name="甲小区")
    complex_b = ComplexFactory(community=b, name="乙小区")
    both = PartnerFactory(name="蓝天救援队")
    AgreementFactory(partner=both, complex=complex_a)
    AgreementFactory(partner=both, complex=complex_b)
    only_b = AgreementFactory(complex=complex_b).partner
    registered_a = PartnerFactory(registered_by=a)
    nobodys = PartnerFactory()
    commitment_b = ResourceCommitmentFactory(partner=only_b, agreement=None)

    staff_a = StaffScopeFactory(community=a).user
    partners = set(scoped(both.__class__.objects.all(), staff_a))
    assert partners == {both, registered_a}
    assert nobodys not in partners
    assert commitment_b not in scoped(commitment_b.__class__.objects.all(), staff_a)


def test_activities_series_and_needs_follow_their_complex():
    a = CommunityFactory(name="甲社区")
    b = CommunityFactory(name="乙社区")
    complex_b = ComplexFactory(community=b, name="乙小区")
    series_b = SeriesFactory()
    activity_b = ActivityFactory(complex=complex_b, series=series_b)
    need_b = NeedFactory(
        complex=None, resident=ResidentFactory(household__building__complex=complex_b)
    )
    staff_a = StaffScopeFactory(community=a).user
    assert not scoped(activity_b.__class__.objects.all(), staff_a).exists()
    assert not scoped(series_b.__class__.objects.all(), staff_a).exists()
    assert not scoped(need_b.__class__.objects.all(), staff_a).exists()
    staff_b = StaffScopeFactory(community=b).user
    assert list(scoped(series_b.__class__.objects.all(), staff_b)) == [series_b]
    assert list(scoped(need_b.__class__.objects.all(), staff_b)) == [need_b]


def test_the_roles_exist_and_the_subdistrict_roles_hold_the_community_roles_permissions():
    staff = set(Group.objects.get(name="社区工作人员").permissions.all())
    secretary = set(Group.objects.get(name="党委书记").permissions.all())
    office = set(Group.objects.get(name="街道工作人员").permissions.all())
    party = set(Group.objects.get(name="街道党工委书记").permissions.all())
    assert staff < office
    assert secretary < party
    assert all(p.codename.startswith("view_") for p in party)


def test_the_subdistrict_secretary_is_a_secretary_who_reads_the_summary():
    user = SubdistrictSecretaryUserFactory()
    assert is_secretary(user)
    assert reads_summary(user)
    assert not is_secretary(SubdistrictStaffUserFactory())
