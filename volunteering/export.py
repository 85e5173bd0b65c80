"""The annual review (年度评议) as an Excel file, one per unit to send back to it; every text
cell goes through `core.spreadsheets` (no formula from anyone's text)."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.spreadsheets import neutralise_workbook

from .selectors import ReviewLine


def review_workbook(*, title: str, lines: list[ReviewLine], unit_comment: str = "") -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = _("年度评议")[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    headers = [
        _("姓名"),
        _("认领岗位"),
        _("参与活动"),
        _("服务时长（小时）"),
        _("获得积分"),
        _("社区评价"),
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(
            [
                line.member.display_name,
                "、".join(line.posts),
                "；".join(line.activities),
                float(line.hours),
                line.points,
                line.comment,
            ]
        )
    sheet.append([])
    sheet.append(
        [
            _("合计"),
            "",
            "",
            float(sum(line.hours for line in lines)),
            sum(line.points for line in lines),
        ]
    )
    if unit_comment:
        sheet.append([_("单位评价"), unit_comment])
    for column, width in zip("ABCDEF", (12, 20, 50, 14, 10, 40), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    neutralise_workbook(wb)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
