"""Back-office changelists cost the same number of queries at 5 rows as at 50."""

import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Need
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    CallListEntryFactory,
    CommunityFactory,
    ComplexFactory,
    FeedbackFactory,
    HouseholdFactory,
    LeadFactory,
    MilestoneFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SeriesFactory,
    ServiceProjectFactory,
    SignUpFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
)

pytestmark = pytest.mark.django_db

_serial = itertools.count()


def _subdistricts(n):
    for _ in range(n):
        CommunityFactory(
            name=f"社区{next(_serial)}", subdistrict=SubdistrictFactory(name=f"街道{next(_serial)}")
        )


def _scopes(n):
    for _ in range(n):
        StaffScopeFactory(community=CommunityFactory(name=f"社区{next(_serial)}"))


def _communities(n):
    for _ in range(n):
        complex_ = ComplexFactory(community=CommunityFactory(name=f"社区{next(_serial)}"))
        BuildingFactory(complex=complex_)


def _complexes(n):
    for _ in range(n):
        BuildingFactory(complex=ComplexFactory(name=f"小区{next(_serial)}"))


def _buildings(n):
    for _ in range(n):
        HouseholdFactory(building=BuildingFactory())


def _households(n):
    for _ in range(n):
        ResidentFactory(household=HouseholdFactory(), user=None)


def _residents(n):
    for i in range(n):
        # Some with a login, each in a building of their own (the building filter lists all).
        ResidentFactory(user=None) if i % 2 else ResidentFactory(user__password="!")


def _partners(n):
    for _ in range(n):
        partner = PartnerFactory()
        agreement = AgreementFactory(partner=partner)
        ResourceCommitmentFactory(partner=partner, agreement=agreement)


def _agreements(n):
    for _ in range(n):
        AgreementFactory(renews=AgreementFactory())


def _commitments(n):
    for _ in range(n):
        agreement = AgreementFactory()
        ResourceCommitmentFactory(partner=agreement.partner, agreement=agreement)


def _leads(n):
    staff = StaffUserFactory()
    for i in range(n):
        LeadFactory(
            offered_by__user=None,
            assigned_to=staff,
            partner=PartnerFactory(),
            stage="signed" if i % 2 else "contacted",
        )


def _activities(n):
    for _ in range(n):
        activity = ActivityFactory(capacity=1, partners=[PartnerFactory(), PartnerFactory()])
        SignUpFactory(activity=activity, resident__user=None)
        SignUpFactory(
            activity=activity, resident__user=None, status="waitlisted", confirmed_at=None
        )


def _series(n):
    staff = StaffUserFactory()
    for _ in range(n):
        series = SeriesFactory(created_by=staff)
        ActivityFactory(series=series)
        ActivityFactory(series=series)


def _signups(n):
    staff = StaffUserFactory()
    activity = ActivityFactory()
    for i in range(n):
        SignUpFactory(
            activity=activity if i % 2 else ActivityFactory(),
            resident__user=None,
            signed_up_by=staff,
            status="waitlisted" if i % 3 else "confirmed",
        )


def _projects(n):
    for _ in range(n):
        project = ServiceProjectFactory(partner=PartnerFactory())
        project.buildings.set([BuildingFactory(), BuildingFactory()])
        MilestoneFactory(project=project)
        NeedFactory(project=project, status=Need.Status.IN_PROJECT, resident__user=None)


def _milestones(n):
    for _ in range(n):
        MilestoneFactory()


def _needs(n):
    for i in range(n):
        NeedFactory(
            resident__user=None,
            complex=ComplexFactory(),
            project=ServiceProjectFactory(),
            urgency="urgent" if i % 2 else "low",
        )


def _call_list(n):
    staff = StaffUserFactory()
    for i in range(n):
        CallListEntryFactory(called_by=staff if i % 2 else None)


def _feedback(n):
    for _ in range(n):
        FeedbackFactory(signup__resident__user=None)


BUILDERS = {
    "residents_subdistrict": _subdistricts,
    "residents_staffscope": _scopes,
    "residents_community": _communities,
    "residents_complex": _complexes,
    "residents_building": _buildings,
    "residents_household": _households,
    "residents_resident": _residents,
    "partners_partner": _partners,
    "partners_agreement": _agreements,
    "partners_resourcecommitment": _commitments,
    "partners_lead": _leads,
    "activities_activity": _activities,
    "activities_series": _series,
    "activities_signup": _signups,
    "activities_serviceproject": _projects,
    "activities_milestone": _milestones,
    "activities_need": _needs,
    "activities_feedback": _feedback,
    "activities_calllistentry": _call_list,
}


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("name", BUILDERS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, name):
    url = reverse(f"admin:{name}_changelist")
    build = BUILDERS[name]
    build(5)
    admin_client.get(url)  # warm the per-process caches (content types, translations)
    at_5, response = _queries(admin_client, url)
    assert response.context["cl"].result_count >= 5
    build(45)
    at_50, response = _queries(admin_client, url)
    assert response.context["cl"].result_count >= 50
    assert at_50 == at_5, f"{name}: {at_5} queries at 5 rows, {at_50} at 50"


# --- Every model's pages open for staff, and its search finds the record --------------

PAGES = {
    "residents_subdistrict": (lambda: SubdistrictFactory(name="东站街道"), "东站"),
    "residents_staffscope": (lambda: StaffScopeFactory(user__username="wangxy"), "wangxy"),
    "residents_community": (lambda: CommunityFactory(name="七里河社区"), "七里河"),
    "residents_complex": (lambda: ComplexFactory(name="丽苑二期"), "二期"),
    "residents_building": (lambda: BuildingFactory(number="16号楼"), "16号楼"),
    "residents_household": (lambda: HouseholdFactory(room="0302"), "0302"),
    "residents_resident": (
        lambda: ResidentFactory(name="王秀英", phone="13912345678", user=None),
        "13912345678",
    ),
    "partners_partner": (lambda: PartnerFactory(name="蓝天救援队"), "蓝天"),
    "partners_agreement": (lambda: AgreementFactory(title="徐婕瑜伽入驻协议"), "瑜伽"),
    "partners_resourcecommitment": (
        lambda: ResourceCommitmentFactory(title="每月两次公益瑜伽课"),
        "瑜伽",
    ),
    "partners_lead": (
        lambda: LeadFactory(organisation="兰州交通大学", offered_by__user=None),
        "交通大学",
    ),
    "activities_activity": (lambda: ActivityFactory(title="消防演练"), "消防"),
    "activities_series": (lambda: SeriesFactory(title="每周瑜伽"), "瑜伽"),
    "activities_signup": (
        lambda: SignUpFactory(resident__name="李桂兰", resident__user=None),
        "李桂兰",
    ),
    "activities_serviceproject": (lambda: ServiceProjectFactory(title="供水管网更换"), "供水"),
    "activities_milestone": (lambda: MilestoneFactory(title="3号楼管道更换"), "管道"),
    "activities_need": (lambda: NeedFactory(title="楼道灯坏了", resident__user=None), "楼道灯"),
    "activities_feedback": (
        lambda: FeedbackFactory(comment="老师很耐心", signup__resident__user=None),
        "耐心",
    ),
    "activities_calllistentry": (
        lambda: CallListEntryFactory(signup__resident__name="马兰英"),
        "马兰英",
    ),
}


def test_every_model_has_a_page_here():
    from django.contrib import admin

    product = {
        f"{model._meta.app_label}_{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in ("residents", "partners", "activities")
    }
    assert product == set(PAGES) == set(BUILDERS)


@pytest.mark.parametrize("name", PAGES)
def test_changelist_opens(admin_client, name):
    make, _term = PAGES[name]
    obj = make()
    response = admin_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    assert obj in response.context["cl"].result_list


@pytest.mark.parametrize("name", PAGES)
def test_changelist_search_finds_the_record_and_nothing_else(admin_client, name):
    make, term = PAGES[name]
    obj = make()
    url = reverse(f"admin:{name}_changelist")
    response = admin_client.get(url, {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [obj]
    response = admin_client.get(url, {"q": "查无此项"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


#: Written only by the services (the call list is filled when residents must be phoned).
NO_ADD_PAGE = {"activities_calllistentry"}


@pytest.mark.parametrize("name", PAGES)
def test_add_page_opens(admin_client, name):
    response = admin_client.get(reverse(f"admin:{name}_add"))
    if name in NO_ADD_PAGE:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert b'name="_save"' in response.content


@pytest.mark.parametrize("name", PAGES)
def test_change_page_opens(admin_client, name):
    make, _term = PAGES[name]
    obj = make()
    response = admin_client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert response.context["original"] == obj


#: Pages of the subdistrict's own staff (and superusers' placing of users): a community's
#: staff and secretary do not see them.
SUBDISTRICT_ONLY = {"residents_subdistrict", "residents_staffscope"}


@pytest.mark.parametrize("name", PAGES)
def test_secretary_reads_every_page_but_can_neither_add_nor_change(secretary_client, name):
    make, _term = PAGES[name]
    obj = make()
    change = reverse(f"admin:{name}_change", args=[obj.pk])
    if name in SUBDISTRICT_ONLY:
        assert secretary_client.get(reverse(f"admin:{name}_changelist")).status_code == 403
        assert secretary_client.get(change).status_code == 403
        return

    assert secretary_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    page = secretary_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert secretary_client.get(reverse(f"admin:{name}_add")).status_code == 403
    assert secretary_client.post(change, {}).status_code == 403


def test_back_office_is_headed_in_chinese_and_lists_the_three_apps(staff_client):
    response = staff_client.get(reverse("admin:index"))

    page = response.content.decode()
    assert "共建 · 社区资源登记" in page
    for app in ("居民与小区", "共建单位", "活动与项目"):
        assert app in page
    # Staff manage the product, not the logins.
    assert reverse("admin:auth_user_changelist") not in page


INLINE = re.compile(
    r"<script(?![^>]*\b(?:src|nonce)=)(?![^>]*application/json)[^>]*>|\sstyle=\"|\son[a-z]+=\""
)


@pytest.mark.parametrize("name", PAGES)
def test_back_office_pages_keep_to_the_content_security_policy(admin_client, name):
    make, _term = PAGES[name]
    obj = make()
    for url in (
        reverse(f"admin:{name}_changelist"),
        reverse(f"admin:{name}_add"),
        reverse(f"admin:{name}_change", args=[obj.pk]),
    ):
        response = admin_client.get(url)
        assert INLINE.findall(response.content.decode()) == [], url


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        reverse("admin:residents_resident_import"),
        reverse("admin:residents_resident_export"),
        reverse("admin:residents_household_export"),
    ],
)
def test_import_and_export_pages_keep_to_the_content_security_policy(admin_client, url):
    response = admin_client.get(url)

    page = response.content.decode()
    assert INLINE.findall(page) == []
    header = response["Content-Security-Policy"]
    for nonce in re.findall(r'<script nonce="([^"]+)"', page):
        assert f"'nonce-{nonce}'" in header


def test_export_page_wires_select_all_with_a_script_carrying_the_nonce(admin_client):
    response = admin_client.get(reverse("admin:residents_resident_export"))

    page = response.content.decode()
    [nonce] = re.findall(r'<script nonce="([^"]+)"', page)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert 'class="select-toggle"' in page


# --- history: every history-tracked page refuses the secretary's writes ------------------


def _history_admins():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    return {
        f"{model._meta.app_label}_{model._meta.model_name}": model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    }


def _role_signup():
    from tests.volunteering.factories import VolunteerRoleFactory
    from volunteering.models import RoleSignUp

    role = VolunteerRoleFactory()
    return RoleSignUp.objects.create(
        role=role, activity=role.activity, resident=ResidentFactory(user=None), status="confirmed"
    )


def _annual_review():
    from tests.volunteering.factories import PartyMemberFactory
    from volunteering.models import AnnualReview

    return AnnualReview.objects.create(year=2026, member=PartyMemberFactory(), comment="认真负责")


def _volunteering(name):
    from tests.volunteering import factories

    return lambda: getattr(factories, name)()


#: Models with a history page but no row in PAGES (volunteering's admin has its own tests).
HISTORY_ONLY = {
    "volunteering_annualreview": (_annual_review, ""),
    "volunteering_partymember": (_volunteering("PartyMemberFactory"), ""),
    "volunteering_pointsrule": (_volunteering("PointsRuleFactory"), ""),
    "volunteering_reportingunit": (_volunteering("ReportingUnitFactory"), ""),
    "volunteering_rolesignup": (_role_signup, ""),
    "volunteering_shopitem": (_volunteering("ShopItemFactory"), ""),
}


def test_every_history_admin_guards_its_revert_form():
    from core.admin import GuardedHistoryAdmin

    admins = _history_admins()

    assert set(admins) <= set(PAGES) | set(HISTORY_ONLY)
    assert len(admins) == 15
    assert all(isinstance(a, GuardedHistoryAdmin) for a in admins.values()), admins


@pytest.mark.parametrize("name", sorted(_history_admins()))
def test_secretary_gets_403_posting_an_old_version_and_nothing_changes(secretary_client, name):
    make, _term = {**PAGES, **HISTORY_ONLY}[name]
    obj = make()
    version = obj.history.first()
    url = reverse(f"admin:{name}_simple_history", args=[obj.pk, version.history_id])
    versions = obj.history.count()

    assert secretary_client.get(url).status_code == 200
    assert secretary_client.post(url, {}).status_code == 403
    assert obj.history.count() == versions


# --- change pages whose inlines or choices name a related record -----------------------


def test_complex_page_costs_the_same_queries_for_1_and_6_buildings(admin_client):
    one, six = ComplexFactory(name="一期"), ComplexFactory(name="二期")
    BuildingFactory(complex=one)
    for _ in range(6):
        BuildingFactory(complex=six)
    url = lambda c: reverse("admin:residents_complex_change", args=[c.pk])  # noqa: E731
    admin_client.get(url(one))  # warm the per-process caches

    at_1, _response = _queries(admin_client, url(one))
    at_6, _response = _queries(admin_client, url(six))

    assert at_6 == at_1, f"{at_1} queries with 1 building, {at_6} with 6"
