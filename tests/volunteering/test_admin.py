"""The back office: reported members with this year's hours, the volunteers' desk, hours
adjusted with a reason, the shop desk, certificates, and the annual review."""

from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.spreadsheets import formula_cells
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.cards import card_code
from volunteering.models import AnnualReview, PartyMember, PointsEntry, RoleSignUp

from .factories import (
    PointsRuleFactory,
    ReportingUnitFactory,
    ServicePostFactory,
    ShopItemFactory,
    VolunteerRoleFactory,
)

pytestmark = pytest.mark.django_db


def _served_member(unit=None, hours=2, title="敬老院探访"):
    member = PartyMember.objects.create(resident=ResidentFactory(is_party_member=True), unit=unit)
    role = VolunteerRoleFactory(activity=ActivityFactory(held=True, title=title))
    RoleSignUp.objects.create(
        role=role,
        activity=role.activity,
        resident=member.resident,
        member=member,
        status="confirmed",
        hours=hours,
    )
    return member


def test_the_member_list_shows_this_years_hours_in_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    for _ in range(3):
        _served_member()
    with django_assert_max_num_queries(20):
        response = staff_client.get("/admin/volunteering/partymember/")
    assert response.status_code == 200
    for _ in range(5):
        _served_member()
    with django_assert_max_num_queries(20):
        response = staff_client.get("/admin/volunteering/partymember/")
    rows = response.context["cl"].result_list
    assert [(m.year_hours, m.year_activities) for m in rows] == [(2, 1)] * 8


def test_staff_report_a_resident_who_is_not_a_party_member_and_are_told_why(staff_client):
    resident = ResidentFactory(is_party_member=False)
    post = ServicePostFactory(name="楼栋长")

    response = staff_client.post(
        "/admin/volunteering/partymember/add/",
        {
            "resident": resident.pk,
            "reported_on": "2026-03-01",
            "posts": [post.pk],
            "is_active": "on",
        },
        follow=True,
    )

    assert not PartyMember.objects.exists()
    assert "未登记为党员" in response.content.decode()


def test_the_volunteers_desk_checks_in_and_out_and_records_hours(staff_client):
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity)
    signup = services.sign_up_for_role(role=role, resident=ResidentFactory()).signup
    url = f"/admin/volunteering/rolesignup/desk/{activity.pk}/"

    assert staff_client.get(url).status_code == 200
    staff_client.post(url, {"signup": signup.pk, "do": "check_in"})
    staff_client.post(url, {"signup": signup.pk, "do": "check_out"})

    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checked_out_at is not None
    assert signup.hours is not None


def test_the_secretary_reads_the_desk_but_cannot_check_anyone_in(secretary_client):
    activity = ActivityFactory(at_the_door=True)
    signup = services.sign_up_for_role(
        role=VolunteerRoleFactory(activity=activity), resident=ResidentFactory()
    ).signup
    url = f"/admin/volunteering/rolesignup/desk/{activity.pk}/"

    assert secretary_client.post(url, {"signup": signup.pk, "do": "check_in"}).status_code == 403
    signup.refresh_from_db()
    assert signup.checked_in_at is None


def test_adjusting_hours_in_the_back_office_needs_a_reason(staff_client):
    member = _served_member()
    signup = member.volunteer_signups.get()
    url = f"/admin/volunteering/rolesignup/{signup.pk}/change/"

    staff_client.post(url, {"hours": "3.0", "hours_reason": ""})
    signup.refresh_from_db()
    assert signup.hours == 2

    staff_client.post(url, {"hours": "3.0", "hours_reason": "补记"})
    signup.refresh_from_db()
    assert signup.hours == 3 and signup.hours_reason == "补记"


def test_the_shop_desk_finds_a_resident_by_card_code_or_last_four_digits_and_redeems(staff_client):
    resident = ResidentFactory(name="张伟", phone="13900004321")
    services.correct_points(resident=resident, points=100, reason="期初")
    item = ShopItemFactory(points=30, stock=2)

    by_code = staff_client.get(
        "/admin/volunteering/shopitem/desk/", {"code": card_code(resident.pk)}
    )
    assert "张伟" in by_code.content.decode() and "100" in by_code.content.decode()
    by_digits = staff_client.get("/admin/volunteering/shopitem/desk/", {"q": "4321"})
    assert "张伟" in by_digits.content.decode()
    wrong = staff_client.get("/admin/volunteering/shopitem/desk/", {"code": f"{resident.pk}-0000"})
    assert wrong.status_code == 200

    staff_client.post(
        "/admin/volunteering/shopitem/desk/",
        {"resident": resident.pk, "item": item.pk, "quantity": "1"},
    )

    assert services.balance_of(resident) == 70
    assert PointsEntry.objects.filter(kind="redeemed", created_by__isnull=False).count() == 1


def test_the_shop_desk_refuses_the_secretary_a_redemption(secretary_client):
    resident = ResidentFactory()
    services.correct_points(resident=resident, points=100, reason="期初")
    item = ShopItemFactory(points=30)

    response = secretary_client.post(
        "/admin/volunteering/shopitem/desk/", {"resident": resident.pk, "item": item.pk}
    )

    assert response.status_code == 403
    assert services.balance_of(resident) == 100


def test_staff_issue_a_certificate_and_land_on_its_print_page(staff_client):
    member = _served_member()

    response = staff_client.post(
        "/admin/volunteering/certificate/add/",
        {
            "resident": member.resident_id,
            "period_start": f"{timezone.localdate().year}-01-01",
            "period_end": timezone.localdate().isoformat(),
        },
    )

    certificate = member.resident.volunteer_certificates.get()
    assert response["Location"].endswith(f"/certificate/{certificate.pk}/print/")
    page = staff_client.get(response["Location"]).content.decode()
    assert certificate.serial in page and member.resident.name in page


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    return load_workbook(BytesIO(response.content))


def _rows_after_header(sheet, first_header="姓名"):
    """The rows below the table's header row, as values."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == first_header)
    return rows[start + 1 :]


def test_a_units_annual_review_prints_and_downloads_as_excel_with_its_own_comment(staff_client):
    unit = ReportingUnitFactory(name="中国移动兰州分公司")
    unit.posts.set([ServicePostFactory(name="应急")])
    member = _served_member(unit=unit, title="敬老院探访")
    _served_member(unit=ReportingUnitFactory(name="别的单位"))  # not in this unit's file
    year = timezone.localdate().year
    AnnualReview.objects.create(year=year, member=member, comment="表现突出")
    AnnualReview.objects.create(year=year, unit=unit, comment="单位积极认领岗位")

    page = staff_client.get(f"/admin/volunteering/reportingunit/{unit.pk}/review/?year={year}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "表现突出" in text and "单位积极认领岗位" in text
    assert f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx?year={year}" in text

    workbook = _workbook(
        staff_client.get(f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx?year={year}")
    )
    sheet = workbook.active
    assert sheet["A1"].value == f"中国移动兰州分公司 {year} 年度双报到评议"
    assert [sheet["A2"].value, sheet["B2"].value] == ["认领岗位", "应急"]
    rows = _rows_after_header(sheet)
    name, posts, activities, *figures = rows[0]
    assert (name, posts) == (member.resident.name, None)  # empty cells read back as None
    assert activities.startswith("敬老院探访（引导员")
    assert figures == [2.0, 0, "表现突出"]
    assert rows[1][0] == "合计" and rows[1][3] == 2.0
    assert rows[-1][:2] == ("单位评价", "单位积极认领岗位")


def test_the_secretary_reads_and_downloads_every_review_but_cannot_write_a_comment(
    secretary_client,
):
    unit = ReportingUnitFactory()
    member = _served_member(unit=unit)
    pages = [
        f"/admin/volunteering/reportingunit/{unit.pk}/review/",
        f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx",
        "/admin/volunteering/partymember/review/",
        "/admin/volunteering/partymember/review.xlsx",
        f"/admin/volunteering/partymember/{member.pk}/review/",
        f"/admin/volunteering/partymember/{member.pk}/review.xlsx",
    ]
    for url in pages:
        assert secretary_client.get(url).status_code == 200, url
    page = secretary_client.get("/admin/volunteering/partymember/review/").content.decode()
    assert "写评语" not in page

    response = secretary_client.post(
        "/admin/volunteering/annualreview/add/",
        {"year": timezone.localdate().year, "member": member.pk, "comment": "改不了"},
    )

    assert response.status_code == 403
    assert not AnnualReview.objects.exists()


def test_hostile_text_never_comes_out_of_a_review_workbook_as_a_formula(staff_client):
    hostile = "=cmd|' /C calc'!A0"
    unit = ReportingUnitFactory(name="+SUM(1,2)")
    member = PartyMember.objects.create(name=hostile, phone="13911110000", unit=unit)
    role = VolunteerRoleFactory(activity=ActivityFactory(held=True, title="@HYPERLINK(1)"))
    RoleSignUp.objects.create(
        role=role, activity=role.activity, member=member, status="confirmed", hours=1
    )
    year = timezone.localdate().year
    AnnualReview.objects.create(year=year, member=member, comment="-1+1")
    AnnualReview.objects.create(year=year, unit=unit, comment="＝1")

    for url in (
        f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx",
        "/admin/volunteering/partymember/review.xlsx",
        f"/admin/volunteering/partymember/{member.pk}/review.xlsx",
    ):
        workbook = _workbook(staff_client.get(url))
        assert formula_cells(workbook) == [], url
        values = [c.value for ws in workbook for row in ws.iter_rows() for c in row]
        assert "'" + hostile in values and hostile not in values, url
        assert "'-1+1" in values and "-1+1" not in values, url


def test_the_communitys_review_workbook_lists_every_member_with_their_unit_and_every_unit(
    staff_client,
):
    mobile = ReportingUnitFactory(name="中国移动")
    members = [_served_member(unit=mobile, hours=h) for h in (2, 3)]
    PartyMember.objects.create(name="在外党员乙", phone="13911110001")
    year = timezone.localdate().year
    AnnualReview.objects.create(year=year, unit=mobile, comment="年度优秀")

    workbook = _workbook(
        staff_client.get(f"/admin/volunteering/partymember/review.xlsx?year={year}")
    )

    people = {row[0]: row for row in _rows_after_header(workbook["党员评议"]) if row[0]}
    assert people["在外党员乙"][1:6] == ("个人报到", None, None, 0.0, None)
    for member, hours in zip(members, (2, 3), strict=True):
        assert people[member.resident.name][1] == "中国移动"
        assert people[member.resident.name][4] == hours
    assert people["合计"][4] == 5.0
    assert "在外居住的报到党员没有积分账户：记录服务时长，不计积分。" in people
    units = _rows_after_header(workbook["单位评议"], first_header="单位")
    assert units == [("中国移动", None, 2, 2, 5.0, 0, "年度优秀")]


def test_staff_write_a_members_comment_from_the_review_page_and_come_back_to_it(
    staff_client, staff_user
):
    member = _served_member()
    year = timezone.localdate().year
    review_url = f"/admin/volunteering/partymember/{member.pk}/review/?year={year}"
    page = staff_client.get(review_url)
    link = next(line.comment_url for line in page.context["lines"])
    assert link.startswith("/admin/volunteering/annualreview/add/?")
    form = staff_client.get(link)
    assert form.context["adminform"].form.initial["member"] == str(member.pk)

    response = staff_client.post(link, {"year": year, "member": member.pk, "comment": " 认真负责 "})

    assert response.status_code == 302
    assert response["Location"] == review_url
    review = AnnualReview.objects.get()
    assert (review.comment, review.written_by) == ("认真负责", staff_user)
    assert "认真负责" in staff_client.get(review_url).content.decode()


def test_the_review_of_every_member_takes_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    unit = ReportingUnitFactory()
    for _ in range(2):
        _served_member(unit=unit)
    with django_assert_max_num_queries(25):
        assert staff_client.get("/admin/volunteering/partymember/review/").status_code == 200
    for _ in range(6):
        _served_member(unit=ReportingUnitFactory())
    with django_assert_max_num_queries(25):
        response = staff_client.get("/admin/volunteering/partymember/review/")
    assert len(response.context["lines"]) == 8 and len(response.context["units"]) == 7


def test_the_review_of_every_reported_member_lists_members_living_elsewhere_too(secretary_client):
    PartyMember.objects.create(name="在外党员甲", phone="13911110000")
    _served_member()

    page = secretary_client.get("/admin/volunteering/partymember/review/")

    assert page.status_code == 200
    assert "在外党员甲" in page.content.decode()


def test_a_member_living_elsewhere_is_told_on_their_page_and_at_the_desk_that_they_earn_no_points(
    staff_client,
):
    PointsRuleFactory(points=10)
    elsewhere = PartyMember.objects.create(name="在外党员丁", phone="13911110003")
    living_here = _served_member()
    services.correct_points(resident=living_here.resident, points=30, reason="补录")
    activity = ActivityFactory(at_the_door=True)
    role = VolunteerRoleFactory(activity=activity)
    signup = services.sign_up_for_role(role=role, member=elsewhere).signup
    services.check_in_volunteer(signup=signup, now=timezone.now())
    services.check_out_volunteer(signup=signup, now=timezone.now())

    page = staff_client.get(f"/admin/volunteering/partymember/{elsewhere.pk}/change/")
    assert "在外居住，没有积分账户：只记录服务时长，不计积分。" in page.content.decode()
    page = staff_client.get(f"/admin/volunteering/partymember/{living_here.pk}/change/")
    assert "余额 30 积分" in page.content.decode()
    desk = staff_client.get(f"/admin/volunteering/rolesignup/desk/{activity.pk}/")
    assert "在外居住：只记录时长，不计积分" in desk.content.decode()
    signup.refresh_from_db()
    assert signup.hours is not None and not PointsEntry.objects.filter(signup=signup).exists()


def test_saving_a_comment_and_choosing_to_keep_editing_stays_on_the_form(staff_client):
    member = _served_member()
    year = timezone.localdate().year
    link = (
        f"/admin/volunteering/annualreview/add/?year={year}&member={member.pk}"
        f"&next=/admin/volunteering/partymember/{member.pk}/review/"
    )

    response = staff_client.post(
        link, {"year": year, "member": member.pk, "comment": "好", "_continue": "1"}
    )

    review = AnnualReview.objects.get()
    assert response["Location"].startswith(f"/admin/volunteering/annualreview/{review.pk}/change/")
