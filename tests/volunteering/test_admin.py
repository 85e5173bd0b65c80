"""The back office: reported members with this year's hours, the volunteers' desk, hours
adjusted with a reason, the shop desk, certificates, and the annual review."""

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.spreadsheets import formula_cells
from tests.factories import ActivityFactory, ResidentFactory
from volunteering import services
from volunteering.cards import card_code
from volunteering.models import AnnualReview, PartyMember, PointsEntry, RoleSignUp

from .factories import (
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


def test_a_units_annual_review_prints_and_downloads_as_excel_without_live_formulas(staff_client):
    unit = ReportingUnitFactory(name="中国移动兰州分公司")
    member = _served_member(unit=unit, title="=HYPERLINK(1)")
    year = timezone.localdate().year
    AnnualReview.objects.create(year=year, member=member, comment="表现突出")

    page = staff_client.get(f"/admin/volunteering/reportingunit/{unit.pk}/review/?year={year}")
    assert page.status_code == 200
    assert "表现突出" in page.content.decode()

    response = staff_client.get(
        f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx?year={year}"
    )
    from io import BytesIO

    workbook = load_workbook(BytesIO(response.content))
    assert formula_cells(workbook) == []
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[2][0] == member.resident.name
    assert rows[2][3] == 2.0
    assert rows[2][5] == "表现突出"


def test_the_secretary_reads_the_review_but_cannot_download_it(secretary_client):
    unit = ReportingUnitFactory()

    assert (
        secretary_client.get(f"/admin/volunteering/reportingunit/{unit.pk}/review/").status_code
        == 200
    )
    assert (
        secretary_client.get(f"/admin/volunteering/reportingunit/{unit.pk}/review.xlsx").status_code
        == 403
    )


def test_the_review_of_every_reported_member_lists_members_living_elsewhere_too(secretary_client):
    PartyMember.objects.create(name="在外党员甲", phone="13911110000")
    _served_member()

    page = secretary_client.get("/admin/volunteering/partymember/review/")

    assert page.status_code == 200
    assert "在外党员甲" in page.content.decode()
