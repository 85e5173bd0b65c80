"""Each community's monthly summary and the subdistrict's (issue 13, summaries): known
answers per community and for the subdistrict's total, roll-ups against a live count per
community, who reads which summary, and B's names absent from A's pages and files."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from activities import rollups
from activities.models import Category
from residents.models import StaffScope
from summary.report import monthly_summary
from summary.subdistrict import subdistrict_summary
from tests.factories import (
    AgreementFactory,
    BuildingFactory,
    CommunityFactory,
    ComplexFactory,
    HouseholdFactory,
    LeadFactory,
    NeedFactory,
    PartnerFactory,
    ResidentFactory,
    SecretaryUserFactory,
    StaffScopeFactory,
    StaffUserFactory,
    SubdistrictFactory,
    SubdistrictSecretaryUserFactory,
    SubdistrictStaffUserFactory,
)
from tests.summary.factories import at, held_activity, signup

pytestmark = pytest.mark.django_db

OCT = (2026, 10)


def _community(name, complex_name, households, *, subdistrict):
    community = CommunityFactory(name=name, subdistrict=subdistrict)
    complex_ = ComplexFactory(community=community, name=complex_name, household_count=households)
    building = BuildingFactory(complex=complex_)
    return community, complex_, building


@pytest.fixture
def two():
    """October 2026 in 小西坪社区 (A) and 西津社区 (B) of 西站街道.

    A: two activities held; 王秀英 and 李建国 (one household) attend the first, 王秀英 the
    second too; an agreement in force with 中国移动; one need resolved; one lead signed.
    B: one activity held, attended by 赵西津 and by 王秀英 of A (a household of A reached by
    B's activity); agreements in force with 中国移动 and 西津物业.
    """
    ns = type("Two", (), {})()
    sub = SubdistrictFactory()
    ns.sub = sub
    ns.a, complex_a, building_a = _community("小西坪社区", "铁建丽苑小区", 1149, subdistrict=sub)
    ns.b, complex_b, building_b = _community("西津社区", "西津花园", 400, subdistrict=sub)
    h1, h2 = HouseholdFactory(building=building_a), HouseholdFactory(building=building_a)
    hb = HouseholdFactory(building=building_b)
    wang = ResidentFactory(name="王秀英", household=h1)
    li = ResidentFactory(name="李建国", household=h1)
    ResidentFactory(name="张伟", household=h2)
    zhao = ResidentFactory(name="赵西津", household=hb)
    mobile = PartnerFactory(name="中国移动兰州分公司", short_name="中国移动")
    wuye = PartnerFactory(name="西津物业服务有限公司", short_name="西津物业")
    a1 = held_activity("小西坪义诊", Category.HEALTH, at(2026, 10, 8), partners=[mobile])
    a2 = held_activity("小西坪防汛演练", Category.SAFETY, at(2026, 10, 20))
    b1 = held_activity("西津书法课", Category.CULTURE, at(2026, 10, 12), partners=[mobile])
    for activity, complex_ in ((a1, complex_a), (a2, complex_a), (b1, complex_b)):
        activity.complex = complex_
        activity.save(update_fields=["complex"])
    signup(a1, wang, at(2026, 10, 1), attended=True)
    signup(a1, li, at(2026, 10, 1), attended=True)
    signup(a2, wang, at(2026, 10, 2), attended=True)
    signup(b1, zhao, at(2026, 10, 3), attended=True)
    signup(b1, wang, at(2026, 10, 3), attended=True)
    signup(b1, li, at(2026, 10, 3))  # confirmed, did not come
    ns.mobile, ns.wuye = mobile, wuye
    for partner, complex_ in ((mobile, complex_a), (mobile, complex_b), (wuye, complex_b)):
        AgreementFactory(
            partner=partner,
            complex=complex_,
            title=f"{partner.short_name}与{complex_.name}共建协议",
            signed_on=at(2026, 1, 1).date(),
            starts_on=at(2026, 1, 1).date(),
            ends_on=at(2027, 12, 31).date(),
        )
    NeedFactory(
        resident=wang,
        complex=complex_a,
        created_at=at(2026, 10, 2),
        status="resolved",
        resolved_at=at(2026, 10, 15),
    )
    LeadFactory(
        offered_by=li,
        created_at=at(2026, 9, 1),
        stage="signed",
        partner=mobile,
        closed_at=at(2026, 10, 16),
    )
    rollups.rebuild()
    return ns


def test_each_community_counts_only_its_own_activities_households_and_agreements(two):
    a = monthly_summary(year=2026, month=10, community=two.a)
    b = monthly_summary(year=2026, month=10, community=two.b)
    assert (a.community_name, a.household_total) == ("小西坪社区", 1149)
    assert (b.community_name, b.household_total) == ("西津社区", 400)
    assert [x.title for x in a.activities] == ["小西坪义诊", "小西坪防汛演练"]
    assert [x.title for x in b.activities] == ["西津书法课"]
    assert (a.activities_held.value, a.attendance.value) == (2, 3)
    assert (b.activities_held.value, b.attendance.value, b.confirmed.value) == (1, 2, 3)
    assert (a.residents_reached.value, a.households_reached.value) == (2, 1)
    # B's activity reached 赵西津's household and 王秀英's (of A): two households.
    assert (b.residents_reached.value, b.households_reached.value) == (2, 2)
    assert a.household_coverage.value == round(1 / 1149, 6)
    assert (a.partners_in_force.value, b.partners_in_force.value) == (1, 2)
    assert (a.needs_resolved.value, b.needs_resolved.value) == (1, 0)
    assert (a.leads_converted.value, b.leads_converted.value) == (1, 0)
    assert {p.name for p in a.partners if p.has_agreement} == {"中国移动"}


def test_the_whole_installation_counts_a_household_reached_in_two_communities_once(two):
    whole = monthly_summary(year=2026, month=10)
    assert whole.activities_held.value == 3
    assert whole.attendance.value == 5
    assert whole.household_total == 1149 + 400
    assert (whole.residents_reached.value, whole.households_reached.value) == (3, 2)
    assert whole.partners_in_force.value == 2


def test_rolled_up_figures_equal_a_live_count_in_every_community(two):
    assert rollups.differences() == []
    assert rollups.differences(year=2026, month=10) == []
    for community in (two.a, two.b, None):
        kept = monthly_summary(year=2026, month=10, community=community)
        live = monthly_summary(year=2026, month=10, community=community, live=True)
        for field in (
            "activities_held",
            "attendance",
            "residents_reached",
            "households_reached",
            "residents_reached_year",
            "households_reached_year",
            "party_members",
        ):
            assert getattr(kept, field) == getattr(live, field), (community, field)
        assert kept.trend == live.trend


def test_subdistrict_summary_lines_and_total(two):
    s = subdistrict_summary(year=2026, month=10, communities=[two.a, two.b], subdistrict=two.sub)
    a, b = s.lines
    assert (a.name, a.activities, a.attendance, a.households, a.household_total) == (
        "小西坪社区",
        2,
        3,
        1,
        1149,
    )
    assert (b.name, b.activities, b.attendance, b.households, b.household_total) == (
        "西津社区",
        1,
        2,
        2,
        400,
    )
    assert (a.partners, b.partners) == (1, 2)
    assert (a.needs_resolved, a.leads_signed, b.needs_resolved, b.leads_signed) == (1, 1, 0, 0)
    total = s.total
    for additive in ("activities", "attendance", "household_total", "needs_resolved"):
        assert getattr(total, additive) == getattr(a, additive) + getattr(b, additive)
    assert total.leads_signed == 1
    # Distinct over the subdistrict: 王秀英's household reached by A and B counts once,
    # 中国移动 with agreements in A and B too.
    assert (total.households, total.residents, total.partners) == (2, 3, 2)
    assert total.coverage_display == "0.1%"
    assert s.subdistrict_name == "西站街道"


def test_subdistrict_summary_of_the_running_month_counts_live(two):
    s = subdistrict_summary(
        year=2026, month=10, communities=[two.a, two.b], now=at(2026, 10, 31, 23)
    )
    assert s.is_partial
    assert [(x.activities, x.attendance, x.households) for x in s.lines] == [(2, 3, 1), (1, 2, 2)]
    assert (s.total.households, s.total.residents) == (2, 3)


def _subdistrict_of(n):
    sub = SubdistrictFactory(name=f"街道{n}")
    communities = []
    for i in range(n):
        community, complex_, building = _community(
            f"社区{n}-{i}", f"小区{n}-{i}", 100, subdistrict=sub
        )
        resident = ResidentFactory(household=HouseholdFactory(building=building))
        activity = held_activity(f"活动{n}-{i}", Category.HEALTH, at(2026, 10, 8))
        activity.complex = complex_
        activity.save(update_fields=["complex"])
        signup(activity, resident, at(2026, 10, 1), attended=True)
        communities.append(community)
    return sub, communities


@pytest.mark.parametrize("live", [False, True])
def test_subdistrict_summary_costs_the_same_queries_for_2_and_5_communities(live):
    counts = []
    for n in (2, 5):
        sub, communities = _subdistrict_of(n)
        now = at(2026, 10, 31, 23) if live else None
        with CaptureQueriesContext(connection) as queries:
            s = subdistrict_summary(
                year=2026, month=10, communities=communities, subdistrict=sub, now=now
            )
        assert s.total.activities == n
        assert s.total.households == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- who reads which summary -----------------------------------------------------------


def _login(client, factory, **scope):
    user = factory()
    StaffScopeFactory(user=user, **scope)
    client.force_login(user)
    return user


@pytest.mark.parametrize("factory", [SecretaryUserFactory, StaffUserFactory])
def test_a_community_reads_only_its_own_summary(client, two, factory):
    _login(client, factory, community=two.a)
    page = client.get("/summary/2026/10/").content.decode()
    assert "小西坪社区" in page and "小西坪义诊" in page
    for of_b in ("西津社区", "西津书法课", "赵西津", "西津物业"):
        assert of_b not in page
    assert client.get(f"/summary/2026/10/?community={two.b.pk}").status_code == 404
    assert client.get(f"/summary/2026/10/export.xlsx?community={two.b.pk}").status_code == 404
    assert client.get(f"/summary/2026/?community={two.b.pk}").status_code == 404
    response = client.get("/summary/2026/10/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    text = " ".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    assert "小西坪义诊" in text
    for of_b in ("西津社区", "西津书法课", "赵西津", "西津物业"):
        assert of_b not in text
    year_page = client.get("/summary/2026/").content.decode()
    assert "西津" not in year_page


@pytest.mark.parametrize("factory", [SubdistrictSecretaryUserFactory, SubdistrictStaffUserFactory])
def test_the_subdistrict_reads_every_community_side_by_side_and_each_one(client, two, factory):
    _login(client, factory, community=None, subdistrict=two.sub)
    page = client.get("/summary/2026/10/").content.decode()
    assert "小西坪社区" in page and "西津社区" in page and "街道合计" in page
    assert f"?community={two.b.pk}" in page
    one = client.get(f"/summary/2026/10/?community={two.b.pk}").content.decode()
    assert "西津书法课" in one and "小西坪义诊" not in one
    # Its links keep to that community.
    assert f"/summary/2026/09/?community={two.b.pk}" in one
    assert f"/summary/2026/10/export.xlsx?community={two.b.pk}" in one
    response = client.get("/summary/2026/10/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0]]
    names = [row[0] for row in rows]
    assert "小西坪社区" in names and "西津社区" in names and "街道合计" in names
    total = rows[names.index("街道合计")]
    assert total[1:3] == (3, 5)  # activities, attendance
    other = CommunityFactory(name="别的社区", subdistrict=SubdistrictFactory(name="别的街道"))
    assert client.get(f"/summary/2026/10/?community={other.pk}").status_code == 404


def test_the_page_cache_keeps_each_community_apart(client, two, settings):
    settings.PAGE_CACHE_SECONDS = 60
    _login(client, SubdistrictSecretaryUserFactory, community=None, subdistrict=two.sub)
    first = client.get(f"/summary/2026/10/?community={two.a.pk}").content.decode()
    second = client.get(f"/summary/2026/10/?community={two.b.pk}").content.decode()
    assert "小西坪义诊" in first and "西津书法课" not in first
    assert "西津书法课" in second and "小西坪义诊" not in second


def test_a_community_reads_its_own_share_of_a_shared_partner_scorecard(client, two):
    _login(client, SecretaryUserFactory, community=two.a)
    listing = client.get("/summary/2026/partners/").content.decode()
    assert "中国移动兰州分公司" in listing and "西津物业" not in listing
    page = client.get(f"/summary/2026/partners/{two.mobile.pk}/").content.decode()
    assert "中国移动与铁建丽苑小区共建协议" in page and "小西坪义诊" in page
    for of_b in ("西津花园", "西津书法课"):
        assert of_b not in page
    response = client.get(f"/summary/2026/partners/{two.mobile.pk}/export.xlsx")
    text = " ".join(
        str(cell)
        for sheet in load_workbook(io.BytesIO(response.content)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    assert "西津" not in text
    assert client.get(f"/summary/2026/partners/{two.wuye.pk}/").status_code == 404
    assert client.get(f"/summary/2026/partners/{two.wuye.pk}/export.xlsx").status_code == 404


def test_the_subdistrict_reads_every_community_share_of_a_partner(client, two):
    _login(client, SubdistrictSecretaryUserFactory, community=None, subdistrict=two.sub)
    page = client.get(f"/summary/2026/partners/{two.mobile.pk}/").content.decode()
    assert "中国移动与铁建丽苑小区共建协议" in page and "中国移动与西津花园共建协议" in page
    assert "小西坪义诊" in page and "西津书法课" in page
    assert client.get(f"/summary/2026/partners/{two.wuye.pk}/").status_code == 200


def test_a_login_moved_to_another_community_reads_the_new_one_at_once(client, two, settings):
    settings.PAGE_CACHE_SECONDS = 60
    user = _login(client, StaffUserFactory, community=two.a)
    assert "小西坪义诊" in client.get("/summary/2026/10/").content.decode()
    scope = StaffScope.objects.get(user=user)
    scope.community = two.b
    scope.save()
    page = client.get("/summary/2026/10/").content.decode()
    assert "西津书法课" in page and "小西坪义诊" not in page


def test_show_all_activities_keeps_to_the_chosen_community(client, two, monkeypatch):
    monkeypatch.setattr("summary.templatetags.summary_tags.TOP_ACTIVITIES_SHOWN", 1)
    _login(client, SubdistrictSecretaryUserFactory, community=None, subdistrict=two.sub)
    page = client.get(f"/summary/2026/10/?community={two.a.pk}").content.decode()
    link = f'href="?community={two.a.pk}&amp;activities=all#activities-heading"'
    assert link in page
    everything = client.get(
        "/summary/2026/10/", {"community": two.a.pk, "activities": "all"}
    ).content.decode()
    assert "小西坪义诊" in everything and "小西坪防汛演练" in everything
    assert "西津书法课" not in everything
