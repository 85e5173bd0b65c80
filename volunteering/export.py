"""The annual review (年度评议) as Excel: one file per unit to send back to it (its members'
lines and the unit's own comment), one per member, and the community's workbook (every
reported member, and every unit's line). Every text cell goes through `core.spreadsheets`
(no formula from anyone's text: names, activity titles and comments are typed by people).
"""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.spreadsheets import neutralise_workbook

from .selectors import ReviewLine, UnitReviewLine

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_BOLD = Font(bold=True)


def _table(sheet, headers: list[str], rows: list[list], widths: list[int]) -> None:
    """Headers (bold) and rows below what the sheet holds, wrapped, with column widths."""
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    first = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _member_rows(lines: list[ReviewLine], *, with_unit: bool) -> list[list]:
    rows = []
    for line in lines:
        row = [line.member.display_name]
        if with_unit:
            row.append(line.unit_name or _("个人报到"))
        row += [
            "、".join(line.posts),
            "；".join(line.activities),
            float(line.hours),
            line.points if line.earns_points else None,
            line.comment,
        ]
        rows.append(row)
    return rows


def review_workbook(
    *,
    title: str,
    lines: list[ReviewLine],
    unit_comment: str = "",
    unit_posts: list[str] | None = None,
    units: list[UnitReviewLine] | None = None,
    with_unit: bool = False,
) -> bytes:
    """The review as an .xlsx file: a sheet of members' lines (with a 合计 row; the unit's
    posts and comment for a unit's file) and, for the community's file, a sheet of units."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = _("党员评议")
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    if unit_posts is not None:
        sheet.append([_("认领岗位"), "、".join(unit_posts) or "—"])
    headers = [_("姓名"), _("认领岗位"), _("参与活动"), _("服务时长（小时）"), _("获得积分")]
    headers.append(_("社区评价"))
    widths = [12, 20, 50, 14, 10, 40]
    if with_unit:
        headers.insert(1, _("所在单位"))
        widths.insert(1, 20)
    _table(sheet, headers, _member_rows(lines, with_unit=with_unit), widths)
    total = [_("合计")] + [""] * (2 + with_unit)
    total += [float(sum(line.hours for line in lines)), sum(line.points for line in lines)]
    sheet.append(total)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    if any(not line.earns_points for line in lines):
        sheet.append([_("在外居住的报到党员没有积分账户：记录服务时长，不计积分。")])
    if unit_comment:
        sheet.append([])
        sheet.append([_("单位评价"), unit_comment])
        sheet.cell(row=sheet.max_row, column=2).alignment = Alignment(wrap_text=True)
    if units is not None:
        _table(
            wb.create_sheet(_("单位评议")),
            [
                _("单位"),
                _("认领岗位"),
                _("报到党员（人）"),
                _("参加服务（人）"),
                _("服务时长（小时）"),
                _("获得积分"),
                _("单位评价"),
            ],
            [
                [
                    u.unit.name,
                    "、".join(u.posts),
                    u.members,
                    u.members_served,
                    float(u.hours),
                    u.points,
                    u.comment,
                ]
                for u in units
            ],
            [24, 20, 14, 14, 14, 10, 40],
        )
    neutralise_workbook(wb)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
