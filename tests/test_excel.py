"""Excel in and out: partners and activities import from a downloadable template (rows
numbered as Excel numbers them, all or nothing, every column in the preview); partners,
activities and an activity's sign-ups export with Chinese headers."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from activities.resources import ActivityResource, SignUpResource
from partners.models import Partner
from partners.resources import PartnerResource
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    BuildingFactory,
    ComplexFactory,
    PartnerFactory,
    ResidentFactory,
    ResourceCommitmentFactory,
    SignUpFactory,
)

pytestmark = pytest.mark.django_db

PARTNER_HEADERS = ["单位名称", "简称", "类别", "联系人", "联系电话", "在驻", "入驻日期"]
ACTIVITY_HEADERS = [
    "活动名称",
    "类别",
    "小区",
    "地点",
    "开始时间",
    "结束时间",
    "名额",
    "状态",
    "对居民公开",
    "共建单位",
]


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, url, rows):
    upload = SimpleUploadedFile(
        "导入.xlsx",
        _xlsx(rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return client.post(url, {"resource": "0", "format": "0", "import_file": upload})


def _confirm(client, url, response):
    confirm = response.context["confirm_form"]
    return client.post(url, {name: confirm.initial[name] for name in confirm.fields}, follow=True)


def _sheet(content) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [[cell.value for cell in row] for row in workbook.active.iter_rows()]


# --- templates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "first_headers"),
    [
        ("partners_partner", ["单位名称", "简称", "类别"]),
        ("activities_activity", ["活动名称", "类别", "小区", "地点", "开始时间"]),
        ("residents_resident", ["姓名", "手机号码", "小区", "楼号"]),
    ],
)
def test_import_template_has_the_headers_and_an_example_row(staff_client, model, first_headers):
    page = staff_client.get(reverse(f"admin:{model}_import"))
    url = reverse(f"admin:{model}_import_template")
    assert url in page.content.decode()

    response = staff_client.get(url)

    assert response.status_code == 200
    headers, example = _sheet(response.content)[:2]
    assert headers[: len(first_headers)] == first_headers
    assert any(example)


def test_the_secretary_cannot_download_an_import_template(secretary_client):
    url = reverse("admin:partners_partner_import_template")
    assert secretary_client.get(url).status_code == 403


def test_the_partner_template_filled_in_imports_back(staff_client):
    template = _sheet(staff_client.get(reverse("admin:partners_partner_import_template")).content)

    preview = _upload(staff_client, reverse("admin:partners_partner_import"), template)
    _confirm(staff_client, reverse("admin:partners_partner_process_import"), preview)

    partner = Partner.objects.get()
    assert partner.name == "兰州市某某志愿服务中心"
    assert partner.category == Partner.Category.SOCIAL_WORK
    assert partner.joined_on.isoformat() == "2026-03-01"


# --- import: numbering, all or nothing, preview ----------------------------------------


def test_partner_import_numbers_bad_rows_as_excel_does_and_writes_nothing(staff_client):
    rows = [
        PARTNER_HEADERS,
        ["蓝天救援队", "蓝天", "应急救援", "王队长", "13900000001", "是", "2025-01-01"],
        ["徐婕瑜伽", "", "瑜伽馆", "", "", "是", ""],
        ["", "", "其他", "", "", "是", ""],
        ["律师事务所", "", "法律服务", "", "", "也许", "明年"],
    ]

    response = _upload(staff_client, reverse("admin:partners_partner_import"), rows)

    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3, 4, 5]
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert "类别" in errors[3]
    assert "单位名称" in errors[4]
    assert set(errors[5]) == {"在驻", "入驻日期"}
    page = response.content.decode()
    assert "第 3 行" in page and "第 5 行" in page
    assert "瑜伽馆" in page  # the errors are written out, with the row's values
    assert "以下各行数据有误，未导入任何数据" in page
    assert "某些行验数据证失败" not in page
    assert "confirm_form" not in response.context
    assert not Partner.objects.exists()


def test_activity_import_creates_activities_with_partners_in_local_time(staff_client):
    complex_ = ComplexFactory(name="铁建丽苑小区")
    PartnerFactory(name="蓝天救援队", short_name="蓝天")
    rows = [
        ACTIVITY_HEADERS,
        [
            "应急救护培训",
            "应急安全",
            "铁建丽苑小区",
            "二楼",
            "2026-12-05 09:30",
            "2026-12-05 11:00",
            30,
            "报名中",
            "是",
            "蓝天",
        ],
    ]

    preview = _upload(staff_client, reverse("admin:activities_activity_import"), rows)
    # Every column is shown in the preview, the partner too.
    assert "蓝天救援队" in preview.content.decode()
    _confirm(staff_client, reverse("admin:activities_activity_process_import"), preview)

    activity = Activity.objects.get()
    assert activity.complex == complex_
    assert timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-12-05 09:30"
    assert activity.starts_at.utcoffset() is not None
    assert [p.name for p in activity.partners.all()] == ["蓝天救援队"]
    assert activity.status == Activity.Status.OPEN


def test_activity_import_is_all_or_nothing(staff_client):
    ComplexFactory(name="铁建丽苑小区")
    rows = [
        ACTIVITY_HEADERS,
        [
            "好的一行",
            "健康运动",
            "",
            "广场",
            "2026-12-05 09:30",
            "2026-12-05 11:00",
            "",
            "报名中",
            "是",
            "",
        ],
        [
            "结束早于开始",
            "健康运动",
            "",
            "广场",
            "2026-12-05 09:30",
            "2026-12-05 08:00",
            "",
            "报名中",
            "是",
            "",
        ],
        [
            "不认识的单位",
            "健康运动",
            "",
            "广场",
            "2026-12-06 09:30",
            "2026-12-06 11:00",
            "",
            "报名中",
            "是",
            "不存在的单位",
        ],
    ]

    response = _upload(staff_client, reverse("admin:activities_activity_import"), rows)

    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3, 4]
    assert "共建单位" in {row.number: row.error_dict for row in result.invalid_rows}[4]
    assert not Activity.objects.exists()


def test_resident_import_preview_shows_the_address_columns(staff_client):
    BuildingFactory(number="3号楼")
    rows = [
        ["姓名", "手机号码", "楼号", "单元", "门牌号"],
        ["张桂芳", "13900000011", "3", "2", "0502"],
    ]

    preview = _upload(staff_client, reverse("admin:residents_resident_import"), rows)

    [row] = preview.context["result"].valid_rows()
    cells = [str(cell) for cell in row.diff]
    assert any("3号楼" in cell for cell in cells)
    assert any("0502" in cell for cell in cells)


# --- export -----------------------------------------------------------------------------


def test_partner_export_has_chinese_headers_with_agreements_and_commitments():
    partner = PartnerFactory(name="徐婕瑜伽")
    AgreementFactory(partner=partner, title="徐婕瑜伽入驻协议")
    ResourceCommitmentFactory(partner=partner, title="每月两次公益瑜伽课", frequency="每月两次")

    dataset = PartnerResource().export(queryset=Partner.objects.all())

    assert dataset.headers[:3] == ["单位名称", "简称", "类别"]
    assert dataset.headers[-2:] == ["共建协议", "资源承诺"]
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["类别"] == "社会工作"
    assert row["共建协议"].startswith("徐婕瑜伽入驻协议（")
    assert row["资源承诺"] == "每月两次公益瑜伽课（每月两次）"


def test_activity_export_has_chinese_headers_and_local_times():
    activity = ActivityFactory(title="消防演练", partners=[PartnerFactory(name="蓝天救援队")])

    dataset = ActivityResource().export(queryset=Activity.objects.all())

    assert dataset.headers[:5] == ["活动名称", "类别", "小区", "地点", "开始时间"]
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["状态"] == "报名中"
    assert row["共建单位"] == "蓝天救援队"
    assert row["开始时间"] == timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")


def test_an_activitys_sign_ups_export_from_the_activity_list(staff_client):
    activity = ActivityFactory(title="消防演练")
    SignUpFactory(activity=activity, resident=ResidentFactory(name="李桂兰", user=None))
    SignUpFactory(resident__user=None)  # another activity's

    response = staff_client.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "export_signups", "_selected_action": [activity.pk]},
    )

    rows = _sheet(response.content)
    assert rows[0][:5] == ["活动", "开始时间", "姓名", "手机号码", "住址"]
    assert [row[2] for row in rows[1:]] == ["李桂兰"]
    assert rows[1][5] == "已报名"


def test_sign_up_export_headers_are_chinese():
    SignUpFactory(resident__user=None)

    dataset = SignUpResource().export()

    assert dataset.headers == [
        "活动",
        "开始时间",
        "姓名",
        "手机号码",
        "住址",
        "报名状态",
        "已签到",
        "签到时间",
        "报名时间",
        "代报名人",
    ]
