"""Isolation of volunteering: staff and the secretary of community A find nothing of
community B's units, members, roles, volunteers, certificates, points or shop items in any
of volunteering's back-office pages, its review pages and their Excel files, the volunteers'
desk, the certificate's print page or the points desk; a resident redeems only items of their
own community's shop."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import ActivityFactory, StaffScopeFactory, StaffUserFactory
from tests.subdistrict import test_isolation as base
from tests.volunteering.factories import (
    PartyMemberFactory,
    ReportingUnitFactory,
    ShopItemFactory,
    VolunteerRoleFactory,
)
from volunteering import services
from volunteering.models import AnnualReview, PartyMember, PointsEntry, RoleSignUp

pytestmark = pytest.mark.django_db

#: Configuration shared by the installation's communities (no community's data).
SHARED = {"servicepost", "pointsrule"}


def _volunteering(prefix: str, community, objects, phone: str):
    resident = objects["resident"]
    unit = ReportingUnitFactory(name=f"{prefix}电力公司", community=community, contact_phone=phone)
    member = PartyMemberFactory(resident=resident, unit=unit)
    elsewhere = PartyMember.objects.create(
        name=f"{prefix}建国", phone=phone[:-1] + "8", community=community, unit=unit
    )
    held = ActivityFactory(complex=objects["complex"], title=f"{prefix}敬老院探访", held=True)
    role = VolunteerRoleFactory(activity=held, name=f"{prefix}陪护员")
    signup = RoleSignUp.objects.create(
        role=role, activity=held, resident=resident, status="confirmed", hours=2
    )
    certificate = services.issue_certificate(
        resident=resident, period_start=dt.date(2000, 1, 1), period_end=timezone.localdate()
    )
    item = ShopItemFactory(
        name=f"{prefix}大米", partner=objects["partner"], community=community, points=5
    )
    entry = services.correct_points(resident=resident, points=50, reason=f"{prefix}补记积分")
    review = AnnualReview.objects.create(
        year=timezone.localdate().year, member=elsewhere, comment=f"{prefix}表现很好"
    )
    objects.update(
        {
            "reportingunit": unit,
            "partymember": member,
            "elsewhere": elsewhere,
            "volunteerrole": role,
            "rolesignup": signup,
            "certificate": certificate,
            "shopitem": item,
            "pointsentry": entry,
            "annualreview": review,
        }
    )


@pytest.fixture
def world():
    a, a_objects = base._community("甲", "小西坪社区", "13811110000")
    b, b_objects = base._community("乙", "东岗社区", "13822220000")
    world = {"a": a, "b": b, "a_objects": a_objects, "b_objects": b_objects}
    _volunteering("甲", world["a"], world["a_objects"], "13811110000")
    _volunteering("乙", world["b"], world["b_objects"], "13822220000")
    return world


def _user(kind, community):
    return base._user(kind, community)


def _volunteering_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "volunteering" and model._meta.model_name not in SHARED
    ]


@pytest.mark.parametrize("kind", ["staff", "secretary"])
def test_a_sees_none_of_bs_volunteering_rows_on_any_list_search_or_page(client, world, kind):
    client.force_login(_user(kind, world["a"]))
    traces = base._b_traces(world)
    walked = 0
    for model, _model_admin in _volunteering_admins():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        changelist = client.get(reverse(f"{name}_changelist"))
        assert changelist.status_code == 200, name
        base._assert_clean(changelist.content.decode(), traces, f"{name} list")
        assert changelist.context["cl"].result_count >= 1, f"{name}: A's own rows are listed"
        searched = client.get(reverse(f"{name}_changelist"), {"q": "乙"})
        assert searched.context["cl"].result_count == 0, f"{name} search"
        add = client.get(reverse(f"{name}_add"))
        if add.status_code == 200:
            base._assert_clean(add.content.decode(), traces, f"{name} add page")
        b_obj = world["b_objects"][opts.model_name]
        a_obj = world["a_objects"][opts.model_name]
        for view in ("change", "history", "delete"):
            url = reverse(f"{name}_{view}", args=[b_obj.pk])
            assert client.get(url).status_code == 404, f"{name} {view} of B"
            assert client.post(url, {"post": "yes"}).status_code in (403, 404), url
        own = client.get(reverse(f"{name}_change", args=[a_obj.pk]))
        assert own.status_code == 200, f"{name} change of A"
        base._assert_clean(own.content.decode(), traces, f"{name} change of A")
        walked += 1
    assert walked == 8


@pytest.mark.parametrize("kind", ["staff", "secretary"])
def test_a_autocompletes_none_of_bs_volunteers_units_or_activities(client, world, kind):
    client.force_login(_user(kind, world["a"]))
    traces = base._b_traces(world)
    checked = 0
    for model, field_name, response in base._autocompletes(client, _volunteering_admins()):
        assert response.status_code == 200, f"{model.__name__}.{field_name}"
        assert response.json()["results"], f"{model.__name__}.{field_name}: A's own rows"
        base._assert_clean(response.content.decode("unicode_escape"), traces, field_name)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("kind", ["staff", "secretary"])
def test_the_review_pages_and_their_excel_show_a_only(client, world, kind):
    client.force_login(_user(kind, world["a"]))
    traces = base._b_traces(world)
    for url_name in ("volunteering_partymember_review", "volunteering_partymember_review_excel"):
        response = client.get(reverse(f"admin:{url_name}"))
        assert response.status_code == 200
        text = base._text(response)
        assert "甲建国" in text and "甲电力公司" in text, url_name
        base._assert_clean(text, traces, url_name)
    for url_name, key in (
        ("volunteering_reportingunit_review", "reportingunit"),
        ("volunteering_reportingunit_review_excel", "reportingunit"),
        ("volunteering_partymember_member_review", "elsewhere"),
        ("volunteering_partymember_member_review_excel", "elsewhere"),
    ):
        b_url = reverse(f"admin:{url_name}", args=[world["b_objects"][key].pk])
        assert client.get(b_url).status_code == 404, url_name
        own = client.get(reverse(f"admin:{url_name}", args=[world["a_objects"][key].pk]))
        assert own.status_code == 200, url_name
        base._assert_clean(base._text(own), traces, url_name)


def test_the_volunteers_desk_and_the_certificate_print_of_b_are_not_found(client, world):
    client.force_login(_user("staff", world["a"]))
    b_role = world["b_objects"]["volunteerrole"]
    desk = reverse("admin:volunteering_rolesignup_desk", args=[b_role.activity_id])
    assert client.get(desk).status_code == 404
    assert client.post(desk, {"do": "check_in", "signup": "1"}).status_code == 404
    a_role = world["a_objects"]["volunteerrole"]
    own = client.get(reverse("admin:volunteering_rolesignup_desk", args=[a_role.activity_id]))
    assert own.status_code == 200 and "甲秀英" in own.content.decode()
    b_certificate = world["b_objects"]["certificate"]
    printed = reverse("admin:volunteering_certificate_print", args=[b_certificate.pk])
    assert client.get(printed).status_code == 404
    a_certificate = world["a_objects"]["certificate"]
    own = client.get(reverse("admin:volunteering_certificate_print", args=[a_certificate.pk]))
    assert own.status_code == 200 and "甲秀英" in own.content.decode()


def test_the_points_desk_never_finds_or_serves_bs_resident(client, world):
    client.force_login(_user("staff", world["a"]))
    traces = base._b_traces(world)
    desk = reverse("admin:volunteering_shop_desk")
    b_resident = world["b_objects"]["resident"]
    for query in ({"q": "秀英"}, {"q": "0000"}, {"resident": b_resident.pk}):
        page = client.get(desk, query)
        assert page.status_code == 200
        base._assert_clean(page.content.decode(), traces, f"desk {query}")
    assert "甲秀英" in client.get(desk, {"q": "秀英"}).content.decode()
    chosen = client.get(desk, {"resident": world["a_objects"]["resident"].pk})
    assert "甲大米" in chosen.content.decode()
    client.post(
        desk, {"resident": b_resident.pk, "item": world["b_objects"]["shopitem"].pk, "quantity": 1}
    )
    assert not PointsEntry.objects.filter(resident=b_resident, kind="redeemed").exists()


def test_a_points_correction_refuses_bs_resident_posted_by_id(client, world):
    client.force_login(_user("staff", world["a"]))
    b_resident = world["b_objects"]["resident"]
    response = client.post(
        reverse("admin:volunteering_pointsentry_add"),
        {"resident": b_resident.pk, "points": 5, "reason": "补记"},
    )
    assert response.status_code == 200  # the form again, with the invalid choice
    assert PointsEntry.objects.filter(resident=b_resident).count() == 1


def test_a_unit_added_by_a_communitys_staff_is_that_communitys(client, world):
    client.force_login(_user("staff", world["a"]))
    response = client.post(
        reverse("admin:volunteering_reportingunit_add"),
        {"name": "甲供水公司", "reported_on": timezone.localdate().isoformat(), "is_active": "on"},
    )
    assert response.status_code == 302
    from volunteering.models import ReportingUnit

    assert ReportingUnit.objects.get(name="甲供水公司").community == world["a"]


def test_a_community_staff_reads_but_does_not_change_the_shared_posts(client, world):
    client.force_login(_user("staff", world["a"]))
    assert client.get(reverse("admin:volunteering_servicepost_changelist")).status_code == 200
    assert client.get(reverse("admin:volunteering_servicepost_add")).status_code == 403
    world["b"].subdistrict = world["a"].subdistrict
    world["b"].save()
    subdistrict_staff = StaffUserFactory()
    StaffScopeFactory(user=subdistrict_staff, community=None, subdistrict=world["a"].subdistrict)
    client.force_login(subdistrict_staff)
    assert client.get(reverse("admin:volunteering_servicepost_add")).status_code == 200


def test_a_resident_redeems_only_items_of_their_own_community(world):
    a_resident = world["a_objects"]["resident"]
    with pytest.raises(ValidationError) as refused:
        services.redeem(resident=a_resident, item=world["b_objects"]["shopitem"])
    assert refused.value.code == "other_community"
    entry = services.redeem(resident=a_resident, item=world["a_objects"]["shopitem"])
    assert entry.balance == 45
    assert (
        world["b_objects"]["shopitem"]
        .__class__.objects.get(pk=world["b_objects"]["shopitem"].pk)
        .stock
        == 5
    )
